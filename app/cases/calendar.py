"""The official working-day calendar the SLA clocks run on: the `chinesecalendar` package's
years, overridden by years an admin replaced; years with neither fall back to Monday-Friday
(logged, and reported at /readyz)."""

from __future__ import annotations

import logging
import threading
import time
from datetime import date, datetime, timedelta
from typing import Any

from flask import Flask

from app import audit, clock
from app.cases import calendars_repository as calendars_repo
from app.cases.workcalendar import (
    CHINA_TZ,
    WorkCalendar,
    YearCalendar,
    official_year,
    year_from_lists,
)
from app.http.errors import ValidationFailed

log = logging.getLogger("onevisit.calendar")
OFFICIAL_YEARS = range(2004, 2051)
CACHE_SECONDS = 30.0

_lock = threading.Lock()
_cached: tuple[float, WorkCalendar] | None = None
_official: dict[int, YearCalendar] | None = None


def _official_years() -> dict[int, YearCalendar]:
    global _official
    if _official is None:
        found = {}
        for year in OFFICIAL_YEARS:
            cal = official_year(year)
            if cal is not None:
                found[year] = cal
        _official = found
    return _official


def _from_document(doc: dict[str, Any]) -> YearCalendar:
    return year_from_lists(
        doc["_id"],
        (date.fromisoformat(d) for d in doc["holidays"]),
        (date.fromisoformat(d) for d in doc["workdays"]),
        "admin",
    )


def _warn_fallback(year: int) -> None:
    log.warning(
        "no official calendar for %s: counting Monday-Friday as working days; "
        "an admin can PUT /api/v1/admin/calendar/%s",
        year,
        year,
        extra={"year": year},
    )


def _build() -> WorkCalendar:
    years = dict(_official_years())
    for doc in calendars_repo.all_years():
        years[doc["_id"]] = _from_document(doc)
    return WorkCalendar(years, on_fallback=_warn_fallback)


def work_calendar() -> WorkCalendar:
    """The calendar in force; rebuilt at most every CACHE_SECONDS (other worker processes
    see an admin's change within that time)."""
    global _cached
    with _lock:
        if _cached is None or time.monotonic() - _cached[0] > CACHE_SECONDS:
            _cached = (time.monotonic(), _build())
        return _cached[1]


def invalidate() -> None:
    global _cached
    with _lock:
        _cached = None


def due_at(start: datetime, time_limit: dict[str, Any]) -> datetime:
    return work_calendar().due_at(start, int(time_limit["value"]), time_limit["unit"])


def warn_at(start: datetime, time_limit: dict[str, Any], fraction: float) -> datetime:
    """When FRACTION of the time limit is used, counted in the limit's own unit."""
    if time_limit["unit"] == "hours":
        return start + timedelta(hours=int(time_limit["value"]) * fraction)
    return work_calendar().add_working_time(start, int(time_limit["value"]) * 86400 * fraction)


def extend_for_pause(
    due: datetime, paused_from: datetime, paused_to: datetime, unit: str
) -> datetime:
    return work_calendar().extend_for_pause(due, paused_from, paused_to, unit)


def working_hours_between(a: datetime, b: datetime) -> float:
    return work_calendar().working_hours_between(a, b)


def year_view(year: int) -> dict[str, Any]:
    doc = calendars_repo.get(year)
    if doc is not None:
        cal = _from_document(doc)
        updated = {"updated_at": doc.get("updated_at"), "updated_by": doc.get("updated_by")}
    else:
        cal = _official_years().get(year) or YearCalendar(
            year, frozenset(), frozenset(), "fallback"
        )
        updated = {"updated_at": None, "updated_by": None}
    return {
        "year": year,
        "source": cal.source,
        "holidays": sorted(cal.holidays),
        "workdays": sorted(cal.workdays),
        **updated,
    }


def replace_year(
    year: int, holidays: list[date], workdays: list[date], actor_id: str
) -> dict[str, Any]:
    try:
        cal = year_from_lists(year, holidays, workdays, "admin")
    except ValueError as exc:
        raise ValidationFailed(str(exc), errors={"calendar": [str(exc)]}) from exc
    before = year_view(year)
    doc = {
        "holidays": [d.isoformat() for d in sorted(cal.holidays)],
        "workdays": [d.isoformat() for d in sorted(cal.workdays)],
        "updated_at": clock.now(),
        "updated_by": actor_id,
    }
    entry = audit.entry(
        "calendar.replace",
        "calendar",
        year,
        before={
            "source": before["source"],
            "holidays": len(before["holidays"]),
            "workdays": len(before["workdays"]),
        },
        after={"holidays": len(cal.holidays), "workdays": len(cal.workdays)},
    )
    calendars_repo.replace(year, doc, [entry])
    invalidate()
    return year_view(year)


def readiness_detail() -> dict[str, Any]:
    """Years the clocks will need soon that have no official data (Monday-Friday is used)."""
    this_year = clock.now().astimezone(CHINA_TZ).year
    known = set(_official_years()) | {doc["_id"] for doc in calendars_repo.all_years()}
    missing = [year for year in (this_year, this_year + 1) if year not in known]
    cal = work_calendar()
    return {
        "years_without_data": missing,
        "fallback_used": cal.fallback_years,
        "status": "ok" if not missing else "fallback to Monday-Friday",
    }


def init_app(app: Flask) -> None:
    app.extensions.setdefault("readiness_details", {})["calendar"] = readiness_detail
