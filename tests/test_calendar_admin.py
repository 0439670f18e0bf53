"""Admins view and replace a year's official calendar; the clock follows the replacement."""

from datetime import UTC, datetime

from app import clock
from app.cases import calendar
from tests.conftest import assert_envelope


def test_admin_sees_2026_from_the_official_package(users):
    admin = users.admin()
    body = admin.get("/api/v1/admin/calendar/2026").get_json()
    assert body["source"] == "chinesecalendar"
    assert "2026-10-01" in body["holidays"]
    assert "2026-10-10" in body["workdays"]  # the adjusted working Saturday


def test_replacing_2027_changes_due_dates_and_clears_the_readiness_warning(app, users, client):
    clock.freeze(datetime(2026, 12, 1, tzinfo=UTC))
    admin = users.admin()
    ready = client.get("/readyz").get_json()
    assert ready["checks"]["calendar"]["years_without_data"] == [2027]
    fallback = admin.get("/api/v1/admin/calendar/2027").get_json()
    assert fallback["source"] == "fallback" and fallback["holidays"] == []

    response = admin.put(
        "/api/v1/admin/calendar/2027",
        json={"holidays": ["2027-01-01", "2027-01-04"], "workdays": ["2027-01-09"]},
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["source"] == "admin"
    with app.app_context():
        # Thursday 2026-12-31 10:00 China time + 1 working day: Jan 1 and the weekend are off,
        # Monday Jan 4 is a holiday too, so it is due Tuesday Jan 5, 10:00 China time.
        start = datetime(2026, 12, 31, 2, tzinfo=UTC)
        assert calendar.due_at(start, {"value": 1, "unit": "working_days"}) == datetime(
            2027, 1, 5, 2, tzinfo=UTC
        )
    assert client.get("/readyz").get_json()["checks"]["calendar"]["years_without_data"] == []


def test_adjusted_working_day_on_a_weekday_is_refused(users, db):
    admin = users.admin()
    response = admin.put(
        "/api/v1/admin/calendar/2027", json={"holidays": [], "workdays": ["2027-01-06"]}
    )
    assert_envelope(response, 422)
    assert db.calendars.count_documents({}) == 0


def test_dates_of_another_year_are_refused(users):
    admin = users.admin()
    response = admin.put(
        "/api/v1/admin/calendar/2027", json={"holidays": ["2026-10-01"], "workdays": []}
    )
    assert_envelope(response, 422)


def test_only_admins_touch_the_calendar(users):
    assert_envelope(users.resident().get("/api/v1/admin/calendar/2026"), 403)
    assert_envelope(
        users.staff().put("/api/v1/admin/calendar/2026", json={"holidays": [], "workdays": []}), 403
    )
