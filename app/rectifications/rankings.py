"""Rankings of units (API.md "Good or bad, answered"): departments from the daily KPI
counters, windows from the ratings that name them; best first by satisfaction, then the
bad-rating rectification rate, then the on-time rate (a unit with nothing rated last)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from app.accounts.auth import Principal
from app.appointments.rules import local_day_bounds
from app.catalogue import departments_repository as departments_repo
from app.http.errors import ValidationFailed
from app.oversight import kpi, kpi_repository, stats
from app.rectifications import repository as repo
from app.rectifications import rules


def _rate(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole > 0 else None


def unit_row(m: dict[str, Any]) -> dict[str, Any]:
    """The ranked figures of one unit from its summed counters."""

    def g(name: str) -> float:
        return m.get(name, 0)

    return {
        "ratings": int(g("ratings")),
        "satisfaction_rate": _rate(g("ratings_satisfied"), g("ratings")),
        "bad_ratings": int(g("bad_ratings")),
        "rectification_rate": _rate(
            g("rectifications_resolved"), g("rectifications_opened") - g("appeals_upheld")
        ),
        "on_time_rate": _rate(g("completed_on_time"), g("applications_completed")),
    }


def _best_first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def key(row: dict[str, Any]) -> tuple:
        return (
            row["satisfaction_rate"] is None,
            -(row["satisfaction_rate"] or 0),
            -(row["rectification_rate"] if row["rectification_rate"] is not None else -1),
            -(row["on_time_rate"] if row["on_time_rate"] is not None else -1),
            row["unit"],
        )

    rows.sort(key=key)
    for rank, row in enumerate(rows, 1):
        row["rank"] = rank
    return rows


def _departments(region: str | None, first: str, last: str) -> list[dict[str, Any]]:
    per: dict[str, dict[str, Any]] = defaultdict(dict)
    for doc in kpi_repository.for_region(region, first, last):
        stats.add_counters(per[doc["department"]], doc.get("m", {}))
    known = departments_repo.in_region(region) if region else {}
    rows = []
    for code in sorted({*per, *known}):
        name = (known.get(code) or departments_repo.get(code) or {}).get("name")
        rows.append(
            {"unit": code, "department": code, "name": name, "window": None, **unit_row(per[code])}
        )
    return _best_first(rows)


def _windows(region: str, first: str, last: str) -> list[dict[str, Any]]:
    start = local_day_bounds(date.fromisoformat(first))[0]
    end = local_day_bounds(date.fromisoformat(last))[1]
    cases = repo.rated_applications_between(region, start, end)
    status = repo.statuses(
        [c["rating"]["rectification_id"] for c in cases if c["rating"].get("rectification_id")]
    )
    per: dict[str, dict[str, Any]] = {}
    windows: dict[str, dict[str, Any]] = {}
    for case in cases:
        rating, window = case["rating"], case["rating"]["window"]
        m = per.setdefault(window["id"], defaultdict(float))
        windows[window["id"]] = window
        for name, value in kpi.rating_increments(int(rating["score"]), "application").items():
            m[name] += value
        rid = rating.get("rectification_id")
        if rid is not None and rating.get("round", 1) == 1:
            m["rectifications_opened"] += 1
            if status.get(rid) == rules.RESOLVED:
                m["rectifications_resolved"] += 1
        if case.get("status") == "completed" and case.get("completed_at"):
            m["applications_completed"] += 1
            if case.get("due_at") and case["completed_at"] <= case["due_at"]:
                m["completed_on_time"] += 1
    rows = [
        {
            "unit": wid,
            "department": windows[wid].get("department"),
            "name": None,
            "window": windows[wid],
            **unit_row(m),
        }
        for wid, m in per.items()
    ]
    return _best_first(rows)


def supervised(user: Principal, args: dict[str, Any]) -> dict[str, Any]:
    """GET /stats/rankings for a supervisor of the region (or above)."""
    region = stats._scoped_region(user, args.get("region"))
    assert region is not None
    first, last = stats.day_range(args.get("from"), args.get("to"))
    by = args.get("by") or "department"
    items = _windows(region, first, last) if by == "window" else _departments(region, first, last)
    return {"region": region, "by": by, "from": first, "to": last, "items": items}


def public(args: dict[str, Any]) -> dict[str, Any]:
    """GET /public/stats/rankings: one month's departments, aggregates only."""
    region = stats._scoped_region(None, args.get("region"))
    month = args.get("month") or stats.day_range(None, None)[1][:7]
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError as exc:
        raise ValidationFailed("Give the month as YYYY-MM.", errors={"month": ["YYYY-MM"]}) from exc
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    rows = _departments(region, first.isoformat(), last.isoformat())
    for row in rows:
        row.pop("window", None)
    return {"region": region, "month": month, "items": rows}
