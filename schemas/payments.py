"""Fees and payments on the wire."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import fields, validate

from schemas.base import (
    BaseSchema,
    Id,
    ResponseSchema,
    StrictInteger,
    StrictString,
    UTCDateTime,
)
from schemas.matters import MAX_FEE

PAYMENT_STATUSES = ["due", "pending", "paid", "refunded"]
FEN = "Integer fen (1/100 CNY)"


class PaymentSummarySchema(ResponseSchema):
    """An application's fee and where its payment stands (null: the service item is free)."""

    amount = fields.Integer(metadata={"description": FEN, "example": 5000})
    currency = fields.String(metadata={"enum": ["CNY"]})
    status = fields.String(metadata={"enum": PAYMENT_STATUSES})


class PaymentSchema(ResponseSchema):
    id = Id()
    application_id = Id()
    amount = fields.Integer(metadata={"description": FEN, "example": 5000})
    currency = fields.String(metadata={"enum": ["CNY"]})
    provider = fields.String(metadata={"example": "sandbox"})
    status = fields.String(metadata={"enum": PAYMENT_STATUSES})
    pay_payload = fields.Dict(
        metadata={
            "description": "What the app hands to the provider's SDK (WeChat Pay prepay "
            "parameters, an Alipay order string, a UnionPay tn; the sandbox: its pay_url)"
        }
    )
    expires_at = UTCDateTime()


class PaymentNotificationSchema(BaseSchema):
    """A provider's notification as the sandbox (and any provider speaking its shape) sends it;
    the signature is over the raw body."""

    example: ClassVar[dict[str, Any]] = {
        "payment_id": "6650c1f0a1b2c3d4e5f60720",
        "amount": 5000,
        "status": "paid",
        "provider_ref": "SBX4E5F60720AB",
    }

    payment_id = StrictString(required=True, validate=validate.Length(min=1, max=64))
    amount = StrictInteger(required=True, minimum=0, maximum=MAX_FEE, metadata={"description": FEN})
    status = StrictString(required=True, validate=validate.OneOf(["paid"]))
    provider_ref = StrictString(
        load_default=None, allow_none=True, validate=validate.Length(max=64)
    )
