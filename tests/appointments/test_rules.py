"""The pure rules of appointments: opening hours, slots on the calendar, the horizon."""

from datetime import UTC, date, datetime, time

import pytest

from app.appointments import rules


def working(day: date) -> bool:
    holidays = {date(2026, 10, d) for d in range(1, 8)}
    return day == date(2026, 10, 10) or (day.weekday() < 5 and day not in holidays)


def test_hours_are_parsed_sorted_and_checked():
    parsed = rules.parse_hours({"mon": ["13:30-17:00", "09:00-12:00"]})
    assert parsed["mon"] == ((time(9), time(12)), (time(13, 30), time(17)))
    for bad in (
        {"mon": ["12:00-09:00"]},
        {"mon": ["09:00-12:00", "11:00-13:00"]},
        {"xyz": ["09:00-10:00"]},
        {"mon": ["9-10"]},
    ):
        with pytest.raises(ValueError):
            rules.parse_hours(bad)


def test_an_adjusted_working_saturday_opens_with_weekday_hours_and_a_holiday_is_closed():
    opening = rules.OpeningHours(60, 2, rules.parse_hours({"mon": ["09:00-11:00"]}))
    found = rules.slots_between(
        opening,
        working,
        datetime(2026, 9, 30, tzinfo=UTC),
        datetime(2026, 10, 12, tzinfo=UTC),
    )
    days = sorted({s.astimezone(rules.CHINA_TZ).date() for s, _ in found})
    # Only Monday has hours: the adjusted Saturday opens with them; National Day is closed.
    assert days == [date(2026, 10, 10)]
    assert [s.astimezone(rules.CHINA_TZ).hour for s, _ in found] == [9, 10]


def test_a_slot_never_runs_past_its_range():
    opening = rules.OpeningHours(45, 1, rules.parse_hours({"tue": ["09:00-10:00"]}))
    assert len(rules.slots_on(opening, date(2026, 9, 29))) == 1


def test_the_horizon_counts_working_days_over_a_holiday():
    assert rules.horizon_day(date(2026, 9, 28), 5, working) == date(2026, 10, 10)
    assert rules.horizon_day(date(2026, 10, 8), 1, working) == date(2026, 10, 9)


def test_the_reminder_is_the_morning_before_or_at_once():
    start = datetime(2026, 9, 30, 1, tzinfo=UTC)  # 09:00 China time
    early = datetime(2026, 9, 28, 2, tzinfo=UTC)
    assert rules.remind_at(start, early, 9) == datetime(2026, 9, 29, 1, tzinfo=UTC)
    late = datetime(2026, 9, 29, 7, tzinfo=UTC)
    assert rules.remind_at(start, late, 9) == late
