"""Scenarios for the official working-day calendar and SLA clock arithmetic, on real 2026 data."""

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from app.cases.workcalendar import (
    CHINA_TZ,
    WorkCalendar,
    YearCalendar,
    official_year,
    year_from_lists,
)

DAY = 86400
HOUR = 3600


def local(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    """A Beijing wall-clock time, expressed as the UTC datetime the service stores."""
    return datetime(y, m, d, hh, mm, tzinfo=CHINA_TZ).astimezone(UTC)


@pytest.fixture(scope="module")
def cal2026() -> YearCalendar:
    cal = official_year(2026)
    assert cal is not None, "chinesecalendar should ship 2026 data"
    return cal


@pytest.fixture
def fallbacks() -> list[int]:
    return []


@pytest.fixture
def cal(cal2026, fallbacks) -> WorkCalendar:
    return WorkCalendar({2026: cal2026}, on_fallback=fallbacks.append)


# --- the 2026 official calendar ------------------------------------------------------------


def test_2026_adjusted_working_days_are_the_six_weekend_days_in_the_state_council_notice(cal2026):
    assert cal2026.source == "chinesecalendar"
    assert sorted(cal2026.workdays) == [
        date(2026, 1, 4),  # Sunday, after New Year
        date(2026, 2, 14),  # Saturday, before Spring Festival
        date(2026, 2, 28),  # Saturday, after Spring Festival
        date(2026, 5, 9),  # Saturday, after Labour Day
        date(2026, 9, 20),  # Sunday, before Mid-Autumn / National Day
        date(2026, 10, 10),  # Saturday, after National Day
    ]


def test_national_day_week_is_off_and_framed_by_adjusted_weekend_workdays(cal):
    for day in range(1, 8):
        assert not cal.is_working_day(date(2026, 10, day)), f"Oct {day}"
    assert cal.is_working_day(date(2026, 9, 30))
    assert cal.is_working_day(date(2026, 10, 8))
    assert cal.is_working_day(date(2026, 9, 20))  # Sunday
    assert cal.is_working_day(date(2026, 10, 10))  # Saturday
    assert not cal.is_working_day(date(2026, 10, 11))  # ordinary Sunday


def test_mid_autumn_friday_is_off_in_2026(cal):
    assert date(2026, 9, 25).weekday() == 4
    assert not cal.is_working_day(date(2026, 9, 25))


def test_spring_festival_2026_runs_feb_15_to_23_with_working_saturdays_either_side(cal):
    for day in range(15, 24):
        assert not cal.is_working_day(date(2026, 2, day)), f"Feb {day}"
    assert cal.is_working_day(date(2026, 2, 14))
    assert cal.is_working_day(date(2026, 2, 24))
    assert cal.is_working_day(date(2026, 2, 28))


def test_years_outside_the_package_range_have_no_official_calendar():
    assert official_year(2027) is None
    assert official_year(2003) is None


# --- due dates -----------------------------------------------------------------------------


def test_friday_morning_one_working_day_item_is_due_monday_morning(cal):
    assert cal.due_at(local(2026, 3, 6, 10), 1, "working_days") == local(2026, 3, 9, 10)


def test_saturday_acceptance_starts_the_clock_on_monday_and_is_due_at_its_close(cal):
    due = cal.due_at(local(2026, 3, 7, 15), 1, "working_days")
    assert due == local(2026, 3, 10, 0)


def test_item_accepted_before_national_day_is_due_the_first_working_day_after_it(cal):
    accepted = local(2026, 9, 30, 10)  # Wednesday, last working day before the holiday
    assert cal.due_at(accepted, 1, "working_days") == local(2026, 10, 8, 10)


def test_adjusted_working_saturday_counts_towards_the_deadline(cal):
    accepted = local(2026, 10, 9, 10)  # Friday
    assert cal.due_at(accepted, 1, "working_days") == local(2026, 10, 10, 10)


def test_spring_festival_item_accepted_on_working_saturday_jumps_the_whole_break(cal):
    accepted = local(2026, 2, 14, 9)
    assert cal.due_at(accepted, 1, "working_days") == local(2026, 2, 24, 9)


def test_twenty_working_days_across_national_day_skip_holidays_and_weekends(cal):
    due = cal.due_at(local(2026, 9, 14, 9), 20, "working_days")
    # After the acceptance day, Sep 15-30 holds 12 working days (incl. Sunday 20th, excl.
    # Mid-Autumn Friday 25th and the weekend after it); the other eight are Oct 8, 9,
    # 10 (Saturday), 12, 13, 14, 15, 16, and the clock stops at 09:00 on the 16th.
    assert due == local(2026, 10, 16, 9)


def test_hours_items_run_around_the_clock_through_holidays(cal):
    assert cal.due_at(local(2026, 9, 30, 10), 48, "hours") == local(2026, 10, 2, 10)


def test_zero_length_sla_returns_the_start_even_on_a_holiday(cal):
    on_holiday = local(2026, 10, 3, 11)
    assert cal.add_working_time(on_holiday, 0) == on_holiday
    assert cal.due_at(on_holiday, 0, "working_days") == on_holiday


def test_unknown_unit_and_negative_durations_are_rejected(cal):
    with pytest.raises(ValueError, match="unit"):
        cal.due_at(local(2026, 3, 6, 10), 1, "days")
    with pytest.raises(ValueError):
        cal.due_at(local(2026, 3, 6, 10), -1, "working_days")
    with pytest.raises(ValueError):
        cal.add_working_time(local(2026, 3, 6, 10), -1)


def test_results_are_utc_even_when_input_is_in_beijing_time(cal):
    start = datetime(2026, 3, 6, 10, tzinfo=CHINA_TZ)
    due = cal.due_at(start, 1, "working_days")
    assert due.tzinfo is UTC
    assert due == datetime(2026, 3, 9, 2, tzinfo=UTC)


# --- pauses and durations ------------------------------------------------------------------


def test_pause_over_a_weekend_extends_by_working_time_only(cal):
    due = local(2026, 3, 11, 10)  # Wednesday
    paused_from = local(2026, 3, 6, 16)  # Friday 16:00
    paused_to = local(2026, 3, 9, 10)  # Monday 10:00: 8 h of Friday + 10 h of Monday
    extended = cal.extend_for_pause(due, paused_from, paused_to, "working_days")
    assert extended - due == timedelta(hours=18)
    assert extended == local(2026, 3, 12, 4)


def test_pause_entirely_within_a_holiday_does_not_move_the_deadline(cal):
    due = local(2026, 10, 9, 10)
    extended = cal.extend_for_pause(
        due, local(2026, 10, 2, 9), local(2026, 10, 6, 17), "working_days"
    )
    assert extended == due


def test_pause_on_hours_item_adds_wall_clock_time_including_weekend(cal):
    due = local(2026, 3, 11, 10)
    extended = cal.extend_for_pause(due, local(2026, 3, 6, 16), local(2026, 3, 9, 10), "hours")
    assert extended - due == timedelta(hours=66)


def test_pause_that_pushes_deadline_over_a_holiday_skips_it(cal):
    due = local(2026, 9, 30, 20)
    extended = cal.extend_for_pause(
        due, local(2026, 9, 29, 9), local(2026, 9, 29, 21), "working_days"
    )
    # 12 working hours owed: 4 left on Sep 30, the other 8 on Oct 8.
    assert extended == local(2026, 10, 8, 8)


def test_processing_time_kpi_counts_only_working_hours(cal):
    assert cal.working_hours_between(local(2026, 3, 6, 16), local(2026, 3, 9, 10)) == 18
    assert cal.working_hours_between(local(2026, 9, 30, 0), local(2026, 10, 8, 12)) == 36


def test_reversed_or_empty_interval_has_no_working_time(cal):
    a = local(2026, 3, 9, 10)
    assert cal.working_seconds_between(a, a) == 0
    assert cal.working_seconds_between(a, a - timedelta(days=3)) == 0


def test_add_and_between_round_trip_for_random_starts(cal):
    rng = random.Random(20260101)
    year_start = local(2026, 1, 1)
    for _ in range(200):
        start = year_start + timedelta(seconds=rng.uniform(0, 320 * DAY))
        seconds = rng.choice([rng.uniform(0, 30 * DAY), rng.randint(1, 30) * DAY])
        due = cal.add_working_time(start, seconds)
        assert due >= start
        assert cal.working_seconds_between(start, due) == pytest.approx(seconds, abs=1e-5)
    assert cal.fallback_years == []


# --- years without data --------------------------------------------------------------------


def test_2027_falls_back_to_monday_to_friday_and_reports_it_once(cal, fallbacks):
    # 1 January 2027 is a Friday; without an official notice it is treated as a working day.
    assert cal.is_working_day(date(2027, 1, 1))
    assert not cal.is_working_day(date(2027, 1, 2))
    assert cal.due_at(local(2027, 1, 8, 10), 5, "working_days") == local(2027, 1, 15, 10)
    assert fallbacks == [2027]
    assert cal.fallback_years == [2027]


def test_deadline_running_into_an_uncovered_year_uses_the_fallback(cal, fallbacks):
    # Thursday 31 Dec 2026 10:00 + 2 working days: rest of Dec 31, all of Fri 1 Jan, then Monday.
    assert cal.due_at(local(2026, 12, 31, 10), 2, "working_days") == local(2027, 1, 4, 10)
    assert fallbacks == [2027]


def test_each_calendar_instance_reports_its_own_fallbacks(cal2026):
    seen_a: list[int] = []
    seen_b: list[int] = []
    a = WorkCalendar({2026: cal2026}, on_fallback=seen_a.append)
    b = WorkCalendar({2026: cal2026}, on_fallback=seen_b.append)
    a.is_working_day(date(2028, 5, 1))
    a.is_working_day(date(2027, 5, 1))
    a.is_working_day(date(2028, 5, 2))
    b.is_working_day(date(2027, 5, 1))
    assert seen_a == [2028, 2027]
    assert a.fallback_years == [2027, 2028]
    assert seen_b == [2027]


def test_fallback_works_without_a_callback():
    empty = WorkCalendar({})
    assert empty.is_working_day(date(2026, 10, 1))  # a Thursday, holiday unknown to this instance
    assert empty.fallback_years == [2026]


def test_admin_calendar_overrides_the_package_year(cal2026):
    # An admin adds an extra day off (e.g. a local emergency closure) to the official list.
    admin = year_from_lists(
        2026, cal2026.holidays | {date(2026, 3, 9)}, cal2026.workdays, source="admin"
    )
    overridden = WorkCalendar({2026: admin})
    assert not overridden.is_working_day(date(2026, 3, 9))
    assert overridden.due_at(local(2026, 3, 6, 10), 1, "working_days") == local(2026, 3, 10, 10)


def test_calendar_registered_under_the_wrong_year_is_rejected(cal2026):
    with pytest.raises(ValueError, match="2026"):
        WorkCalendar({2025: cal2026})


# --- input validation ----------------------------------------------------------------------


def test_naive_datetimes_are_rejected_everywhere(cal):
    naive = datetime(2026, 3, 6, 10)
    aware = local(2026, 3, 9, 10)
    with pytest.raises(ValueError, match="naive"):
        cal.add_working_time(naive, DAY)
    with pytest.raises(ValueError, match="naive"):
        cal.working_seconds_between(naive, aware)
    with pytest.raises(ValueError, match="naive"):
        cal.working_hours_between(aware, naive)
    with pytest.raises(ValueError, match="naive"):
        cal.due_at(naive, 1, "hours")
    with pytest.raises(ValueError, match="naive"):
        cal.extend_for_pause(aware, naive, aware, "working_days")


def test_year_from_lists_accepts_weekday_holidays_and_weekend_workdays():
    year = year_from_lists(2027, [date(2027, 1, 1)], [date(2027, 2, 6)], source="admin")
    assert year.holidays == frozenset({date(2027, 1, 1)})
    assert year.workdays == frozenset({date(2027, 2, 6)})


def test_year_from_lists_rejects_dates_from_another_year():
    with pytest.raises(ValueError, match="outside 2027: 2026-12-31"):
        year_from_lists(2027, [date(2026, 12, 31)], [], source="admin")


def test_year_from_lists_rejects_a_date_on_both_lists():
    with pytest.raises(ValueError, match="both holiday and working day: 2027-02-06"):
        year_from_lists(2027, [date(2027, 2, 6)], [date(2027, 2, 6)], source="admin")


def test_year_from_lists_rejects_adjusted_workday_on_a_weekday():
    with pytest.raises(ValueError, match="Saturdays or Sundays: 2027-02-08"):
        year_from_lists(2027, [], [date(2027, 2, 8)], source="admin")
