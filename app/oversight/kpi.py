"""Incremental KPI counters: one document per (department, region, China-local day), moved
by the outbox entries a command queues in the case's own write (applied in batches by the
relay), so the KPI endpoints read a few hundred small documents instead of scanning a
million cases. `flask --app wsgi kpi rebuild` recomputes them from the source documents.

Metric names (what the transition code passes as keyword increments):
  applications_received, applications_completed, applications_rejected,
  completed_online (0 visits), completed_one_visit (<= 1 visit), completed_on_time,
  processing_hours_sum, processing_hours_hist.<bucket>,
  ratings, ratings_satisfied (score >= 4), bad_ratings (score <= 2),
  complaints_received, complaints_repeat, complaints_resolved, complaints_on_time,
  complaint_hours_sum, complaints_reopened, disputes_resolved, disputes_settled,
  complaint_ratings, complaint_ratings_satisfied,
  appointments_kept (checked in), appointments_no_show,
  rectifications_opened, rectifications_resolved, rectifications_on_time,
  rectification_hours_sum, appeals_upheld (app/rectifications),
  bundles_received, bundles_closed, bundles_completed, bundles_on_time, bundle_hours_sum,
  results_remote (a result that reached the applicant without a visit: electronic, or posted
  and delivered; app.delivery.rules)
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from flask import current_app
from pymongo.client_session import ClientSession

from app import outbox
from app.cases.workcalendar import CHINA_TZ
from app.oversight import kpi_repository as repo

# Upper bounds (working hours) of the histogram buckets used for p90; the last is open.
HOUR_BUCKETS = (1, 2, 4, 8, 12, 24, 36, 48, 72, 96, 120, 168, 240, 336, 480, 720)


def hours_bucket(hours: float) -> str:
    """The histogram bucket a processing time falls into, as a field-safe key."""
    for bound in HOUR_BUCKETS:
        if hours <= bound:
            return f"le_{bound}"
    return "gt_max"


def bucket_upper_bound(key: str) -> float:
    return float(key.removeprefix("le_")) if key.startswith("le_") else math.inf


def day_of(at: datetime) -> str:
    return at.astimezone(CHINA_TZ).strftime("%Y-%m-%d")


def counter_id(department: str, day: str) -> str:
    return f"{department}|{day}"


def rating_increments(score: int, kind: str) -> dict[str, float]:
    """What a rating of SCORE adds to the counters of an application or a complaint (the
    thresholds are DomainRules'; the rating calls and `kpi rebuild` share this rule)."""
    rules = current_app.extensions["settings"].rules
    if kind == "application":
        return {
            "ratings": 1,
            **({"ratings_satisfied": 1} if score >= rules.satisfied_score else {}),
            **({"bad_ratings": 1} if score <= rules.bad_score else {}),
        }
    return {
        "complaint_ratings": 1,
        **({"complaint_ratings_satisfied": 1} if score >= rules.satisfied_score else {}),
    }


def increment(department: str, region: str, at: datetime, **increments: float) -> list[dict]:
    """The outbox entry that adds INCREMENTS to DEPARTMENT's counters of AT's local day (a list:
    empty when there is nothing to add). Counters are hot documents: only the relay writes them,
    in batches, never a request."""
    if not increments:
        return []
    return [
        outbox.entry(
            "kpi", department=department, region=region, day=day_of(at), inc=dict(increments)
        )
    ]


@outbox.applier("kpi")
def _apply_increments(pending: list[outbox.Pending], session: ClientSession) -> None:
    """One upsert per department-day of the batch, however many cases moved it."""
    totals: dict[tuple[str, str], dict[str, Any]] = {}
    for item in pending:
        e = item.entry
        slot = totals.setdefault((e["department"], e["day"]), {"region": e["region"], "inc": {}})
        for name, value in e["inc"].items():
            slot["inc"][f"m.{name}"] = slot["inc"].get(f"m.{name}", 0) + value
    repo.add(
        [
            (counter_id(department, day), department, slot["region"], day, slot["inc"])
            for (department, day), slot in totals.items()
        ],
        session,
    )
