"""`flask --app wsgi kpi rebuild`: recompute every daily KPI counter from the source case
documents. It must agree with the increments the transitions record (a test proves
rebuilt == recorded); the rules below are the definition both follow.

Applications (department = lead department, day = China-local day of the moment named):
  applications_received      +1 on submitted_at
  applications_rejected      +1 on the rejection (timeline entry to `rejected`)
  applications_completed     +1 on completed_at, and on that day:
    completed_online (0 visits), completed_one_visit (<= 1 visit),
    completed_on_time (a due_at, and completed_at <= due_at),
    processing_hours_sum and processing_hours_hist.<bucket> of the working hours from
    submitted_at to completed_at (app.cases.calendar), completed_instantly (decided by the
    instant-approval rules: decision.mode "automatic"), completed_on_promise (a material
    deferred at acceptance, `deferred_keys`, or given by commitment)
  ratings / ratings_satisfied (score >= 4) / bad_ratings (score <= 2) on rating.at: the
    current rating only (a re-rating replaces the first), none when an upheld appeal took it
    out (rating.excluded)
  results_remote +1 when the result reached the applicant without a visit
    (app.delivery.rules: electronic on completed_at, post on shipment.delivered_at)
Complaints (department = the one responsible at that moment):
  complaints_received +1 on created_at, to the department it was filed with (`hotline`);
    complaints_repeat +1 then when repeat_of is set
  complaints_resolved +1 on resolved_at, and on that day: complaints_on_time (no due_at, or
    resolved_at <= due_at), complaint_hours_sum (working hours from created_at: the
    complainant's wait), for disputes disputes_resolved / disputes_settled. A reopening takes
    its resolution back (the transition records the negated increments on the old day), so a
    complaint resolved, reopened and resolved again counts once, on its last resolution.
  complaints_reopened +1 on each reopening's day (reopens[].at)
  complaint_ratings / complaint_ratings_satisfied on rating.at
Bundle cases (department = the bundle's lead department, app.bundles.service):
  bundles_received +1 on submitted_at; on closed_at bundles_closed +1 and, when completed,
  bundles_completed, bundle_hours_sum (working hours) and bundles_on_time (closed by the
  bundle's promise, promised_at)
Appointments (department = the one booked):
  appointments_kept +1 on checked_in_at; appointments_no_show +1 on no_show_at
Rectifications (department = the rated application's lead department):
  rectifications_opened +1 on opened_at; on resolved_at rectifications_resolved,
  rectifications_on_time, rectification_hours_sum (app.rectifications.service); an upheld
  appeal: appeals_upheld +1 on its decision's day (the rating's own counters: see above)
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from app.cases import calendar
from app.cases import repository as cases_repo
from app.catalogue.regions import ancestors
from app.delivery import rules as delivery_rules
from app.oversight import kpi
from app.oversight import kpi_repository as repo
from app.rectifications import ratings


class Counters:
    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}

    def add(self, department: str | None, region: str | None, at: datetime | None, **inc: float):
        if not department or not region or at is None:
            return
        day = kpi.day_of(at)
        _id = kpi.counter_id(department, day)
        doc = self.docs.setdefault(
            _id,
            {
                "_id": _id,
                "department": department,
                "region": region,
                "region_path": ancestors(region),
                "day": day,
                "m": defaultdict(float),
            },
        )
        for name, value in inc.items():
            doc["m"][name] += value

    def documents(self) -> list[dict[str, Any]]:
        out = []
        for doc in self.docs.values():
            m: dict[str, Any] = {}
            for name, value in doc["m"].items():
                # Dotted names are nested the way $inc stores them (processing_hours_hist.le_8).
                head, _, tail = name.partition(".")
                target = m.setdefault(head, {}) if tail else m
                key = tail or head
                target[key] = int(value) if float(value).is_integer() else value
            out.append({**doc, "m": m})
        return out


def _timeline_times(doc: dict[str, Any], *, action: str | None = None, to: str | None = None):
    for entry in doc.get("timeline") or []:
        if (action is None or entry.get("action") == action) and (
            to is None or entry.get("to_status") == to
        ):
            yield entry.get("at")


def _rating(doc: dict[str, Any]) -> tuple[int, datetime | None] | None:
    rating = doc.get("rating")
    if not rating or rating.get("score") is None:
        return None
    return int(rating["score"]), rating.get("at") or rating.get("rated_at")


def application_increments(doc: dict[str, Any], counters: Counters) -> None:
    dept, region = doc.get("department"), doc.get("region")
    counters.add(dept, region, doc.get("submitted_at"), applications_received=1)
    if doc.get("status") == "rejected":
        rejected = list(_timeline_times(doc, to="rejected"))
        counters.add(dept, region, rejected[-1] if rejected else None, applications_rejected=1)
    completed_at = doc.get("completed_at")
    if doc.get("status") == "completed" and completed_at is not None:
        counters.add(dept, region, completed_at, **completion_increments(doc))
    rating = ratings.counted(doc.get("rating"))
    if rating:
        counters.add(dept, region, rating[1], **kpi.rating_increments(rating[0], "application"))
    delivered_at = delivery_rules.posted_delivered_at(doc)
    if delivered_at is not None:
        counters.add(dept, region, delivered_at, results_remote=1)


def completion_increments(doc: dict[str, Any]) -> dict[str, float]:
    """What completing an application adds (shared with the `complete` transition)."""
    visits = len(doc.get("visits") or [])
    due_at, completed_at = doc.get("due_at"), doc["completed_at"]
    hours = calendar.working_hours_between(doc["submitted_at"], completed_at)
    inc: dict[str, float] = {
        "applications_completed": 1,
        "processing_hours_sum": hours,
        f"processing_hours_hist.{kpi.hours_bucket(hours)}": 1,
    }
    if visits == 0:
        inc["completed_online"] = 1
    if visits <= 1:
        inc["completed_one_visit"] = 1
    if due_at is not None and completed_at <= due_at:
        inc["completed_on_time"] = 1
    if (doc.get("decision") or {}).get("mode") == "automatic":
        inc["completed_instantly"] = 1
    if delivery_rules.remote_on_completion(doc):
        inc["results_remote"] = 1
    # Accepted on a promise (容缺受理) or with a commitment in place of a proof (告知承诺制).
    if doc.get("deferred_keys") or any(m.get("commitment") for m in doc.get("materials") or []):
        inc["completed_on_promise"] = 1
    return inc


def resolution_increments(doc: dict[str, Any]) -> dict[str, float]:
    """What resolving a complaint adds: the complaints service's own rule, so the resolve
    transition and the rebuild cannot drift apart."""
    from app.complaints import service as complaints

    return complaints.resolution_increments(doc)


def reopening_increments(doc: dict[str, Any]) -> dict[str, float]:
    """What a reopening takes back, on the day of the resolution it undoes."""
    return {name: -value for name, value in resolution_increments(doc).items()}


def complaint_increments(doc: dict[str, Any], counters: Counters) -> None:
    dept, region = doc.get("department"), doc.get("region")
    received: dict[str, float] = {"complaints_received": 1}
    if doc.get("repeat_of"):
        received["complaints_repeat"] = 1
    counters.add(doc.get("hotline") or dept, region, doc.get("created_at"), **received)
    for reopening in doc.get("reopens") or []:
        counters.add(dept, region, reopening.get("at"), complaints_reopened=1)
    if doc.get("resolved_at") is not None:
        counters.add(dept, region, doc["resolved_at"], **resolution_increments(doc))
    rating = _rating(doc)
    if rating:
        counters.add(dept, region, rating[1], **kpi.rating_increments(rating[0], "complaint"))


def appointment_increments(doc: dict[str, Any], counters: Counters) -> None:
    if doc.get("checked_in_at"):
        counters.add(doc["department"], doc["region"], doc["checked_in_at"], appointments_kept=1)
    if doc.get("no_show_at"):
        counters.add(doc["department"], doc["region"], doc["no_show_at"], appointments_no_show=1)


def rectification_increments(doc: dict[str, Any], counters: Counters) -> None:
    from app.rectifications import service as rectifications

    dept, region = doc.get("department"), doc.get("region")
    counters.add(dept, region, doc.get("opened_at"), rectifications_opened=1)
    if doc.get("resolved_at") is not None:
        counters.add(dept, region, doc["resolved_at"], **rectifications.resolution_increments(doc))
    appeal = doc.get("appeal") or {}
    if appeal.get("upheld"):
        counters.add(dept, region, appeal.get("decided_at"), appeals_upheld=1)


def compute() -> list[dict[str, Any]]:
    counters = Counters()
    for doc in cases_repo.every("application"):
        application_increments(doc, counters)
    for doc in cases_repo.every("complaint"):
        complaint_increments(doc, counters)
    for doc in cases_repo.every("appointment"):
        appointment_increments(doc, counters)
    for doc in cases_repo.every("rectification"):
        rectification_increments(doc, counters)
    from app.bundles import service as bundles

    for doc in cases_repo.every("bundle_application"):
        bundles.rebuild_increments(doc, counters)
    return counters.documents()


def rebuild() -> int:
    """Replace every counter with the recomputed ones; returns how many day rows there are.
    Run it when no case changes (a maintenance window): increments recorded while it runs
    could be overwritten."""
    return repo.replace_all(compute())
