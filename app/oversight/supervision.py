"""Supervision (Zhelidu): the event feed scoped to a supervisor's region, follow-up of each
event (acknowledge, notes, close with a finding), and public reports about government work."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app import audit, clock
from app.accounts.auth import Principal
from app.applications.rules import may_read
from app.cases import engine, workflow
from app.cases import repository as cases_repo
from app.catalogue import departments_repository as departments_repo
from app.catalogue import regions_repository as regions_repo
from app.catalogue.regions import ancestors
from app.http import ratelimit
from app.http.errors import Forbidden, NotFound, ValidationFailed
from app.oversight import feed_tails
from app.oversight import repository as repo
from app.oversight.event_rules import EVENT_MACHINE
from app.oversight.events import new_event
from app.pagination import Page

CASE_KIND = "supervision_event"


def scope_of(user: Principal) -> str:
    if not user.region:
        raise Forbidden("Your account has no supervision region.")
    return user.region


def visible(user: Principal, event: Mapping[str, Any]) -> bool:
    return user.region is not None and user.region in (event.get("region_path") or [])


def feed_region(user: Principal, region: str | None) -> str:
    """The region a listing reads: the caller's own, or one inside it (403 outside)."""
    scope = scope_of(user)
    if region is None:
        return scope
    try:
        inside = scope in ancestors(region)
    except ValueError:
        inside = False
    if not inside:
        raise Forbidden(
            "That region is outside your supervision scope.",
            errors={"region": [f"Use {scope} or a region below it."]},
        )
    return region


def feed(user: Principal, args: dict[str, Any]) -> Page:
    return repo.feed(
        feed_region(user, args.get("region")),
        event_type=args.get("type"),
        state=args.get("state"),
        department=args.get("department"),
        limit=args["limit"],
        cursor=args.get("cursor"),
        now=clock.now(),
    )


def get_event(user: Principal, raw_id: str) -> dict[str, Any]:
    try:
        return engine.load(CASE_KIND, raw_id, user)
    except NotFound:
        raise NotFound("No such event.") from None


def _check(action: str, actor: Principal | None, event: Any, context: Any) -> workflow.Transition:
    if actor is None:
        raise Forbidden("Only supervisors follow events up.")
    return EVENT_MACHINE.check(action, event["state"], actor)


EVENT = engine.register(
    engine.CaseType(
        kind=CASE_KIND,
        collection="supervision_events",
        machine=EVENT_MACHINE,
        check=_check,
        visible=visible,
        status_field="state",
    )
)


def _fire(
    user: Principal,
    raw_id: str,
    action: str,
    expected_version: int | None,
    change: engine.Change,
) -> dict[str, Any]:
    event = get_event(user, raw_id)
    # The feed shows the follow-up: its regions' feed stamps renew (app.oversight.feed_tails).
    change.effects = lambda after: [feed_tails.entry(after)]
    return engine.fire(
        CASE_KIND,
        event["_id"],
        action,
        user,
        change=lambda _event: change,
        expected_version=expected_version,
        case=event,
    )


def _author(user: Principal) -> dict[str, Any]:
    return {"id": user.id, "name": user.name, "role": user.role}


def acknowledge(user: Principal, raw_id: str, expected_version: int | None) -> dict[str, Any]:
    change = engine.Change(set={"acknowledged_at": clock.now(), "acknowledged_by": _author(user)})
    return _fire(user, raw_id, "acknowledge", expected_version, change)


def add_note(
    user: Principal, raw_id: str, note: str, expected_version: int | None
) -> dict[str, Any]:
    entry = {"at": clock.now(), "author": _author(user), "note": note}
    change = engine.Change(push={"notes": entry}, note=note, audit_detail={"note": note[:200]})
    return _fire(user, raw_id, "add_note", expected_version, change)


def close(
    user: Principal, raw_id: str, finding: str, expected_version: int | None
) -> dict[str, Any]:
    change = engine.Change(
        set={"finding": finding, "closed_at": clock.now(), "closed_by": _author(user)},
        note=finding,
        audit_detail={"finding": finding[:200]},
    )
    return _fire(user, raw_id, "close", expected_version, change)


def _report_target(user: Principal, data: dict[str, Any]) -> dict[str, Any]:
    """Subject, region and department of a public report, from what the reporter named."""
    department = None
    if data.get("department"):
        department = departments_repo.get(data["department"])
        if department is None:
            raise ValidationFailed(
                "Unknown department.", errors={"department": ["No such department."]}
            )
    if data.get("related_application_id") is not None:
        application = cases_repo.get("application", data["related_application_id"])
        if application is None or not _reporter_may_cite(user, application):
            raise ValidationFailed(
                "Unknown application.",
                errors={"related_application_id": ["No such application of yours."]},
            )
        return {
            "subject_kind": "application",
            "subject_id": application["_id"],
            "tracking_no": application.get("tracking_no"),
            "region": application.get("region"),
            "department": department["_id"] if department else application.get("department"),
        }
    if department is not None:
        return {
            "subject_kind": "department",
            "subject_id": department["_id"],
            "tracking_no": None,
            "region": department["region"],
            "department": department["_id"],
        }
    region = data.get("region") or _top_region()
    return {
        "subject_kind": "region",
        "subject_id": region,
        "tracking_no": None,
        "region": region,
        "department": None,
    }


def _reporter_may_cite(user: Principal, application: dict[str, Any]) -> bool:
    """A reporter cites only an application they may read (their own; staff: one their
    department is involved in; supervisors: their region): the event and the reply carry its
    tracking number, so citing any id would reveal the tracking number of anyone's case."""
    return may_read(user, application)


def _top_region() -> str:
    provinces = [r["_id"] for r in regions_repo.all_regions() if r.get("level") == "province"]
    if len(provinces) != 1:
        raise ValidationFailed(
            "Say which region the report is about.",
            errors={"region": ["Give a department, an application or a region."]},
        )
    return provinces[0]


def report(user: Principal, data: dict[str, Any]) -> dict[str, Any]:
    ratelimit.hit("public_report", user.id, ratelimit.rate("report_limit_user"))
    if data.get("region") and regions_repo.get(data["region"]) is None:
        raise ValidationFailed("Unknown region.", errors={"region": ["No such region."]})
    target = _report_target(user, data)
    what = (
        f"application {target['tracking_no']}"
        if target["subject_kind"] == "application"
        else f"department {target['department']}"
        if target["subject_kind"] == "department"
        else f"government work in region {target['region']}"
    )
    event = new_event(
        "public_report",
        summary=f"Public report about {what}",
        dedupe=False,
        # The reporter stays out of the feed (whistle-blowers); kept for audit and abuse.
        extra={"description": data["description"], "reporter_id": user.oid},
        **target,
    )
    return repo.insert(event, [audit.entry("supervision_event.report", CASE_KIND, event["_id"])])
