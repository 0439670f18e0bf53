"""Rectifications (好差评整改): the case a bad rating of an application opens, through the case
engine: the lead department's heads call the applicant back and resolve it within
`DomainRules.rectification_working_days` working days, or appeal the rating; a supervisor of
the region decides, and an upheld appeal takes the rating out of the KPIs. Rules in
`app.rectifications.rules`; every side effect (KPI counters, the applicant's notifications,
the rating's exclusion) travels in the rectification's own write."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import current_app
from pymongo.client_session import ClientSession

from app import clock, outbox, privacy
from app.accounts.auth import Principal
from app.cases import calendar, engine, inbox, workflow
from app.cases.workcalendar import CHINA_TZ
from app.catalogue.regions import ancestors
from app.i18n import N_
from app.messaging.notify import notification
from app.oversight import kpi
from app.pagination import Page
from app.rectifications import repository as repo
from app.rectifications import rules

CASE_KIND = "rectification"
OPEN_STATES = (rules.OPEN, rules.CALLED_BACK)


def _rules():
    return current_app.extensions["settings"].rules


def _derive(case: Mapping[str, Any]) -> dict[str, Any]:
    """The inbox key: the lead department while its heads must act."""
    return {"inbox_department": case["department"] if case["status"] in OPEN_STATES else None}


RECTIFICATION = engine.register(
    engine.CaseType(
        kind=CASE_KIND,
        collection=repo.COLLECTION,
        machine=rules.MACHINE,
        check=rules.check,
        visible=rules.visible,
        derive=_derive,
    )
)

_MESSAGES = {
    "open": (
        N_("Your rating is being followed up"),
        N_(
            "You rated application {no} {score} of 5. The department will contact you and fix "
            "the problem by {due}."
        ),
    ),
    "callback": (
        N_("The department contacted you"),
        N_("The department recorded its call back about application {no}: {detail}"),
    ),
    "resolve": (
        N_("Your rating was answered"),
        N_("The department reports on application {no}: {detail}. You may rate it once more."),
    ),
    "upheld": (
        N_("Appeal against your rating upheld"),
        N_("The supervisor found your rating of application {no} unfair: {detail}"),
    ),
    "rejected": (
        N_("Appeal against your rating rejected"),
        N_("Your rating of application {no} stands; the department must still answer it."),
    ),
}


def _tell_applicant(doc: Mapping[str, Any], what: str, detail: str = "") -> dict[str, Any]:
    title, body = _MESSAGES[what]
    local_due = doc["due_at"].astimezone(CHINA_TZ) if doc.get("due_at") else None
    return notification(
        doc["applicant_id"],
        f"rectification.{what}",
        title,
        body,
        params={
            "no": doc["tracking_no"],
            "score": doc["rating"]["score"],
            "due": f"{local_due:%Y-%m-%d}" if local_due else "",
            "detail": detail,
        },
        subject={"kind": CASE_KIND, "id": str(doc["_id"]), "tracking_no": doc["tracking_no"]},
    )


# ------------------------------------------------------------------ opening


def opening_entry(case: Mapping[str, Any], rating: Mapping[str, Any], now: datetime) -> dict:
    """The outbox entry, queued in the rating's own write, that files the rectification."""
    due = calendar.due_at(
        now, {"value": _rules().rectification_working_days, "unit": "working_days"}
    )
    doc = {
        "_id": rating["rectification_id"],
        "application_id": case["_id"],
        "tracking_no": case["tracking_no"],
        "applicant_id": case["applicant_id"],
        "department": case["department"],
        "region": case["region"],
        "region_path": case.get("region_path") or ancestors(case["region"]),
        "matter": {"code": case["matter"]["code"], "name": case["matter"]["name"]},
        "rating": {
            k: rating.get(k) for k in ("score", "comment", "tags", "target", "window", "staff")
        }
        | {"at": rating["at"]},
        "status": rules.OPEN,
        "version": 1,
        "opened_at": now,
        "due_at": due,
        "overdue_at": due,
        "callback": None,
        "resolution": None,
        "appeal": None,
        "resolved_at": None,
        "timeline": [workflow.timeline_entry(None, "open", None, rules.OPEN, at=now)],
        "created_at": now,
        "updated_at": now,
    }
    return outbox.entry("rectification_open", rectification=doc)


@outbox.applier("rectification_open")
def _apply_open(pending: list[outbox.Pending], session: ClientSession) -> None:
    for item in pending:
        doc = dict(item.entry["rectification"])
        if repo.exists(doc["_id"], session):
            continue  # applied before (a relay that crashed after its commit)
        engine.create(
            CASE_KIND,
            doc,
            audit_after={"status": rules.OPEN, "version": 1},
            audit_detail={"application_id": str(doc["application_id"])},
            effects=[
                *kpi.increment(
                    doc["department"], doc["region"], doc["opened_at"], rectifications_opened=1
                ),
                _tell_applicant(doc, "open"),
            ],
            session=session,
        )


# ------------------------------------------------------------------ reading


def get(user: Principal, rectification_id: str) -> dict[str, Any]:
    return engine.load(CASE_KIND, rectification_id, user)


def present(user: Principal, doc: dict[str, Any]) -> dict[str, Any]:
    """The API view: `overdue` computed; the rated staff member's name only for the
    department's staff and supervisors."""
    view = privacy.people_in(dict(doc))
    view["overdue"] = rules.overdue(doc, clock.now())
    if user.role not in ("staff", "supervisor"):
        rating = dict(view.get("rating") or {})
        for key in ("window", "staff"):
            if rating.get(key):
                rating[key] = {**rating[key], "name": None}
        view["rating"] = rating
    return view


def inbox_provider(user: Principal, overdue: bool | None, limit: int, cursor: str | None) -> Page:
    """Staff inbox kind=rectification: the lead department's open rectifications, for its
    heads, earliest due first."""
    if user.role != "staff" or not user.department or "head" not in (user.duties or ()):
        return Page([], None)
    now = clock.now()
    page = repo.inbox_page(user.department, overdue, now, limit, cursor)
    items = [
        {
            **doc,
            "kind": CASE_KIND,
            "title": doc["matter"]["name"],
            "matter": None,
            "submitted_at": doc["opened_at"],
            "overdue": rules.overdue(doc, now),
        }
        for doc in page.items
    ]
    return Page(items, page.next_cursor)


inbox.register_provider("rectification", inbox_provider)


# ------------------------------------------------------------------ transitions


def _fire(
    user: Principal,
    rectification_id: str,
    action: str,
    expected_version: int | None,
    change: Any,
) -> dict[str, Any]:
    return engine.fire(
        CASE_KIND, rectification_id, action, user, change=change, expected_version=expected_version
    )


def _by(user: Principal) -> dict[str, Any]:
    return {"id": user.id, "name": user.name, "department": user.department}


def callback(
    user: Principal, rectification_id: str, note: str, expected_version: int | None
) -> dict[str, Any]:
    def change(doc: dict[str, Any]) -> engine.Change:
        return engine.Change(
            set={"callback": {"note": note, "at": clock.now(), "by": _by(user)}},
            note=note,
            effects=lambda after: [_tell_applicant(after, "callback", note)],
        )

    return _fire(user, rectification_id, "callback", expected_version, change)


def resolution_increments(doc: Mapping[str, Any]) -> dict[str, float]:
    """What resolving a rectification adds to the counters (the transition and `kpi rebuild`
    share this rule): on time when resolved by its due time; its working hours."""
    resolved_at = doc["resolved_at"]
    inc: dict[str, float] = {
        "rectifications_resolved": 1,
        "rectification_hours_sum": calendar.working_hours_between(doc["opened_at"], resolved_at),
    }
    if doc.get("due_at") is None or resolved_at <= doc["due_at"]:
        inc["rectifications_on_time"] = 1
    return inc


def resolve(
    user: Principal, rectification_id: str, action_taken: str, expected_version: int | None
) -> dict[str, Any]:
    def change(doc: dict[str, Any]) -> engine.Change:
        now = clock.now()

        def effects(after: dict[str, Any]) -> list[dict[str, Any]]:
            return [
                *kpi.increment(
                    after["department"], after["region"], now, **resolution_increments(after)
                ),
                _tell_applicant(after, "resolve", action_taken),
            ]

        return engine.Change(
            set={
                "resolution": {"action_taken": action_taken, "at": now, "by": _by(user)},
                "resolved_at": now,
                "overdue_at": None,
            },
            note=action_taken,
            effects=effects,
        )

    return _fire(user, rectification_id, "resolve", expected_version, change)


def appeal(
    user: Principal, rectification_id: str, reason: str, expected_version: int | None
) -> dict[str, Any]:
    def change(doc: dict[str, Any]) -> engine.Change:
        return engine.Change(
            set={
                "appeal": {
                    "reason": reason,
                    "at": clock.now(),
                    "by": _by(user),
                    "from_status": doc["status"],
                    "upheld": None,
                    "note": None,
                    "decided_at": None,
                    "decided_by": None,
                }
            },
            filter={"appeal": None},
            note=reason,
        )

    return _fire(user, rectification_id, "appeal", expected_version, change)


def upheld_increments(doc: Mapping[str, Any]) -> list[tuple[datetime, dict[str, float]]]:
    """What an upheld appeal moves, as (day, increments): the rating taken back on its own day,
    and the appeal counted on the decision's (shared with `kpi rebuild`)."""
    rating = doc["rating"]
    undo = kpi.rating_increments(int(rating["score"]), "application")
    return [
        (rating["at"], {k: -v for k, v in undo.items()}),
        (doc["appeal"]["decided_at"], {"appeals_upheld": 1}),
    ]


def decide_appeal(
    user: Principal,
    rectification_id: str,
    upheld: bool,
    note: str,
    expected_version: int | None,
) -> dict[str, Any]:
    def change(doc: dict[str, Any]) -> engine.Change:
        now = clock.now()
        decision = {"upheld": upheld, "note": note, "decided_at": now, "decided_by": _by(user)}
        fields = {f"appeal.{k}": v for k, v in decision.items()}
        if upheld:
            fields["overdue_at"] = None

        def effects(after: dict[str, Any]) -> list[dict[str, Any]]:
            if not upheld:
                return [_tell_applicant(after, "rejected")]
            entries: list[dict[str, Any]] = []
            for at, inc in upheld_increments(after):
                entries += kpi.increment(after["department"], after["region"], at, **inc)
            entries.append(
                outbox.entry(
                    "rating_excluded",
                    application_id=after["application_id"],
                    rectification_id=after["_id"],
                )
            )
            entries.append(_tell_applicant(after, "upheld", note))
            return entries

        return engine.Change(
            set=fields,
            target=rules.APPEAL_UPHELD if upheld else doc["appeal"]["from_status"],
            note=note,
            audit_detail={"upheld": upheld},
            effects=effects,
        )

    return _fire(user, rectification_id, "decide_appeal", expected_version, change)


@outbox.applier("rating_excluded")
def _apply_excluded(pending: list[outbox.Pending], session: ClientSession) -> None:
    for item in pending:
        repo.exclude_rating(item.entry["application_id"], item.entry["rectification_id"], session)
