"""Payment providers: the shape of a real provider's flow (WeChat Pay, Alipay, UnionPay) that
the payments service (app.payments.service) sees, and the development sandbox.

A provider
- `create(payment)`: opens an order for one payment attempt (our payment id is the merchant
  order number, the amount in fen) and answers the `pay_payload` the resident app hands to
  the provider's SDK (WeChat Pay: the prepay parameters; Alipay: the order string; UnionPay:
  the tn), and when the order expires;
- `verify(body, headers)`: checks the signature of a payment notification (the sandbox and
  any HMAC provider: `X-Signature`, app.callbacks; WeChat Pay v3 / Alipay replace this with
  their certificate or RSA check);
- `parse(body)`: reads a verified notification into a `Notification`;
- `query(payment_id)`: the provider's own record of the order (reconciliation);
- `refund(payment_id, amount, refund_id)`: returns the money; `refund_id` is fixed by us, so a
  repeated call refunds once (every real provider takes an out_refund_no).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from app import callbacks, clock
from app.http.errors import BadRequest
from app.i18n import N_
from app.payments import repository as repo


@dataclass(frozen=True)
class Order:
    pay_payload: dict[str, Any]
    expires_at: datetime


@dataclass(frozen=True)
class Notification:
    payment_id: str
    amount: int
    status: str  # "paid"
    provider_ref: str | None


@dataclass(frozen=True)
class ProviderRecord:
    payment_id: str
    amount: int
    status: str  # "pending" | "paid" | "refunded" | "closed"
    refunded: int


class Provider(Protocol):
    name: str

    def create(self, payment: dict[str, Any], description: str, ttl: timedelta) -> Order: ...

    def verify(self, body: bytes, headers: Any) -> None: ...

    def parse(self, body: bytes) -> Notification: ...

    def query(self, payment_id: str) -> ProviderRecord | None: ...

    def refund(self, payment_id: str, amount: int, refund_id: str) -> None: ...


def read_notification(body: bytes) -> Notification:
    """The JSON notification of the sandbox (and of any provider speaking the same shape):
    {"payment_id", "amount" (fen), "status": "paid", "provider_ref"?}."""
    try:
        data = json.loads(body)
    except ValueError:
        raise BadRequest(N_("The notification is not JSON.")) from None
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("payment_id"), str)
        or len(data["payment_id"]) > 64
        or isinstance(data.get("amount"), bool)
        or not isinstance(data.get("amount"), int)
        or data.get("status") != "paid"
    ):
        raise BadRequest(
            N_("The notification needs payment_id, an integer amount in fen and status paid.")
        )
    ref = data.get("provider_ref")
    return Notification(
        data["payment_id"], data["amount"], "paid", ref if isinstance(ref, str) else None
    )


class SandboxProvider:
    """Development default: orders kept in the `payment_sandbox` collection; a payment is
    completed with POST /sandbox/payments/{id}/pay, which sends a signed notification to
    /callbacks/payments/sandbox exactly as a real provider would."""

    name = callbacks.SANDBOX

    def create(self, payment: dict[str, Any], description: str, ttl: timedelta) -> Order:
        expires_at = clock.now() + ttl
        repo.sandbox_open(str(payment["id"]), payment["amount"], expires_at)
        return Order(
            pay_payload={
                "provider": self.name,
                "order_no": str(payment["id"]),
                "amount": payment["amount"],
                "currency": "CNY",
                "description": description[:128],
                "pay_url": f"/api/v1/sandbox/payments/{payment['id']}/pay",
            },
            expires_at=expires_at,
        )

    def verify(self, body: bytes, headers: Any) -> None:
        callbacks.verify("payment", self.name, body, headers.get(callbacks.SIGNATURE_HEADER))

    def parse(self, body: bytes) -> Notification:
        return read_notification(body)

    def query(self, payment_id: str) -> ProviderRecord | None:
        doc = repo.sandbox_get(payment_id)
        if doc is None:
            return None
        return ProviderRecord(payment_id, doc["amount"], doc["status"], doc.get("refunded", 0))

    def refund(self, payment_id: str, amount: int, refund_id: str) -> None:
        repo.sandbox_refund(payment_id, amount, refund_id)

    # The sandbox's own: the resident "pays" in the sandbox.
    def pay(self, payment_id: str) -> dict[str, Any] | None:
        return repo.sandbox_pay(payment_id)


_PROVIDERS: dict[str, Provider] = {}


def register(provider: Provider) -> Provider:
    _PROVIDERS[provider.name] = provider
    return provider


register(SandboxProvider())


def get(name: str) -> Provider | None:
    return _PROVIDERS.get(name)


def default() -> Provider:
    """The provider new payments use: ONEVISIT_PAYMENT_PROVIDER, else the sandbox."""
    import os

    name = os.environ.get("ONEVISIT_PAYMENT_PROVIDER") or callbacks.SANDBOX
    provider = _PROVIDERS.get(name)
    if provider is None:
        raise RuntimeError(f"ONEVISIT_PAYMENT_PROVIDER names no registered provider: {name!r}")
    return provider
