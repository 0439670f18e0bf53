"""The certificate wallet and its access log."""

from __future__ import annotations

from marshmallow import fields, validate

from app.wallet.certificates import CERTIFICATE_TYPES
from schemas.base import (
    Id,
    LocalizedName,
    PageArgs,
    ResponseSchema,
    StrictString,
    UTCDateTime,
)


class CertificateSourceSchema(ResponseSchema):
    kind = fields.String(required=True, metadata={"example": "application"})
    id = Id(required=True)
    tracking_no = fields.String(required=True)


class CertificateSchema(ResponseSchema):
    id = Id(attribute="_id", required=True)
    type = fields.String(required=True, metadata={"enum": list(CERTIFICATE_TYPES)})
    number = fields.String(required=True, metadata={"example": "ZJC20261126000042"})
    holder = fields.String(attribute="holder_name", required=True)
    issuer = fields.String(required=True, metadata={"description": "Issuing department code"})
    issuer_name = LocalizedName(required=True)
    issued_at = UTCDateTime(required=True)
    valid_until = UTCDateTime(allow_none=True, required=True)
    status = fields.String(required=True, metadata={"enum": ["valid", "revoked"]})
    data = fields.Dict(required=True, metadata={"description": "What the certificate states"})
    source = fields.Nested(
        CertificateSourceSchema,
        allow_none=True,
        required=True,
        metadata={"description": "The case whose completion issued it, if any"},
    )


class CertificateListArgs(PageArgs):
    type = StrictString(validate=validate.OneOf(CERTIFICATE_TYPES))


class CertificateReaderSchema(ResponseSchema):
    name = fields.String(required=True)
    department = fields.String(allow_none=True, required=True)
    department_name = LocalizedName(allow_none=True, required=True)


class CertificateCaseSchema(ResponseSchema):
    kind = fields.String(required=True, metadata={"example": "application"})
    id = Id(required=True)
    tracking_no = fields.String(required=True)


class CertificateAccessSchema(ResponseSchema):
    at = UTCDateTime(required=True)
    reader = fields.Nested(CertificateReaderSchema, required=True)
    case = fields.Nested(CertificateCaseSchema, required=True)
