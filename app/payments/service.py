"""Fees and online payment (API.md "The visit avoided: delivery and fees").

A service item's `fee` is in integer fen. An application of an item with a fee carries
`payment: {amount, currency: "CNY", status: due|pending|paid|refunded, ...}` in its own
document, so the provider's confirmation, the case's timeline, its audit record and the
applicant's notification are one write (app.store, outbox). The rules:
- the applicant opens a payment (`start`, the case engine's `pay`): a new order at the
  provider while none is open; an open one is answered again;
- a provider's notification (`confirm`) is verified (app.callbacks), then a compare-and-set
  on the payment's status `pending`: a replay or a second notification racing the first finds
  it paid and changes nothing; an amount other than the payment's is refused (422) and the
  payment stays pending;
- acceptance waits for payment (`require_paid`: 409);
- rejection, withdrawal or termination (a lapsed promise, app.applications.deferred) after
  payment queues one refund (`refund_effects`), applied by the relay exactly once
  (`payment_refund`); a payment confirmed after the case closed is refunded the same way.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from flask import current_app
from pymongo.client_session import ClientSession

from app import audit, callbacks, clock, i18n, outbox
from app.accounts.auth import Principal
from app.cases import engine, workflow
from app.http.errors import Conflict, NotFound, ValidationFailed
from app.i18n import N_
from app.messaging.notify import notification
from app.payments import providers
from app.payments import repository as repo

CURRENCY = "CNY"
CASE_KIND = "application"
CLOSED = ("rejected", "withdrawn", "terminated")


def _settings() -> Any:
    return current_app.extensions["settings"]


def initial(matter: dict[str, Any]) -> dict[str, Any] | None:
    """The payment a new application of MATTER carries: none without a fee."""
    fee = int(matter.get("fee") or 0)
    if fee <= 0:
        return None
    return {
        "id": None,
        "amount": fee,
        "currency": CURRENCY,
        "status": "due",
        "provider": None,
        "pay_payload": None,
        "expires_at": None,
        "created_at": None,
        "paid_at": None,
        "provider_ref": None,
        "refunded_at": None,
    }


def require_paid(case: dict[str, Any]) -> None:
    """Acceptance waits for the fee (409 while it is due or pending)."""
    payment = case.get("payment")
    if payment is not None and payment["status"] != "paid":
        raise Conflict(
            N_("The fee of this application is not paid yet."),
            errors={"payment": [N_("Expected status paid.")]},
        )


def _tell(case: dict[str, Any], kind: str, title: str, body: str) -> dict[str, Any]:
    payment = case["payment"]
    return notification(
        case["applicant_id"],
        f"payment.{kind}",
        title,
        body,
        params={
            "no": case["tracking_no"],
            "amount": f"{payment['amount'] / 100:.2f}",
        },
        subject={"kind": CASE_KIND, "id": str(case["_id"]), "tracking_no": case["tracking_no"]},
    )


# ---------------------------------------------------------------- opening a payment


def start(
    user: Principal, application_id: str, expected_version: int | None = None
) -> dict[str, Any]:
    """Open a payment of my application's fee (or answer the one still open)."""

    def change(case: dict[str, Any]) -> engine.Change:
        payment = case.get("payment")
        if payment is None:
            raise Conflict(N_("This application has no fee to pay."))
        if payment["status"] in ("paid", "refunded"):
            raise Conflict(
                N_("The fee of this application is paid already."),
                errors={"payment": [N_("Expected status due or pending.")]},
            )
        now = clock.now()
        if payment["status"] == "pending" and payment["expires_at"] > now:
            return engine.Change(noop=True)
        provider = providers.default()
        attempt = {**payment, "id": ObjectId(), "provider": provider.name, "created_at": now}
        order = provider.create(
            attempt,
            f"{case['tracking_no']} {i18n.localized(case['matter']['name'], 'zh-CN')}",
            timedelta(minutes=_settings().rules.payment_ttl_minutes),
        )
        attempt.update(status="pending", pay_payload=order.pay_payload, expires_at=order.expires_at)
        return engine.Change(
            set={"payment": attempt, "payment_key": str(attempt["id"])},
            filter={"payment.status": payment["status"], "payment.id": payment["id"]},
            audit_detail={"payment_id": str(attempt["id"]), "amount": attempt["amount"]},
        )

    return engine.fire(
        CASE_KIND, application_id, "pay", user, change=change, expected_version=expected_version
    )


def view(case: dict[str, Any]) -> dict[str, Any]:
    payment = case["payment"]
    return {
        "id": payment["id"],
        "application_id": case["_id"],
        "amount": payment["amount"],
        "currency": payment["currency"],
        "provider": payment["provider"],
        "status": payment["status"],
        "pay_payload": payment["pay_payload"],
        "expires_at": payment["expires_at"],
    }


# ---------------------------------------------------------------- the provider's confirmation


def confirm(provider_name: str, body: bytes, headers: Any) -> dict[str, Any]:
    """A provider's payment notification: verified, then applied once. Answers the payment."""
    provider = providers.get(provider_name)
    if provider is None:
        raise NotFound(N_("No such provider."))
    provider.verify(body, headers)
    note = provider.parse(body)
    for _ in range(engine.RETRIES):
        case = repo.by_payment_id(note.payment_id)
        if case is None or case["payment"]["provider"] != provider.name:
            raise NotFound(N_("No such payment."))
        payment = case["payment"]
        if payment["status"] in ("paid", "refunded"):
            return view(case)  # a replay: nothing happens twice
        if note.amount != payment["amount"]:
            raise ValidationFailed(
                N_("The amount paid differs from the payment's amount."),
                errors={"amount": [N_("Expected the payment's amount in fen.")]},
            )
        now = clock.now()
        status = case["status"]
        entry = workflow.timeline_entry(None, "payment_confirmed", status, status, at=now)
        update = {
            "$set": {
                "payment.status": "paid",
                "payment.paid_at": now,
                "payment.provider_ref": note.provider_ref,
                "updated_at": now,
            },
            "$inc": {"version": 1},
            "$push": {"timeline": entry},
        }
        after = engine.apply_locally(case, update)
        entries = [
            audit.entry(
                "application.payment_confirmed",
                CASE_KIND,
                case["_id"],
                before={"payment.status": "pending"},
                after={"payment.status": "paid"},
                detail={"payment_id": note.payment_id, "amount": note.amount},
                actor={"id": None, "role": "system", "provider": provider.name},
            ),
            _tell(
                after,
                "paid",
                N_("Fee paid"),
                N_("We received your payment of {amount} yuan for application {no}."),
            ),
        ]
        if status in CLOSED:  # paid after the case closed: it goes straight back
            entries += refund_effects(after)
        if repo.confirm(case["_id"], payment["id"], update, entries):
            return view(after)
    raise Conflict(N_("Someone else changed this case at the same moment; reload and retry."))


# ---------------------------------------------------------------- refunds


def refund_effects(after: dict[str, Any]) -> list[dict[str, Any]]:
    """The refund a rejected, withdrawn or terminated case owes (none unless its fee was
    paid)."""
    payment = after.get("payment")
    if payment is None or payment["status"] != "paid":
        return []
    return [
        outbox.entry(
            "payment_refund",
            application_id=after["_id"],
            payment_id=payment["id"],
            provider=payment["provider"],
            amount=payment["amount"],
        )
    ]


@outbox.applier("payment_refund")
def _apply_refunds(pending: list[outbox.Pending], session: ClientSession) -> None:
    """Refund at the provider (its refund id is the entry's, so a relay retried after a crash
    refunds once) and mark the case's payment refunded, in the relay's transaction."""
    for item in pending:
        e = item.entry
        provider = providers.get(e["provider"])
        if provider is None:
            raise RuntimeError(f"no payment provider {e['provider']!r} to refund through")
        provider.refund(str(e["payment_id"]), e["amount"], e["id"])
        case = repo.applications().find_one({"_id": e["application_id"]}, session=session)
        if case is None or (case.get("payment") or {}).get("id") != e["payment_id"]:
            continue
        now = clock.now()
        status = case["status"]
        entry = workflow.timeline_entry(None, "payment_refunded", status, status, at=now)
        update = {
            "$set": {"payment.status": "refunded", "payment.refunded_at": now, "updated_at": now},
            "$inc": {"version": 1},
            "$push": {"timeline": entry},
        }
        after = engine.apply_locally(case, update)
        repo.refunded(
            case["_id"],
            e["payment_id"],
            update,
            [
                audit.entry(
                    "application.payment_refunded",
                    CASE_KIND,
                    case["_id"],
                    before={"payment.status": "paid"},
                    after={"payment.status": "refunded"},
                    detail={"payment_id": str(e["payment_id"]), "amount": e["amount"]},
                    actor={"id": None, "role": "system"},
                ),
                _tell(
                    after,
                    "refunded",
                    N_("Fee refunded"),
                    N_("The fee of {amount} yuan for application {no} was refunded."),
                ),
            ],
            session,
        )


# ---------------------------------------------------------------- the sandbox


def sandbox_pay(payment_id: str) -> dict[str, Any]:
    """The development sandbox completes a payment and notifies us as a provider would: a
    signed request to the callback path (404 in production)."""
    if _settings().production:
        raise NotFound()
    sandbox = providers.get(callbacks.SANDBOX)
    assert isinstance(sandbox, providers.SandboxProvider)
    order = sandbox.pay(payment_id)
    if order is None:
        raise NotFound(N_("No such open payment."))
    body = json.dumps(
        {
            "payment_id": payment_id,
            "amount": order["amount"],
            "status": "paid",
            "provider_ref": f"SBX{payment_id[-12:].upper()}",
        }
    ).encode()
    secret = callbacks.secrets_of("payment")[callbacks.SANDBOX]
    return confirm(
        callbacks.SANDBOX, body, {callbacks.SIGNATURE_HEADER: callbacks.sign(secret, body)}
    )


# ---------------------------------------------------------------- reconciliation


def reconcile(day: datetime) -> dict[str, Any]:
    """The daily report (China-local day starting at DAY): payments confirmed and refunds made
    that day, totals in fen, and every difference between our records and the provider's."""
    end = day + timedelta(days=1)
    paid = repo.paid_between(day, end)
    refunds = repo.refunded_between(day, end)
    mismatches: list[dict[str, Any]] = []
    checked: dict[ObjectId, dict[str, Any]] = {}
    for doc in [*paid, *refunds]:
        checked[doc["payment"]["id"]] = doc
    for pid, doc in checked.items():
        payment = doc["payment"]
        provider = providers.get(payment["provider"])
        record = provider.query(str(pid)) if provider is not None else None
        ours = payment["status"]
        if record is None:
            mismatches.append({"payment_id": str(pid), "ours": ours, "provider": None})
        elif record.amount != payment["amount"] or record.status != ours:
            mismatches.append(
                {
                    "payment_id": str(pid),
                    "ours": ours,
                    "provider": record.status,
                    "amount": payment["amount"],
                    "provider_amount": record.amount,
                }
            )

    def line(doc: dict[str, Any], at: str) -> dict[str, Any]:
        payment = doc["payment"]
        return {
            "payment_id": str(payment["id"]),
            "tracking_no": doc["tracking_no"],
            "department": doc["department"],
            "provider": payment["provider"],
            "amount": payment["amount"],
            "at": payment[at].isoformat(),
        }

    return {
        "date": day.date().isoformat(),
        "currency": CURRENCY,
        "payments": [line(d, "paid_at") for d in paid],
        "refunds": [line(d, "refunded_at") for d in refunds],
        "totals": {
            "paid": sum(d["payment"]["amount"] for d in paid),
            "refunded": sum(d["payment"]["amount"] for d in refunds),
            "net": sum(d["payment"]["amount"] for d in paid)
            - sum(d["payment"]["amount"] for d in refunds),
        },
        "mismatches": mismatches,
    }
