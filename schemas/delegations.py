"""Delegations and dependants (acting for someone else)."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import fields, validate, validates

from app.accounts.identity import mask_phone, mask_resident_id
from schemas.auth import check_phone, phone_field
from schemas.base import BaseSchema, Id, ResponseSchema, StrictString, UTCDateTime

SCOPES = ["apply", "apply_and_wallet"]


class DelegationCreateSchema(BaseSchema):
    example: ClassVar[dict[str, Any]] = {
        "grantee_phone": "13800000002",
        "scope": "apply",
        "matters": ["ZJ-COMPANY-SETUP"],
        "expires_at": "2027-06-30T16:00:00Z",
    }

    # Who may act for you: their mobile number (an account may not exist yet; the grant
    # waits for it).
    grantee_phone = phone_field(required=True)
    scope = StrictString(
        required=True,
        validate=validate.OneOf(SCOPES),
        metadata={
            "description": "apply: submit, read, supplement and rate applications for you; "
            "apply_and_wallet: also read your wallet"
        },
    )
    matters = fields.List(
        StrictString(validate=validate.Length(min=1, max=64)),
        validate=validate.Length(max=50),
        load_default=None,
        allow_none=True,
        metadata={"description": "Only these service items (codes); absent: any"},
    )
    expires_at = UTCDateTime(required=True, metadata={"description": "When the grant ends"})

    @validates("grantee_phone")
    def _phone(self, value: str, **_: object) -> None:
        check_phone(value)


class GrantorSchema(ResponseSchema):
    id = Id(required=True, metadata={"description": "Send it as On-Behalf-Of"})
    name = fields.String(allow_none=True, required=True, metadata={"description": "Masked"})


class DelegationSchema(ResponseSchema):
    id = Id(attribute="_id", required=True)
    direction = fields.String(
        required=True,
        metadata={"enum": ["granted", "received"], "description": "Made by me, or to me"},
    )
    grantor = fields.Nested(GrantorSchema, required=True)
    grantee_phone = fields.Function(
        lambda d: mask_phone(d.get("grantee_phone")),
        required=True,
        metadata={"description": "Masked"},
    )
    scope = fields.String(required=True, metadata={"enum": SCOPES})
    matters = fields.List(fields.String(), allow_none=True, required=True)
    expires_at = UTCDateTime(required=True)
    created_at = UTCDateTime(required=True)
    revoked_at = UTCDateTime(allow_none=True, required=True)
    status = fields.String(required=True, metadata={"enum": ["live", "expired", "revoked"]})


class DependantCreateSchema(BaseSchema):
    example: ClassVar[dict[str, Any]] = {"name": "张小宝", "id_number": "330106202001010010"}

    name = StrictString(required=True, validate=validate.Length(min=1, max=100))
    id_number = StrictString(
        required=True,
        validate=validate.Length(equal=18),
        metadata={"description": "GB 11643 resident ID number (checksum-valid) of a minor"},
    )


class DependantSchema(ResponseSchema):
    id = Id(
        attribute="_id",
        required=True,
        metadata={"description": "Send it as On-Behalf-Of to act for the child"},
    )
    name = fields.String(required=True)
    id_number = fields.Function(
        lambda d: mask_resident_id(d.get("id_number")),
        required=True,
        metadata={"description": "Masked"},
    )
    birth_date = fields.String(required=True)
    created_at = UTCDateTime(required=True)


class DependantListSchema(ResponseSchema):
    items = fields.List(fields.Nested(DependantSchema), required=True)
