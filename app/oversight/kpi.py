"""Incremental KPI counters: one document per (department, region, China-local day), bumped
by the same code path that changes a case, so the KPI endpoints read a few hundred small
documents instead of scanning a million cases. `flask --app wsgi kpi rebuild` recomputes
them from the source documents.

Metric names (what the transition code passes as keyword increments):
  applications_received, applications_completed, applications_rejected,
  completed_online (0 visits), completed_one_visit (<= 1 visit), completed_on_time,
  processing_hours_sum, processing_hours_hist.<bucket>,
  ratings, ratings_satisfied (score >= 4), bad_ratings (score <= 2),
  complaints_received, complaints_repeat, complaints_resolved, complaints_on_time,
  complaint_hours_sum, complaints_reopened, disputes_resolved, disputes_settled,
  complaint_ratings, complaint_ratings_satisfied
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from app.cases.workcalendar import CHINA_TZ
from app.catalogue.regions import ancestors
from app.db import collection

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


def record(
    department: str, region: str, at: datetime, session: Any = None, **increments: float
) -> None:
    """Add INCREMENTS to the counters of DEPARTMENT for the local day of AT."""
    if not increments:
        return
    day = day_of(at)
    collection("kpi_daily").update_one(
        {"_id": counter_id(department, day)},
        {
            "$inc": {f"m.{name}": value for name, value in increments.items()},
            "$setOnInsert": {
                "department": department,
                "region": region,
                "region_path": ancestors(region),
                "day": day,
            },
        },
        upsert=True,
        session=session,
    )
