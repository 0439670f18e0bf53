"""The official China working-day calendar and SLA clock arithmetic (due dates, pauses)."""

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
from chinese_calendar import constants as _cc_constants

CHINA_TZ = ZoneInfo("Asia/Shanghai")
SECONDS_PER_DAY = 86400
UNIT_HOURS = "hours"
UNIT_WORKING_DAYS = "working_days"
SLA_UNITS = (UNIT_HOURS, UNIT_WORKING_DAYS)

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class YearCalendar:
    """One year's official adjustments on top of the Monday–Friday week.

    ``holidays`` are days off (including weekend days inside a holiday period); ``workdays`` are
    weekend days that are working days (调休上班).
    """

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    source: str


def year_from_lists(
    year: int, holidays: Iterable[date], workdays: Iterable[date], source: str
) -> YearCalendar:
    """Build a YearCalendar, raising ValueError if the lists are inconsistent."""
    holiday_set = frozenset(holidays)
    workday_set = frozenset(workdays)
    outside = sorted(d for d in holiday_set | workday_set if d.year != year)
    if outside:
        raise ValueError(f"dates outside {year}: {_fmt(outside)}")
    both = sorted(holiday_set & workday_set)
    if both:
        raise ValueError(f"dates listed as both holiday and working day: {_fmt(both)}")
    # A weekday is already a working day, so listing one as adjusted is almost certainly a typo.
    weekday_workdays = sorted(d for d in workday_set if d.weekday() < 5)
    if weekday_workdays:
        raise ValueError(
            f"adjusted working days must be Saturdays or Sundays: {_fmt(weekday_workdays)}"
        )
    return YearCalendar(year=year, holidays=holiday_set, workdays=workday_set, source=source)


def official_year(year: int) -> YearCalendar | None:
    """Return the calendar shipped in the chinesecalendar package, or None if it lacks the year."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        # The package raises for years it has no State Council notice for, rather than guessing.
        return None
    return year_from_lists(
        year,
        (d for d in _cc_constants.holidays if d.year == year),
        (d for d in _cc_constants.workdays if d.year == year),
        source="chinesecalendar",
    )


def _fmt(dates: list[date]) -> str:
    return ", ".join(d.isoformat() for d in dates)


def _to_utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


def _local_day_start(d: date) -> datetime:
    return datetime.combine(d, time(), tzinfo=CHINA_TZ).astimezone(UTC)


class WorkCalendar:
    """Working-day calendar; years without data fall back to Monday–Friday.

    Each working day counts as 24 hours of working time (the whole local calendar day), and
    non-working days contribute none, so N working days of SLA is N * 86400 working seconds.
    """

    def __init__(
        self,
        years: Mapping[int, YearCalendar],
        on_fallback: Callable[[int], None] | None = None,
    ) -> None:
        for key, cal in years.items():
            if key != cal.year:
                raise ValueError(f"calendar for {cal.year} registered under year {key}")
        self._years = dict(years)
        self._on_fallback = on_fallback
        self._fallback_years: set[int] = set()
        # Request threads share one instance; the lock keeps on_fallback to one call per year.
        self._lock = threading.Lock()

    @property
    def fallback_years(self) -> list[int]:
        """Years that were needed but had no calendar, so Monday–Friday was assumed."""
        with self._lock:
            return sorted(self._fallback_years)

    def is_working_day(self, d: date) -> bool:
        cal = self._years.get(d.year)
        if cal is None:
            self._note_fallback(d.year)
        else:
            if d in cal.workdays:
                return True
            if d in cal.holidays:
                return False
        return d.weekday() < 5

    def _note_fallback(self, year: int) -> None:
        with self._lock:
            if year in self._fallback_years:
                return
            self._fallback_years.add(year)
        if self._on_fallback is not None:
            self._on_fallback(year)

    def add_working_time(self, start: datetime, seconds: float) -> datetime:
        """Return the instant after ``seconds`` of working time has elapsed from ``start``.

        Starting on a non-working day, counting begins at the next working day's local midnight.
        A result that lands exactly at the end of a working day is that day's closing midnight,
        not the next working day's.
        """
        start = _to_utc(start, "start")
        if seconds < 0:
            raise ValueError("seconds must be non-negative")
        if seconds == 0:
            return start
        remaining = timedelta(seconds=seconds)
        day = start.astimezone(CHINA_TZ).date()
        cursor = start
        while True:
            day_end = _local_day_start(day + _ONE_DAY)
            if self.is_working_day(day):
                available = day_end - cursor
                if remaining <= available:
                    return cursor + remaining
                remaining -= available
            day += _ONE_DAY
            cursor = day_end

    def working_seconds_between(self, a: datetime, b: datetime) -> float:
        """Working time in seconds from ``a`` to ``b``; 0 when ``b`` is not after ``a``."""
        a = _to_utc(a, "a")
        b = _to_utc(b, "b")
        if b <= a:
            return 0.0
        total = timedelta()
        day = a.astimezone(CHINA_TZ).date()
        last_day = b.astimezone(CHINA_TZ).date()
        while day <= last_day:
            if self.is_working_day(day):
                lo = max(a, _local_day_start(day))
                hi = min(b, _local_day_start(day + _ONE_DAY))
                if hi > lo:
                    total += hi - lo
            day += _ONE_DAY
        return total.total_seconds()

    def working_hours_between(self, a: datetime, b: datetime) -> float:
        return self.working_seconds_between(a, b) / 3600

    def due_at(self, start: datetime, value: int, unit: str) -> datetime:
        """Deadline for an SLA of ``value`` ``unit``s starting at ``start``."""
        start = _to_utc(start, "start")
        if value < 0:
            raise ValueError("SLA value must be non-negative")
        if unit == UNIT_HOURS:
            # Hour-based SLAs (e.g. emergency permits) run around the clock by design.
            return start + timedelta(hours=value)
        if unit == UNIT_WORKING_DAYS:
            return self.add_working_time(start, value * SECONDS_PER_DAY)
        raise ValueError(f"unknown SLA unit {unit!r}; expected one of {SLA_UNITS}")

    def extend_for_pause(
        self, due_at: datetime, paused_from: datetime, paused_to: datetime, unit: str
    ) -> datetime:
        """Push ``due_at`` back by the time the clock was paused, measured in the SLA's unit."""
        due_at = _to_utc(due_at, "due_at")
        paused_from = _to_utc(paused_from, "paused_from")
        paused_to = _to_utc(paused_to, "paused_to")
        if unit == UNIT_HOURS:
            return due_at + max(paused_to - paused_from, timedelta())
        if unit == UNIT_WORKING_DAYS:
            # Only working time lost during the pause is owed back; a pause over a weekend
            # should not hand out two extra days.
            paused = self.working_seconds_between(paused_from, paused_to)
            return self.add_working_time(due_at, paused)
        raise ValueError(f"unknown SLA unit {unit!r}; expected one of {SLA_UNITS}")
