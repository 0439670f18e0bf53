"""Users, profiles, devices, and the admin's user management."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import ValidationError, fields, validate, validates

from app.accounts.auth import DUTIES, ROLES
from app.accounts.identity import is_resident_id, mask_phone, mask_resident_id
from app.messaging.work_rules import KINDS, settings_of
from schemas.auth import EnterpriseSchema, check_phone, phone_field
from schemas.base import (
    BaseSchema,
    Id,
    QuerySchema,
    ResponseSchema,
    StrictBoolean,
    StrictString,
    UTCDateTime,
)

# FCM tokens are ~160 characters, APNs 64: room to spare, and short enough to be a path
# segment of DELETE /me/devices/{token} within the request-line limit (4094 bytes).
MAX_DEVICE_TOKEN = 1024


class StaffNotificationsSchema(BaseSchema):
    """Which kinds of work a staff member is told of (all on until turned off)."""

    acceptance = StrictBoolean(
        metadata={"description": "A new case in my window's acceptance queue"}
    )
    review = StrictBoolean(metadata={"description": "A review task opened for my department"})
    supplement = StrictBoolean(
        metadata={"description": "Materials handed back on a case I asked them of"}
    )
    complaint = StrictBoolean(
        metadata={
            "description": "A complaint filed with, assigned, transferred back or reopened "
            "to my department"
        }
    )


_STAFF_NOTIFICATIONS = (
    "Staff only: which kinds of work reaching my inbox I am told of, in-app and by push. "
    "What arrives is summarised in one notification (kind `staff_work`) at most once per "
    "ONEVISIT_WORK_DIGEST_INTERVAL_SECONDS (default 300)."
)


class UserSchema(ResponseSchema):
    id = Id(attribute="_id", dump_only=True)
    phone = fields.Function(
        lambda u: mask_phone(u.get("phone")),
        dump_only=True,
        metadata={"description": "Masked, e.g. 138****5678"},
    )
    name = fields.String()
    kind = fields.String(metadata={"description": "person or enterprise"})
    role = fields.String(metadata={"enum": list(ROLES)})
    id_number = fields.Function(
        lambda u: mask_resident_id(u.get("id_number")) if u.get("id_number") else None,
        dump_only=True,
        metadata={"description": "Masked resident ID number"},
    )
    enterprise = fields.Nested(EnterpriseSchema, allow_none=True)
    department = fields.String(allow_none=True)
    duties = fields.List(fields.String(), dump_default=list)
    region = fields.String(allow_none=True)
    disabled = fields.Boolean(dump_only=True, metadata={"description": "Disabled by an admin"})
    staff_notifications = fields.Function(
        settings_of,
        dump_only=True,
        metadata={
            "description": _STAFF_NOTIFICATIONS + " null for other roles.",
            "type": ["object", "null"],
            "properties": {kind: {"type": "boolean"} for kind in KINDS},
            "required": list(KINDS),
        },
    )
    created_at = UTCDateTime(dump_only=True)


class ProfileUpdateSchema(BaseSchema):
    example: ClassVar[dict[str, Any]] = {
        "name": "张三",
        "staff_notifications": {"acceptance": False},
    }

    name = StrictString(validate=validate.Length(min=1, max=100))
    id_number = StrictString(allow_none=True, validate=validate.Length(equal=18))
    enterprise = fields.Nested(EnterpriseSchema)
    password = StrictString(strip=False, validate=validate.Length(max=128), load_only=True)
    current_password = StrictString(strip=False, validate=validate.Length(max=128), load_only=True)
    staff_notifications = fields.Nested(
        StaffNotificationsSchema,
        metadata={
            "description": _STAFF_NOTIFICATIONS
            + ' Give only the kinds to change, e.g. {"acceptance": false}; others keep '
            "their setting. Other roles get 422."
        },
    )

    @validates("id_number")
    def _id_number(self, value: str | None, **_: object) -> None:
        if value is not None and not is_resident_id(value.upper()):
            raise ValidationError("Not a valid resident ID number.")


class AdminUserCreateSchema(BaseSchema):
    example: ClassVar[dict[str, Any]] = {
        "phone": "13900000002",
        "password": "xihu-window-2026",
        "name": "李四",
        "role": "staff",
        "department": "AMR-330100",
        "duties": ["window", "reviewer"],
    }

    phone = phone_field(required=True)
    password = StrictString(
        required=True, strip=False, validate=validate.Length(max=128), load_only=True
    )
    name = StrictString(required=True, validate=validate.Length(min=1, max=100))
    role = StrictString(required=True, validate=validate.OneOf(["staff", "supervisor", "admin"]))
    department = StrictString(validate=validate.Length(max=64))
    duties = fields.List(
        StrictString(validate=validate.OneOf(DUTIES)), validate=validate.Length(max=3)
    )
    region = StrictString(validate=validate.Regexp(r"^\d{6}$"))

    @validates("phone")
    def _phone(self, value: str, **_: object) -> None:
        check_phone(value)


class UserListArgs(QuerySchema):
    role = StrictString(validate=validate.OneOf(ROLES))
    department = StrictString(validate=validate.Length(max=64))


class DeviceSchema(BaseSchema):
    example: ClassVar[dict[str, Any]] = {
        "platform": "fcm",
        "token": "dQw4w9WgXcQ:APA91bHun4MxP5egoKMwt2KZFBaFUH",
    }

    platform = StrictString(required=True, validate=validate.OneOf(["fcm", "apns"]))
    token = StrictString(required=True, validate=validate.Length(min=8, max=MAX_DEVICE_TOKEN))
