"""The reform's KPIs (API.md "Oversight") for a region (and everything below it), a
department and a range of China-local days, summed from the daily counters of app.oversight.kpi.

Rates are fractions in [0, 1] and null when nothing was counted. Processing times are working
hours on the official calendar (app.cases.calendar). The p90 comes from the histogram of
app.oversight.kpi.HOUR_BUCKETS: it is the upper bound of the bucket holding the 90th percentile,
so its resolution is the bucket width (1 h up to 2 h, then 2 h, 4 h, 4 h, 12 h, ... up to 240 h
between 480 and 720 h); beyond the last bound it reports that bound (720) as a floor.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from app import clock
from app.accounts.auth import Principal
from app.catalogue import departments_repository as departments_repo
from app.catalogue import regions_repository as regions_repo
from app.catalogue.regions import ancestors
from app.http.errors import Forbidden, ValidationFailed
from app.oversight import kpi_repository as repo
from app.oversight.kpi import HOUR_BUCKETS, bucket_upper_bound, day_of

DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366
HIST = "processing_hours_hist"

KPI_FIELDS = (
    "applications_received",
    "applications_completed",
    "online_rate",
    "instant_approval_rate",
    "promise_rate",
    "one_visit_rate",
    "on_time_rate",
    "avg_processing_hours",
    "p90_processing_hours",
    "ratings",
    "satisfaction_rate",
    "complaints_received",
    "complaints_resolved",
    "avg_complaint_hours",
    "complaint_on_time_rate",
    "repeat_rate",
    "reopen_rate",
    "disputes_resolved",
    "mediation_success_rate",
    "appointments_kept",
    "appointments_no_show",
    "no_show_rate",
    "remote_delivery_rate",
    "rectifications_opened",
    "rectifications_resolved",
    "rectification_rate",
    "rectification_on_time_rate",
    "avg_rectification_hours",
    "appeals_upheld",
    "bundles_completed",
    "bundle_on_time_rate",
    "avg_bundle_hours",
)


def day_range(first: date | None, last: date | None) -> tuple[str, str]:
    today = date.fromisoformat(day_of(clock.now()))
    last = last or today
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise ValidationFailed("`from` is after `to`.", errors={"from": ["Must not be after to."]})
    if (last - first).days >= MAX_DAYS:
        raise ValidationFailed(
            "The range is too long.", errors={"from": [f"At most {MAX_DAYS} days."]}
        )
    return first.isoformat(), last.isoformat()


def add_counters(total: dict[str, Any], m: dict[str, Any]) -> None:
    for name, value in (m or {}).items():
        if isinstance(value, dict):
            add_counters(total.setdefault(name, {}), value)
        else:
            total[name] = total.get(name, 0) + value


def sum_counters(docs: Iterable[dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, Any] = {}
    for doc in docs:
        add_counters(total, doc.get("m", {}))
    return total


def _rate(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _mean(total: float, count: float) -> float | None:
    return round(total / count, 2) if count else None


def p90(hist: dict[str, float]) -> float | None:
    counts = sorted(
        ((bucket_upper_bound(k), v) for k, v in (hist or {}).items() if v), key=lambda kv: kv[0]
    )
    n = sum(v for _, v in counts)
    if not n:
        return None
    rank = math.ceil(0.9 * n)
    seen = 0.0
    for bound, count in counts:
        seen += count
        if seen >= rank:
            return float(HOUR_BUCKETS[-1]) if math.isinf(bound) else bound
    return None  # unreachable


def kpis(m: dict[str, Any]) -> dict[str, Any]:
    """The API's KPIs from summed counters."""

    def g(name: str) -> float:
        return m.get(name, 0)

    completed = g("applications_completed")
    ratings = g("ratings") + g("complaint_ratings")
    satisfied = g("ratings_satisfied") + g("complaint_ratings_satisfied")
    resolved = g("complaints_resolved")
    return {
        "applications_received": g("applications_received"),
        "applications_completed": completed,
        "online_rate": _rate(g("completed_online"), completed),
        "instant_approval_rate": _rate(g("completed_instantly"), completed),
        "promise_rate": _rate(g("completed_on_promise"), completed),
        "one_visit_rate": _rate(g("completed_one_visit"), completed),
        "on_time_rate": _rate(g("completed_on_time"), completed),
        "avg_processing_hours": _mean(g("processing_hours_sum"), completed),
        "p90_processing_hours": p90(m.get(HIST, {})),
        "ratings": ratings,
        "satisfaction_rate": _rate(satisfied, ratings),
        "complaints_received": g("complaints_received"),
        "complaints_resolved": resolved,
        "avg_complaint_hours": _mean(g("complaint_hours_sum"), resolved),
        "complaint_on_time_rate": _rate(g("complaints_on_time"), resolved),
        "repeat_rate": _rate(g("complaints_repeat"), g("complaints_received")),
        "reopen_rate": _rate(g("complaints_reopened"), resolved),
        "disputes_resolved": g("disputes_resolved"),
        "mediation_success_rate": _rate(g("disputes_settled"), g("disputes_resolved")),
        "appointments_kept": g("appointments_kept"),
        "appointments_no_show": g("appointments_no_show"),
        "no_show_rate": _rate(
            g("appointments_no_show"), g("appointments_kept") + g("appointments_no_show")
        ),
        "remote_delivery_rate": _rate(g("results_remote"), completed),
        # Bad ratings answered (app/rectifications); an upheld appeal leaves the count.
        "rectifications_opened": g("rectifications_opened"),
        "rectifications_resolved": g("rectifications_resolved"),
        "rectification_rate": _rate(
            g("rectifications_resolved"), g("rectifications_opened") - g("appeals_upheld")
        ),
        "rectification_on_time_rate": _rate(
            g("rectifications_on_time"), g("rectifications_resolved")
        ),
        "avg_rectification_hours": _mean(
            g("rectification_hours_sum"), g("rectifications_resolved")
        ),
        "appeals_upheld": g("appeals_upheld"),
        # Bundles (app.bundles), counted on their lead department, against their own promise.
        "bundles_completed": g("bundles_completed"),
        "bundle_on_time_rate": _rate(g("bundles_on_time"), g("bundles_completed")),
        "avg_bundle_hours": _mean(g("bundle_hours_sum"), g("bundles_completed")),
    }


def _scoped_region(user: Principal | None, region: str | None) -> str | None:
    """Supervisors read their region or one below it (403 elsewhere); the public any region."""
    if region is not None and regions_repo.get(region) is None:
        raise ValidationFailed("Unknown region.", errors={"region": ["No such region."]})
    if user is None:
        return region
    scope = user.region
    if not scope:
        raise Forbidden("Your account has no supervision region.")
    if region is None:
        return scope
    if scope not in ancestors(region):
        raise Forbidden(
            "That region is outside your supervision scope.",
            errors={"region": [f"Use {scope} or a region below it."]},
        )
    return region


def _department(user: Principal, code: str, region: str) -> dict[str, Any]:
    department = departments_repo.get(code)
    if department is None:
        raise ValidationFailed(
            "Unknown department.", errors={"department": ["No such department."]}
        )
    if region not in department.get("region_path", []):
        if user.region not in department.get("region_path", []):
            raise Forbidden(
                "That department is outside your supervision scope.",
                errors={"department": ["Not in your region."]},
            )
        raise ValidationFailed(
            "That department is not in the region asked for.",
            errors={"department": ["Not in this region."]},
        )
    return department


def overview(user: Principal, args: dict[str, Any]) -> dict[str, Any]:
    region = _scoped_region(user, args.get("region"))
    assert region is not None
    first, last = day_range(args.get("from"), args.get("to"))
    department = args.get("department")
    if department:
        _department(user, department, region)
        docs = repo.for_department(department, first, last)
    else:
        docs = repo.for_region(region, first, last)
    return {
        "region": region,
        "department": department,
        "from": first,
        "to": last,
        **kpis(sum_counters(docs)),
    }


def _sort_key(field: str):
    def key(row: dict[str, Any]) -> tuple[int, Any]:
        value = row.get(field)
        return (1, 0) if value is None else (0, value)

    return key


def by_department(user: Principal, args: dict[str, Any]) -> dict[str, Any]:
    region = _scoped_region(user, args.get("region"))
    assert region is not None
    first, last = day_range(args.get("from"), args.get("to"))
    per_department: dict[str, dict[str, Any]] = defaultdict(dict)
    for doc in repo.for_region(region, first, last):
        add_counters(per_department[doc["department"]], doc.get("m", {}))
    departments = departments_repo.in_region(region)
    rows = [
        {"department": code, "name": departments.get(code, {}).get("name", code), **kpis(m)}
        for code, m in per_department.items()
    ]
    rows += [
        {"department": code, "name": dept.get("name", code), **kpis({})}
        for code, dept in departments.items()
        if code not in per_department
    ]
    sort = args.get("sort") or "-applications_received"
    field = sort.lstrip("-")
    rows.sort(key=lambda r: r["department"])
    if sort.startswith("-"):
        # Descending, with nulls (nothing to rate) still last.
        rows.sort(key=lambda r: (r[field] is None, -(r[field] or 0)))
    else:
        rows.sort(key=_sort_key(field))
    return {"region": region, "from": first, "to": last, "items": rows}


def public(args: dict[str, Any]) -> dict[str, Any]:
    region = _scoped_region(None, args.get("region"))
    first, last = day_range(args.get("from"), args.get("to"))
    return {
        "region": region,
        "from": first,
        "to": last,
        **kpis(sum_counters(repo.for_region(region, first, last))),
    }
