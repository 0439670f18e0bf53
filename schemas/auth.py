"""Registration, login and token payloads."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import ValidationError, fields, validate, validates

from app.accounts.identity import is_credit_code, is_mainland_mobile, is_resident_id
from schemas.base import BaseSchema, ResponseSchema, StrictString

PHONE = {"example": "13800000001", "description": "Mainland mobile number"}


def phone_field(**kwargs) -> StrictString:
    return StrictString(validate=validate.Length(max=11), metadata=PHONE, **kwargs)


def check_phone(value: str) -> None:
    if not is_mainland_mobile(value):
        raise ValidationError("Not a mainland mobile number.")


class EnterpriseSchema(BaseSchema):
    name = StrictString(required=True, validate=validate.Length(min=2, max=200))
    credit_code = StrictString(
        required=True,
        validate=validate.Length(equal=18),
        metadata={"description": "Unified social credit code (GB 32100)"},
    )

    @validates("credit_code")
    def _credit_code(self, value: str, **_: object) -> None:
        if not is_credit_code(value):
            raise ValidationError("Not a valid unified social credit code.")


class RegisterSchema(BaseSchema):
    example: ClassVar[dict[str, Any]] = {
        "phone": "13800000001",
        "password": "qiantang-river-2026",
        "name": "张三",
        "id_number": "330106199003071236",
        "kind": "person",
    }

    phone = phone_field(required=True)
    password = StrictString(
        required=True, strip=False, validate=validate.Length(max=128), load_only=True
    )
    name = StrictString(required=True, validate=validate.Length(min=1, max=100))
    id_number = StrictString(
        load_default=None,
        validate=validate.Length(equal=18),
        metadata={"description": "Resident ID number (MOD 11-2 checked)"},
    )
    kind = StrictString(required=True, validate=validate.OneOf(["person", "enterprise"]))
    enterprise = fields.Nested(EnterpriseSchema, load_default=None)

    @validates("phone")
    def _phone(self, value: str, **_: object) -> None:
        check_phone(value)

    @validates("id_number")
    def _id_number(self, value: str | None, **_: object) -> None:
        if value is not None and not is_resident_id(value.upper()):
            raise ValidationError("Not a valid resident ID number.")


class LoginSchema(BaseSchema):
    example: ClassVar[dict[str, Any]] = {"phone": "13800000001", "password": "qiantang-river-2026"}

    phone = phone_field(required=True)
    password = StrictString(
        required=True, strip=False, validate=validate.Length(max=128), load_only=True
    )


class RefreshSchema(BaseSchema):
    example: ClassVar[dict[str, Any]] = {"refresh_token": "mY3Q2xk9vJ0pGd7LrT1uA8sWbN4eZc6H"}

    refresh_token = StrictString(required=True, validate=validate.Length(min=1, max=256))


class TokenPairSchema(ResponseSchema):
    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(required=True, metadata={"description": "Access token seconds"})
