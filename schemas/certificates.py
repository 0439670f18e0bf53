"""The certificate wallet and its access log."""

from __future__ import annotations

from marshmallow import fields, validate

from app.wallet.certificates import CERTIFICATE_TYPES
from app.wallet.presentations import REASONS
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
    revoked = fields.Function(
        lambda c: c.get("status") == "revoked" or bool(c.get("revoked")),
        required=True,
        metadata={"type": "boolean"},
    )
    revoked_reason = fields.Function(
        lambda c: c.get("revoked_reason"),
        allow_none=True,
        required=True,
        metadata={"type": "string", "description": "Why it was revoked (e.g. a false commitment)"},
    )
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


class VerificationOutcomeSchema(ResponseSchema):
    id = fields.String(required=True, metadata={"description": "The presentation (token jti)"})
    valid = fields.Boolean(required=True)
    reason = fields.String(allow_none=True, required=True)


class CertificateAccessSchema(ResponseSchema):
    kind = fields.String(
        dump_default="case_read",
        metadata={
            "enum": ["case_read", "verification"],
            "description": "case_read: staff read it through a case; verification: someone "
            "verified a presentation of it (GET /verify/{token})",
        },
    )
    at = UTCDateTime(required=True)
    reader = fields.Nested(CertificateReaderSchema, required=True)
    case = fields.Nested(CertificateCaseSchema, allow_none=True, required=True)
    presentation = fields.Nested(
        VerificationOutcomeSchema,
        allow_none=True,
        metadata={
            "description": "For a verification: which presentation, and its outcome",
            "optional": True,
        },
    )


class PresentationSchema(ResponseSchema):
    id = fields.String(attribute="_id", required=True)
    token = fields.String(
        required=True,
        metadata={
            "description": "JWS (compact JWT, EdDSA/Ed25519); the header's kid names "
            "the key in /.well-known/jwks.json"
        },
    )
    qr_payload = fields.String(
        required=True,
        metadata={"description": "What the QR code holds: the verification URL of the token"},
    )
    expires_at = UTCDateTime(required=True)


class VerifiedHolderSchema(ResponseSchema):
    name = fields.String(allow_none=True, required=True, metadata={"description": "Masked"})


class VerificationSchema(ResponseSchema):
    valid = fields.Boolean(required=True)
    reason = fields.String(
        allow_none=True,
        required=True,
        metadata={"enum": list(REASONS), "description": "Why it is not valid (null if valid)"},
    )
    certificate_id = fields.String(allow_none=True, required=True)
    type = fields.String(allow_none=True, required=True)
    number = fields.String(allow_none=True, required=True)
    issuer = fields.String(allow_none=True, required=True, metadata={"description": "Name"})
    issuer_code = fields.String(allow_none=True, required=True)
    issued_at = fields.String(allow_none=True, required=True)
    valid_until = fields.String(allow_none=True, required=True)
    holder = fields.Nested(VerifiedHolderSchema, required=True)
    revoked = fields.Boolean(
        allow_none=True,
        required=True,
        metadata={"description": "Revoked now (null when the token itself did not verify)"},
    )
    expires_at = fields.String(allow_none=True, required=True)
