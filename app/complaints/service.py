"""Complaints, inquiries, suggestions and disputes (12345 hotline / "At Most One Stop"):
submission with repeat detection, routing by the hotline, refusal back to its queue, replies,
mediation, resolution, confirmation, reopening, auto-close and ratings, with the SLA clock.

Clock rules (fields as in the shared case conventions):
- The clock starts at submission: `due_at` = the category's time limit in working days.
- A refused assignment is charged to nobody: the working time between the assignment and the
  refusal is added to `clock_excluded_seconds`, and `due_at`/`warn_at` move back by it (time
  in the hotline queue still counts: routing is part of handling).
- `resolve` stops the clock (`warn_at`/`overdue_at` null, `due_at` kept for KPIs).
- `reopen` restarts it from the reopening with a fresh time limit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from bson import ObjectId
from flask import current_app

from app import audit, clock, i18n, privacy
from app.accounts import repository as users_repo
from app.accounts.auth import Principal
from app.accounts.identity import mask_name, mask_phone
from app.applications import repository as applications_repo
from app.cases import calendar, engine, workflow
from app.cases.tracking import next_tracking_no
from app.cases.workcalendar import SECONDS_PER_DAY
from app.catalogue import departments_repository as departments_repo
from app.catalogue import regions_repository as regions_repo
from app.catalogue.regions import ancestors
from app.complaints import categories, rules
from app.complaints import repository as repo
from app.complaints.rules import MACHINE, OWNER_ROLES
from app.http.errors import Conflict, NotFound, ValidationFailed
from app.i18n import N_
from app.messaging import work_notices, work_rules
from app.messaging.notify import notification
from app.oversight import events, kpi
from app.pagination import Page
from app.rectifications import ratings
from app.wallet import attachments

log = logging.getLogger("onevisit.complaints")
TRACKING_PREFIX = "RX"
CASE_KIND = "complaint"


def rules_():
    return current_app.extensions["settings"].rules


# ----------------------------------------------------------------------------- who sees what


def _department(code: str | None) -> dict[str, Any] | None:
    return departments_repo.get(code) if code else None


is_owner = rules.is_owner
is_handling_staff = rules.is_handling_staff
is_hotline_staff = rules.is_hotline_staff
is_mediation_staff = rules.is_mediation_staff
visible = rules.visible


def _staff_case_access(user: Principal, case_id: ObjectId) -> bool:
    """Attachments cited by a complaint: staff of its department or its hotline may read them."""
    doc = repo.get(case_id)
    return doc is not None and (is_handling_staff(user, doc) or is_hotline_staff(user, doc))


attachments.register_case_access("complaint", _staff_case_access)


def load_visible(user: Principal, complaint_id: str) -> dict[str, Any]:
    return engine.load(CASE_KIND, complaint_id, user)


def read(user: Principal, complaint_id: str) -> dict[str, Any]:
    """One complaint for USER. Staff in charge see the complainant's name and phone (and the
    mediators the parties) unmasked: that read of personal data is audited, its record queued
    in the complaint's own outbox (no new version: the ETag stays)."""
    doc = load_visible(user, complaint_id)
    if user.role == "staff" and (is_handling_staff(user, doc) or is_hotline_staff(user, doc)):
        shown = [
            name
            for name, present_ in (
                ("complainant", doc.get("complainant_id") is not None),
                ("contact", bool(doc.get("contact"))),
                ("parties", bool(doc.get("parties")) and is_mediation_staff(user, doc)),
            )
            if present_
        ]
        if shown:
            entry = audit.entry(
                "complaint.read_personal", CASE_KIND, doc["_id"], detail={"fields": shown}
            )
            repo.queue(doc["_id"], [entry])
    return doc


def list_for(user: Principal, status: str | None, limit: int, cursor: str | None) -> Page:
    """Owners: their own; staff: assigned to their department (hotline staff: their hotline's
    queue, whoever holds each case now); supervisors: their region and below."""
    if user.role in OWNER_ROLES:
        return repo.page("complainant_id", user.oid, status, limit, cursor, clock.now())
    if user.role == "staff":
        dept = _department(user.department)
        if dept is not None and dept.get("kind") == "hotline":
            return repo.page("hotline", user.department, status, limit, cursor, clock.now())
        return repo.page("department", user.department, status, limit, cursor, clock.now())
    if user.role == "supervisor" and user.region:
        return repo.page("region_path", user.region, status, limit, cursor, clock.now())
    return Page([], None)


# ----------------------------------------------------------------------------- the SLA clock


def _limit_seconds(doc: Mapping[str, Any]) -> float:
    return float(doc["time_limit"]["value"]) * SECONDS_PER_DAY


def _clock_fields(
    started_at: datetime, limit_seconds: float, excluded: float
) -> dict[str, datetime]:
    cal = calendar.work_calendar()
    due = cal.add_working_time(started_at, limit_seconds + excluded)
    warn = cal.add_working_time(
        started_at, limit_seconds * rules_().sla_warning_fraction + excluded
    )
    return {"due_at": due, "warn_at": warn}


def is_overdue(doc: dict[str, Any], now: datetime | None = None) -> bool:
    due = doc.get("due_at")
    if due is None:
        return False
    if doc.get("resolved_at") is not None:
        return doc["resolved_at"] > due
    if doc["status"] in ("resolved", "closed"):
        return False
    return (now or clock.now()) > due


# ----------------------------------------------------------------------------- submission


def _hotline_for(region_path: list[str]) -> dict[str, Any]:
    hotlines = departments_repo.of_kind_in_regions("hotline", region_path)
    if not hotlines:
        raise ValidationFailed(
            "No 12345 hotline serves this region yet.",
            errors={"region": ["No hotline department in this region or above it."]},
        )
    # The nearest one: the deepest region on the path.
    return max(hotlines, key=lambda d: region_path.index(d["region"]))


def _regional_counterpart(code: str, region_path: list[str]) -> str:
    """The category's default department as seen from the complaint's region: the same kind of
    department (code prefix) in the nearest region on the path, else the default itself."""
    prefix = code.rsplit("-", 1)[0]
    for region in reversed(region_path):
        candidate = f"{prefix}-{region}"
        if departments_repo.get(candidate) is not None:
            return candidate
    return code


def find_repeat(
    complainant_id: ObjectId | None,
    category: str,
    point: tuple[float, float] | None,
    now: datetime,
) -> tuple[dict[str, Any], str] | None:
    """The most recent complaint of the same category within the repeat window that was filed
    by the same complainant or lies within the repeat radius; with the reason it matched.

    "Another complaint that is open or was resolved" is every state of the lifecycle (a closed
    complaint was resolved first), so the queries carry no status filter - which also keeps
    them on their indexes. Two queries, not one `$or`: the embedded server scans for `$or`."""
    since = now - timedelta(days=rules_().repeat_window_days)
    found: list[tuple[dict[str, Any], str]] = []
    if complainant_id is not None:
        found += [
            (doc, "same_complainant")
            for doc in repo.same_complainant_candidates(complainant_id, category, since)
        ]
    if point is not None:
        found += [
            (doc, "nearby")
            for doc in repo.nearby_candidates(
                category,
                point[0],
                point[1],
                rules_().repeat_radius_m,
                since,
            )
        ]
    if not found:
        return None
    return max(found, key=lambda pair: (pair[0]["created_at"], pair[0]["_id"]))


def _check_answers(category: dict[str, Any], answers: dict[str, Any], enforce_required: bool):
    questions = {q["code"]: q for q in category.get("questions", [])}
    errors: dict[str, list[str]] = {}
    for code, value in answers.items():
        question = questions.get(code)
        if question is None:
            errors[code] = ["Not a question of this category."]
            continue
        problem = answer_problem(question, value)
        if problem:
            errors[code] = [problem]
    if enforce_required:
        for code, question in questions.items():
            if question.get("required") and answers.get(code) in (None, "", []):
                errors[code] = ["This question needs an answer."]
    if errors:
        raise ValidationFailed("Some answers do not fit the category's questions.", errors=errors)


def answer_problem(question: dict[str, Any], value: Any) -> str | None:
    """Why VALUE is not an answer to QUESTION (None when it is)."""
    datatype = question["datatype"]
    keys = {v["key"] for v in question.get("values") or []}
    if datatype in ("string", "text"):
        return None if isinstance(value, str) and len(value) <= 2000 else "Expected text."
    if datatype == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else "Expected a number."
    if datatype == "datetime":
        if not isinstance(value, str):
            return "Expected an ISO 8601 date-time."
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return "Expected an ISO 8601 date-time."
        return None
    if datatype == "singlevaluelist":
        return None if isinstance(value, str) and value in keys else "Not one of the values."
    if datatype == "multivaluelist":
        listed = isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)
        return None if listed and set(value) <= keys else "Expected a list of the values."
    return "Unknown question type."


def submit(
    user: Principal | None,
    data: dict[str, Any],
    *,
    source: str = "app",
    contact: dict[str, Any] | None = None,
    open311: dict[str, Any] | None = None,
    enforce_required_answers: bool = False,
) -> dict[str, Any]:
    """File a complaint (USER None: an Open311 client on behalf of an anonymous reporter)."""
    now = clock.now()
    try:
        category = categories.get(data["category"])
    except NotFound:
        raise ValidationFailed(
            "Unknown complaint category.", errors={"category": ["No such category."]}
        ) from None
    if regions_repo.get(data["region"]) is None:
        raise ValidationFailed("Unknown region.", errors={"region": ["No such region."]})
    region_path = ancestors(data["region"])
    kind = data.get("kind", "complaint")
    parties = data.get("parties") or []
    if kind == "dispute" and not parties:
        raise ValidationFailed(
            "A dispute names its parties.", errors={"parties": ["At least one party."]}
        )
    if kind != "dispute" and parties:
        raise ValidationFailed(
            "Only disputes have parties.", errors={"parties": ["Only for kind dispute."]}
        )
    answers = data.get("answers") or {}
    _check_answers(category, answers, enforce_required_answers)
    owner_id = user.oid if user is not None else None
    attachment_ids = list(dict.fromkeys(data.get("attachments") or []))
    if attachment_ids:
        if owner_id is None:
            raise ValidationFailed("Attachments need an account.")
        owned = attachments.require_owned(owner_id, attachment_ids)
        missing = [str(a) for a in attachment_ids if a not in owned]
        if missing:
            raise ValidationFailed(
                "Some attachments are not yours or do not exist.",
                errors={"attachments": [f"Unknown attachment {a}." for a in missing]},
            )
    related = data.get("related_application_id")
    if related is not None:
        _check_related_application(user, related)

    location = data.get("location") or {}
    point = (
        (float(location["lng"]), float(location["lat"]))
        if location.get("lat") is not None and location.get("lng") is not None
        else None
    )
    hotline = _hotline_for(region_path)
    repeat = find_repeat(owner_id, category["_id"], point, now)
    limit = categories.time_limit(category)
    clock_fields = _clock_fields(now, limit["value"] * SECONDS_PER_DAY, 0.0)
    doc: dict[str, Any] = {
        "_id": ObjectId(),
        "tracking_no": next_tracking_no(TRACKING_PREFIX),
        "kind": kind,
        "category": category["_id"],
        "category_name": category["name"],
        "time_limit": limit,
        "title": data["title"],
        "description": data["description"],
        "answers": answers,
        "address": location.get("address"),
        "region": data["region"],
        "region_path": region_path,
        "complainant_id": owner_id,
        "contact": contact,
        "source": source,
        "related_application_id": related,
        "attachments": attachment_ids,
        "parties": parties,
        "status": "submitted",
        "version": 1,
        "timeline": [workflow.timeline_entry(user, "submit", None, "submitted", at=now)],
        "hotline": hotline["_id"],
        "department": hotline["_id"],
        # The department whose inbox holds it while it is open (null once resolved).
        "open_department": hotline["_id"],
        "mediation_org": None,
        "mediator": None,
        "suggested_department": _regional_counterpart(category["default_department"], region_path),
        "assigned_at": None,
        "refusals": [],
        "replies": [],
        "sessions": [],
        "resolution": None,
        "resolved_at": None,
        "outcome": None,
        "agreement": None,
        "referral": None,
        "closed_at": None,
        "close_reason": None,
        "reopens": [],
        "rating": None,
        "repeat_of": repeat[0]["_id"] if repeat else None,
        "repeat_of_tracking_no": repeat[0]["tracking_no"] if repeat else None,
        "repeat_reason": repeat[1] if repeat else None,
        "clock_started_at": now,
        "clock_excluded_seconds": 0.0,
        "due_at": clock_fields["due_at"],
        "warn_at": clock_fields["warn_at"],
        "overdue_at": clock_fields["due_at"],
        "clock_paused_at": None,
        "auto_close_at": None,
        # Open311 GET requests publishes complaints but never disputes (private mediation).
        "open311_public": kind != "dispute",
        "created_at": now,
        "updated_at": now,
    }
    if point is not None:
        doc["location"] = {"type": "Point", "coordinates": [point[0], point[1]]}
    if open311 is not None:
        doc["open311"] = open311
    effects = [
        *(
            attachments.citation(attachment_ids, owner_id, CASE_KIND, doc["_id"])
            if owner_id is not None
            else []
        ),
        *kpi.increment(
            doc["department"],
            doc["region"],
            now,
            complaints_received=1,
            **({"complaints_repeat": 1} if repeat else {}),
        ),
    ]
    if repeat:
        effects.append(
            events.for_case(
                doc,
                CASE_KIND,
                "repeat_complaint",
                f"Complaint {doc['tracking_no']} "
                f"({i18n.localized(category['name'], 'en')}) repeats "
                f"{repeat[0]['tracking_no']} ({repeat[1].replace('_', ' ')}).",
                related={"kind": CASE_KIND, "id": str(repeat[0]["_id"])},
            )
        )
    effects += _tell_department(doc, doc["department"])
    return engine.create(
        CASE_KIND,
        doc,
        audit_after={
            "status": "submitted",
            "version": 1,
            "kind": kind,
            "category": category["_id"],
        },
        audit_detail={"source": source, "repeat_of": str(doc["repeat_of"]) if repeat else None},
        effects=effects,
    )


def _check_related_application(user: Principal | None, application_id: ObjectId) -> None:
    """Only one of the complainant's own applications may be named (others look unknown)."""
    doc = applications_repo.owned_by(application_id, user.oid) if user is not None else None
    if doc is None:
        raise ValidationFailed(
            "The related application is not one of yours.",
            errors={"related_application_id": ["No such application of yours."]},
        )


# ----------------------------------------------------------------------------- transitions


def _clock(effect: str | None, doc: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """What each clock effect the machine declares writes (module docstring: clock rules)."""
    if effect == "exclude":
        held = calendar.work_calendar().working_seconds_between(doc["assigned_at"] or now, now)
        excluded = float(doc.get("clock_excluded_seconds") or 0.0) + held
        fields = _clock_fields(doc["clock_started_at"], _limit_seconds(doc), excluded)
        return {
            "clock_excluded_seconds": excluded,
            "due_at": fields["due_at"],
            # A warning or overdue event already raised stays raised (null); pending ones move.
            "warn_at": fields["warn_at"] if doc.get("warn_at") is not None else None,
            "overdue_at": fields["due_at"] if doc.get("overdue_at") is not None else None,
        }
    if effect == "stop":
        return {"warn_at": None, "overdue_at": None}
    if effect == "start":
        fields = _clock_fields(now, _limit_seconds(doc), 0.0)
        return {
            "clock_started_at": now,
            "clock_excluded_seconds": 0.0,
            "due_at": fields["due_at"],
            "warn_at": fields["warn_at"],
            "overdue_at": fields["due_at"],
        }
    return {}


COMPLAINT = engine.register(
    engine.CaseType(
        kind=CASE_KIND,
        collection="complaints",
        machine=MACHINE,
        check=rules.check,
        visible=rules.visible,
        clock=_clock,
        queues=lambda doc: (
            {f"complaints:{doc['open_department']}": doc.get("due_at")}
            if doc.get("open_department")
            else {}
        ),
    )
)


def _fire(
    complaint_id: Any,
    action: str,
    user: Principal | None,
    version: int | None,
    change: Callable[[dict[str, Any]], engine.Change] | None = None,
    case: dict[str, Any] | None = None,
) -> dict[str, Any]:
    context = {"now": clock.now(), "reopen_window": timedelta(days=rules_().reopen_window_days)}
    return engine.fire(
        CASE_KIND,
        complaint_id,
        action,
        user,
        change=change,
        expected_version=version,
        context=context,
        case=case,
    )


def _actor_ref(user: Principal) -> dict[str, Any]:
    return {"id": user.id, "name": user.name, "department": user.department}


def _tell_complainant(doc: dict[str, Any], title: str, text: str) -> list[dict[str, Any]]:
    """TITLE is a message template over the tracking number `{no}`; TEXT is staff's own words
    (never translated)."""
    if doc.get("complainant_id") is None:
        return []
    return [
        notification(
            doc["complainant_id"],
            "complaint",
            title,
            "{text}",
            params={"no": doc["tracking_no"], "text": text},
            subject={"kind": CASE_KIND, "id": str(doc["_id"])},
        )
    ]


def _tell_department(
    doc: Mapping[str, Any], department: str, actor: Any = None
) -> list[dict[str, Any]]:
    """The outbox entry telling DEPARTMENT's staff that the complaint reached their inbox."""
    subject = {"kind": CASE_KIND, "id": str(doc["_id"]), "tracking_no": doc["tracking_no"]}
    audience = [work_rules.department_staff(department)]
    return work_notices.arrived("complaint", audience, subject, actor)


def assign(
    user: Principal, complaint_id: str, data: dict[str, Any], version: int | None
) -> dict[str, Any]:
    def change(doc: dict[str, Any]) -> engine.Change:
        if bool(data.get("department")) == bool(data.get("mediation_org")):
            raise ValidationFailed(
                "Name either a department or a mediation organisation.",
                errors={"department": ["Give department or mediation_org, not both or neither."]},
            )
        field = "mediation_org" if data.get("mediation_org") else "department"
        target = _department(data[field])
        if target is None:
            raise ValidationFailed("Unknown department.", errors={field: ["No such department."]})
        if field == "mediation_org" and target.get("kind") != "mediation":
            raise ValidationFailed(
                "That is not a mediation organisation.",
                errors={"mediation_org": ["Not a department of kind mediation."]},
            )
        if field == "department" and target.get("kind") == "mediation":
            raise ValidationFailed(
                "Route to a mediation organisation with mediation_org.",
                errors={"department": ["A mediation organisation; use mediation_org."]},
            )
        if target["_id"] in {r["department"] for r in doc.get("refusals", [])}:
            raise ValidationFailed(
                "That department has refused this complaint already.",
                errors={field: ["Refused it before; route it elsewhere."]},
            )
        return engine.Change(
            set={
                "department": target["_id"],
                "open_department": target["_id"],
                "mediation_org": target["_id"] if field == "mediation_org" else None,
                "mediator": None,
                "assigned_at": clock.now(),
            },
            note=f"to {target['_id']}",
            audit_detail={field: target["_id"]},
            effects=lambda after: _tell_department(after, target["_id"], user.id),
        )

    return _fire(complaint_id, "assign", user, version, change)


def refuse(user: Principal, complaint_id: str, reason: str, version: int | None) -> dict[str, Any]:
    """Wrong department: back to the hotline queue; the time held here is charged to nobody."""

    def change(doc: dict[str, Any]) -> engine.Change:
        now = clock.now()
        held = calendar.work_calendar().working_seconds_between(doc["assigned_at"] or now, now)
        return engine.Change(
            set={
                "department": doc["hotline"],
                "open_department": doc["hotline"],
                "mediation_org": None,
                "mediator": None,
                "assigned_at": None,
            },
            push={
                "refusals": {
                    "department": doc["department"],
                    "reason": reason,
                    "at": now,
                    "by": _actor_ref(user),
                    "held_seconds": held,
                }
            },
            note=reason,
            audit_detail={"department": doc["department"], "reason": reason},
            # Back in the hotline's queue: its staff route it again.
            effects=lambda after: _tell_department(after, doc["hotline"], user.id),
        )

    return _fire(complaint_id, "refuse", user, version, change)


def take(user: Principal, complaint_id: str, version: int | None) -> dict[str, Any]:
    def change(doc: dict[str, Any]) -> engine.Change:
        if doc.get("mediator") is not None:  # the caller holds it already (rules.check)
            return engine.Change(noop=True)
        return engine.Change(set={"mediator": _actor_ref(user)}, filter={"mediator": None})

    return _fire(complaint_id, "take", user, version, change)


def record_session(
    user: Principal, complaint_id: str, data: dict[str, Any], version: int | None
) -> dict[str, Any]:
    def change(doc: dict[str, Any]) -> engine.Change:
        now = clock.now()
        session = {
            "id": ObjectId(),
            "held_at": data.get("held_at") or now,
            "notes": data["notes"],
            "attendees": data.get("attendees") or [],
            "by": _actor_ref(user),
            "recorded_at": now,
        }
        return engine.Change(
            set={} if doc.get("mediator") else {"mediator": _actor_ref(user)},
            push={"sessions": session},
        )

    return _fire(complaint_id, "record_session", user, version, change)


def reply(user: Principal, complaint_id: str, message: str, version: int | None) -> dict[str, Any]:
    def change(doc: dict[str, Any]) -> engine.Change:
        return engine.Change(
            push={"replies": {"at": clock.now(), "by": _actor_ref(user), "message": message}},
            note=message[:200],
            effects=lambda after: _tell_complainant(
                after, N_("Reply to your complaint {no}"), message
            ),
        )

    return _fire(complaint_id, "reply", user, version, change)


def resolve(
    user: Principal, complaint_id: str, data: dict[str, Any], version: int | None
) -> dict[str, Any]:
    def change(doc: dict[str, Any]) -> engine.Change:
        problems = rules.resolution_problems(doc["kind"], data)
        if problems:
            raise ValidationFailed(
                "A dispute is resolved with an outcome (and a referral when not settled)."
                if doc["kind"] == "dispute"
                else "Only disputes have an outcome.",
                errors=problems,
            )
        now = clock.now()
        outcome = data.get("outcome")
        fields: dict[str, Any] = {
            "resolution": data["resolution"],
            "resolved_at": now,
            "outcome": outcome,
            "agreement": data.get("agreement"),
            "referral": data.get("referral"),
            "open_department": None,
            "auto_close_at": now + timedelta(days=rules_().auto_close_days),
        }
        if is_mediation_staff(user, doc) and not doc.get("mediator"):
            fields["mediator"] = _actor_ref(user)

        def effects(after: dict[str, Any]) -> list[dict[str, Any]]:
            return [
                *kpi.increment(
                    after["department"], after["region"], now, **resolution_increments(after)
                ),
                *_tell_complainant(
                    after, N_("Your complaint {no} is resolved"), data["resolution"]
                ),
            ]

        return engine.Change(
            set=fields,
            note=data["resolution"][:200],
            audit_detail={"outcome": outcome} if outcome else None,
            effects=effects,
        )

    return _fire(complaint_id, "resolve", user, version, change)


def resolution_increments(doc: dict[str, Any]) -> dict[str, float]:
    """The KPI counters a resolution adds, on the day of `resolved_at`, for the department
    that resolved it. The same rule as the oversight feature's `kpi rebuild` (handling time:
    working hours from submission, as the complainant waited; on time: by `due_at`)."""
    resolved_at, due_at = doc["resolved_at"], doc.get("due_at")
    inc: dict[str, float] = {
        "complaints_resolved": 1,
        "complaint_hours_sum": round(
            calendar.working_hours_between(doc["created_at"], resolved_at), 4
        ),
    }
    if due_at is None or resolved_at <= due_at:
        inc["complaints_on_time"] = 1
    if doc.get("kind") == "dispute":
        inc["disputes_resolved"] = 1
        if doc.get("outcome") == "settled":
            inc["disputes_settled"] = 1
    return inc


def confirm(user: Principal, complaint_id: str, version: int | None) -> dict[str, Any]:
    def change(doc: dict[str, Any]) -> engine.Change:
        return engine.Change(
            set={"closed_at": clock.now(), "close_reason": "confirmed", "auto_close_at": None}
        )

    return _fire(complaint_id, "confirm", user, version, change)


def reopen(user: Principal, complaint_id: str, reason: str, version: int | None) -> dict[str, Any]:
    def change(doc: dict[str, Any]) -> engine.Change:
        now = clock.now()

        def effects(after: dict[str, Any]) -> list[dict[str, Any]]:
            # The resolution it undoes no longer counts (taken back on its own day); the
            # reopening counts today. Resolved, reopened and resolved again counts once.
            undone = {name: -value for name, value in resolution_increments(doc).items()}
            return [
                *kpi.increment(doc["department"], doc["region"], doc["resolved_at"], **undone),
                *kpi.increment(after["department"], after["region"], now, complaints_reopened=1),
                events.for_case(
                    after,
                    CASE_KIND,
                    "complaint_reopened",
                    f"Complaint {after['tracking_no']} "
                    f"({i18n.localized(after['category_name'], 'en')}) was reopened.",
                ),
                *_tell_department(after, after["department"], user.id),
            ]

        return engine.Change(
            set={
                "assigned_at": now,
                "open_department": doc["department"],
                "resolution": None,
                "resolved_at": None,
                "outcome": None,
                "agreement": None,
                "referral": None,
                "auto_close_at": None,
            },
            push={
                "reopens": {
                    "at": now,
                    "reason": reason,
                    "previous_resolution": doc.get("resolution"),
                    "previous_outcome": doc.get("outcome"),
                }
            },
            note=reason,
            effects=effects,
        )

    return _fire(complaint_id, "reopen", user, version, change)


def rate(
    user: Principal, complaint_id: str, data: dict[str, Any], version: int | None
) -> dict[str, Any]:
    def change(doc: dict[str, Any]) -> engine.Change:
        return ratings.change(
            CASE_KIND,
            doc,
            data,
            lambda after, score: f"Complaint {after['tracking_no']} was rated {score} of 5.",
        )

    return _fire(complaint_id, "rate", user, version, change)


def auto_close_due(now: datetime, batch: int = 200) -> int:
    """Close resolutions the complainant left unconfirmed for the auto-close period. One
    compare-and-set per complaint (a concurrent confirm or reopen wins, and is skipped here);
    at most BATCH per call, read on the (status, auto_close_at) index. Returns how many."""
    closed = 0
    days = rules_().auto_close_days
    for doc in repo.due_for_auto_close(now, batch):

        def change(doc: dict[str, Any]) -> engine.Change:
            return engine.Change(
                set={"closed_at": now, "close_reason": "auto", "auto_close_at": None},
                note=f"not confirmed within {days} days",
            )

        try:
            _fire(doc["_id"], "auto_close", None, None, change, case=doc)
        except Conflict:
            continue
        closed += 1
    if closed:
        log.info("unconfirmed resolutions auto-closed", extra={"count": closed})
    return closed


# ----------------------------------------------------------------------------- retention

ERASED = "[erased]"


def _retention_cutoff(now: datetime) -> datetime:
    return now - timedelta(days=rules_().complaint_contact_retention_days)


def erase_expired_contacts(now: datetime, batch: int = 200) -> int:
    """The worker's retention step: anonymise the contact data (Open311 contact, parties'
    names and phone numbers) of complaints closed more than DomainRules
    complaint_contact_retention_days ago. Each erasure is one compare-and-set write with its
    audit record; at most BATCH per call. Returns how many."""
    days = rules_().complaint_contact_retention_days
    erased = 0
    for doc in repo.retention_due(_retention_cutoff(now), batch):
        parties = [{**p, "name": ERASED, "contact": None} for p in doc.get("parties") or []]
        entry = audit.entry(
            "complaint.contact_erased",
            "complaint",
            doc["_id"],
            detail={"retention_days": days, "parties": len(parties)},
        )
        if repo.erase_contact(doc["_id"], parties, now, [entry]):
            erased += 1
    if erased:
        log.info("closed complaints' contact data erased", extra={"count": erased})
    return erased


def retention_report(now: datetime) -> dict[str, Any]:
    """GET /admin/retention: each retention rule, what is due now and when the next falls due."""
    days = rules_().complaint_contact_retention_days
    cutoff = _retention_cutoff(now)
    following = repo.retention_next(cutoff)
    return {
        "rules": [
            {
                "name": "complaint_contact",
                "description": "Contact data of closed complaints (Open311 contact, parties' "
                "names and phone numbers) are anonymised this many days after closing.",
                "after_days": days,
                "due": repo.retention_due_count(cutoff),
                "erased": repo.retention_erased_count(),
                "next_due_at": following + timedelta(days=days) if following else None,
            }
        ],
        "checked_at": now,
    }


# ----------------------------------------------------------------------------- presentation


def _mask_party(party: dict[str, Any]) -> dict[str, Any]:
    contact = party.get("contact")
    return {
        "name": mask_name(party.get("name")),
        "role": party.get("role"),
        "contact": mask_phone(contact) if contact else None,
    }


def _mask_contact(contact: dict[str, Any] | None) -> dict[str, Any] | None:
    if not contact:
        return None
    return {
        "first_name": mask_name(contact.get("first_name")),
        "last_name": mask_name(contact.get("last_name")),
        "email": "***" if contact.get("email") else None,
        "phone": mask_phone(contact["phone"]) if contact.get("phone") else None,
    }


def _complainant(doc: dict[str, Any], unmasked: bool) -> dict[str, Any] | None:
    """Who filed it, so the people handling it can call back; masked for everyone else."""
    privacy.mark()
    if doc.get("complainant_id") is None:
        return None
    account = users_repo.get(doc["complainant_id"]) or {}
    name, phone = account.get("name"), account.get("phone")
    if not unmasked:
        name, phone = mask_name(name), mask_phone(phone) if phone else None
    return {"id": doc["complainant_id"], "name": name, "phone": phone}


def present(user: Principal, doc: dict[str, Any]) -> dict[str, Any]:
    """The complaint as USER may see it: parties unmasked only for the complainant and the
    assigned mediation staff; the repeat pair (`repeats`) only for staff and supervisors."""
    view = dict(doc)
    full_parties = is_owner(user, doc) or is_mediation_staff(user, doc)
    if not full_parties:
        view["parties"] = [_mask_party(p) for p in doc.get("parties") or []]
    in_charge = is_handling_staff(user, doc) or is_hotline_staff(user, doc) or is_owner(user, doc)
    if not in_charge:
        view["contact"] = _mask_contact(doc.get("contact"))
    view["complainant"] = _complainant(doc, unmasked=in_charge)
    coords = (doc.get("location") or {}).get("coordinates")
    if coords or doc.get("address"):
        view["location"] = {
            "lng": coords[0] if coords else None,
            "lat": coords[1] if coords else None,
            "address": doc.get("address"),
        }
    else:
        view["location"] = None
    view["overdue"] = is_overdue(doc)
    view["submitted_at"] = doc["created_at"]
    if user.role in ("staff", "supervisor"):
        view["repeats"] = [
            {"id": r["_id"], "tracking_no": r["tracking_no"], "created_at": r["created_at"]}
            for r in repo.repeats_of(doc["_id"])
        ]
    else:
        view["repeats"] = None
    # Everyone who acted (timeline, replies, refusals, sessions, mediator), by relation.
    return privacy.people_in(view)


def _register_inbox_provider() -> None:
    """Serve kind=complaints in the staff inbox (GET /staff/inbox)."""
    from app.cases import inbox as inbox_registry

    inbox_registry.register_provider("complaints", inbox)


def inbox(user: Principal, overdue: bool | None, limit: int, cursor: str | None) -> Page:
    """Staff inbox kind=complaints: open complaints held by the caller's department (for a
    hotline, its queue awaiting routing), most urgent (earliest due) first. Items have the
    shape of the staff inbox (kind, tracking_no, status, title, due_at, overdue, ...)."""
    if user.role != "staff" or not user.department:
        return Page([], None)
    page = repo.inbox_page(user.department, overdue, clock.now(), limit, cursor)
    items = [
        {
            **doc,
            "kind": "complaint",
            "complaint_kind": doc["kind"],
            "submitted_at": doc["created_at"],
            "overdue": is_overdue(doc),
        }
        for doc in page.items
    ]
    return Page(items, page.next_cursor)


_register_inbox_provider()
