"""Delivery of results (API.md "The visit avoided: delivery and fees"): the postal address a
`post` application needs at submission, masked by app/privacy.py's policy for everyone but the
applicant and the lead department; dispatch by the lead department after completion (the case
engine's `dispatch`); carriers' status reports, verified (app.callbacks) and applied once each
(a replayed event changes nothing), each in the case's own write with its audit record."""

from __future__ import annotations

from typing import Any

from app import audit, clock, privacy
from app.accounts.auth import Principal
from app.accounts.identity import mask_name, mask_phone
from app.applications import rules as wf
from app.cases import engine, workflow
from app.delivery import providers, rules
from app.delivery import repository as repo
from app.http.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.i18n import N_
from app.messaging.notify import notification
from app.oversight import kpi

CASE_KIND = "application"


# ---------------------------------------------------------------- at submission


def address_errors(data: dict[str, Any]) -> dict[str, list[str]]:
    if data.get("delivery") == rules.POST and not data.get("delivery_address"):
        return {"delivery_address": [N_("A postal delivery needs an address.")]}
    return {}


def stored_address(data: dict[str, Any]) -> dict[str, Any] | None:
    """The address a submission keeps: only for postal delivery."""
    address = data.get("delivery_address")
    if data.get("delivery") != rules.POST or not address:
        return None
    return {k: address[k] for k in ("name", "phone", "address", "region")}


def present_address(case: dict[str, Any], reader: Principal | None = None) -> Any:
    address = case.get("delivery_address")
    if address is None:
        return None
    privacy.mark()
    reader = reader if reader is not None else privacy.reader()
    if rules.sees_address(reader, case):
        return dict(address)
    return {
        "name": mask_name(address.get("name")),
        "phone": mask_phone(address.get("phone")),
        "address": privacy.mask_address(address.get("address")),
        "region": address.get("region"),
    }


# ---------------------------------------------------------------- dispatch and reading


def dispatch(
    user: Principal,
    application_id: str,
    carrier: str,
    waybill_no: str,
    expected_version: int | None = None,
) -> dict[str, Any]:
    if providers.get(carrier) is None:
        raise ValidationFailed(N_("No such carrier."), errors={"carrier": [N_("No such carrier.")]})

    def change(case: dict[str, Any]) -> engine.Change:
        if case.get("delivery") != rules.POST:
            raise Conflict(N_("This application's result is not delivered by post."))
        if case.get("shipment") is not None:
            raise Conflict(N_("This result has been dispatched already."))
        now = clock.now()
        shipment = {
            "carrier": carrier,
            "waybill_no": waybill_no,
            "status": "dispatched",
            "dispatched_at": now,
            "delivered_at": None,
            "events": [{"id": None, "at": now, "status": "dispatched", "note": None}],
        }
        return engine.Change(
            set={"shipment": shipment, "shipment_key": f"{carrier}|{waybill_no}"},
            filter={"shipment": None},
            note=f"{carrier} {waybill_no}",
            audit_detail={"carrier": carrier, "waybill_no": waybill_no},
            effects=lambda after: [
                _tell(
                    after,
                    "dispatched",
                    N_("Result dispatched"),
                    N_("The result of application {no} was sent by {carrier}, waybill {waybill}."),
                )
            ],
        )

    return engine.fire(
        CASE_KIND,
        application_id,
        "dispatch",
        user,
        change=change,
        expected_version=expected_version,
    )


def _tell(case: dict[str, Any], kind: str, title: str, body: str) -> dict[str, Any]:
    shipment = case["shipment"]
    return notification(
        case["applicant_id"],
        f"delivery.{kind}",
        title,
        body,
        params={
            "no": case["tracking_no"],
            "carrier": shipment["carrier"],
            "waybill": shipment["waybill_no"],
        },
        subject={"kind": CASE_KIND, "id": str(case["_id"]), "tracking_no": case["tracking_no"]},
    )


def get(user: Principal, application_id: str) -> dict[str, Any]:
    """The delivery of my result, or of a case my department handles."""
    case = engine.load(CASE_KIND, application_id, user)
    if not (wf.is_owner(user, case) or wf.is_involved_staff(user, case)):
        raise Forbidden(N_("Only the applicant and staff handling the case read its delivery."))
    return view(case, user)


def view(case: dict[str, Any], reader: Principal | None) -> dict[str, Any]:
    shipment = case.get("shipment") or {}
    return {
        "application_id": case["_id"],
        "method": case["delivery"],
        "address": present_address(case, reader),
        "carrier": shipment.get("carrier"),
        "waybill_no": shipment.get("waybill_no"),
        "status": shipment.get("status", "pending"),
        "dispatched_at": shipment.get("dispatched_at"),
        "delivered_at": shipment.get("delivered_at"),
        "events": [
            {"at": e["at"], "status": e["status"], "note": e.get("note")}
            for e in shipment.get("events", [])
        ],
    }


# ---------------------------------------------------------------- carriers' reports


def report(provider_name: str, body: bytes, headers: Any) -> dict[str, Any]:
    """A carrier's status report: verified, then applied once per event id."""
    carrier = providers.get(provider_name)
    if carrier is None:
        raise NotFound(N_("No such provider."))
    carrier.verify(body, headers)
    event = carrier.parse(body)
    for _ in range(engine.RETRIES):
        case = repo.by_waybill(carrier.name, event.waybill_no)
        if case is None:
            raise NotFound(N_("No such waybill."))
        shipment = case["shipment"]
        if any(e.get("id") == event.event_id for e in shipment["events"]):
            return view(case, None)  # a replay: no second event
        now = clock.now()
        item = {"id": event.event_id, "at": event.at, "status": event.status, "note": event.note}
        entry = workflow.timeline_entry(
            None, f"delivery_{event.status}", case["status"], case["status"], event.note, at=now
        )
        fields: dict[str, Any] = {"shipment.status": event.status, "updated_at": now}
        first_delivery = event.status == "delivered" and shipment.get("delivered_at") is None
        if first_delivery:
            fields["shipment.delivered_at"] = event.at
        update = {
            "$set": fields,
            "$inc": {"version": 1},
            "$push": {"shipment.events": item, "timeline": entry},
        }
        after = engine.apply_locally(case, update)
        entries = [
            audit.entry(
                f"application.delivery_{event.status}",
                CASE_KIND,
                case["_id"],
                before={"shipment.status": shipment["status"]},
                after={"shipment.status": event.status},
                detail={"carrier": carrier.name, "event_id": event.event_id},
                actor={"id": None, "role": "system", "provider": carrier.name},
            )
        ]
        if first_delivery and rules.posted_delivered_at(after) is not None:
            entries += kpi.increment(
                after["department"], after["region"], event.at, results_remote=1
            )
        if event.status in ("delivered", "returned"):
            title, body_ = (
                (N_("Result delivered"), N_("The result of application {no} was delivered."))
                if event.status == "delivered"
                else (
                    N_("Result returned"),
                    N_("The result of application {no} came back to the department."),
                )
            )
            entries.append(_tell(after, event.status, title, body_))
        if repo.add_event(case["_id"], case["version"], event.event_id, update, entries):
            return view(after, None)
    raise Conflict(N_("Someone else changed this case at the same moment; reload and retry."))
