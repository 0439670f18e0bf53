"""Delivery of results on the wire: the postal address, dispatch, and a result's delivery."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import fields, validate, validates

from app.delivery.rules import STATUSES
from schemas.auth import check_phone, phone_field
from schemas.base import BaseSchema, Id, ResponseSchema, StrictString, UTCDateTime

WAYBILL = validate.Regexp(r"^[A-Za-z0-9-]{4,40}$")


class DeliveryAddressSchema(BaseSchema):
    """Where a posted result goes (required with `delivery: "post"`)."""

    example: ClassVar[dict[str, Any]] = {
        "name": "林小青",
        "phone": "13800000001",
        "address": "浙江省杭州市西湖区文三路 90 号 3 幢 501 室",
        "region": "330106",
    }

    name = StrictString(required=True, validate=validate.Length(min=1, max=50))
    phone = phone_field(required=True)
    address = StrictString(required=True, validate=validate.Length(min=4, max=200))
    region = StrictString(
        required=True,
        validate=validate.Regexp(r"^\d{6}$"),
        metadata={"description": "Division code of the address"},
    )

    @validates("phone")
    def _phone(self, value: str, **_: object) -> None:
        check_phone(value)


class DeliveryAddressViewSchema(ResponseSchema):
    name = fields.String(
        metadata={"description": "Masked except for the applicant and the lead department"}
    )
    phone = fields.String(allow_none=True, metadata={"description": "Masked as the name"})
    address = fields.String(
        allow_none=True,
        metadata={"description": "Masked as the name; null once the account was closed"},
    )
    region = fields.String()


class DispatchSchema(BaseSchema):
    example: ClassVar[dict[str, Any]] = {"carrier": "sandbox", "waybill_no": "SBX1002003004"}

    carrier = StrictString(
        required=True,
        validate=validate.Length(min=1, max=32),
        metadata={"description": "A configured carrier (development: `sandbox`)"},
    )
    waybill_no = StrictString(required=True, validate=WAYBILL)


class DeliveryEventSchema(ResponseSchema):
    at = UTCDateTime()
    status = fields.String(metadata={"enum": list(STATUSES[1:])})
    note = fields.String(allow_none=True)


class DeliverySchema(ResponseSchema):
    application_id = Id()
    method = fields.String(metadata={"enum": ["electronic", "post", "counter"]})
    address = fields.Nested(DeliveryAddressViewSchema, allow_none=True)
    carrier = fields.String(allow_none=True)
    waybill_no = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": list(STATUSES)})
    dispatched_at = UTCDateTime(allow_none=True)
    delivered_at = UTCDateTime(allow_none=True)
    events = fields.List(fields.Nested(DeliveryEventSchema))


class CallbackAckSchema(ResponseSchema):
    ok = fields.Boolean(
        metadata={
            "description": "Always true: the report was applied (or was "
            "a replay of one applied before)"
        }
    )


class CarrierReportSchema(BaseSchema):
    """A carrier's status report as the sandbox (and any carrier speaking its shape) sends it;
    the signature is over the raw body."""

    example: ClassVar[dict[str, Any]] = {
        "event_id": "SBX-EV-000123",
        "waybill_no": "SBX1002003004",
        "status": "delivered",
        "at": "2026-12-03T06:30:00Z",
        "note": "签收人：本人",
    }

    event_id = StrictString(required=True, validate=validate.Length(min=1, max=64))
    waybill_no = StrictString(required=True, validate=validate.Length(min=1, max=64))
    status = StrictString(required=True, validate=validate.OneOf(list(STATUSES[1:])))
    at = StrictString(
        load_default=None, validate=validate.Length(max=40), metadata={"format": "date-time"}
    )
    note = StrictString(load_default=None, allow_none=True, validate=validate.Length(max=500))
