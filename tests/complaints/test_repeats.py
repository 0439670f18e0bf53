"""Repeat detection at submission: same complainant, or within 200 m; same category; within
30 days of another complaint that is open or was resolved."""

from datetime import timedelta

from bson import ObjectId

from app import clock
from tests.complaint_helpers import AMR, HOTLINE, WEST_LAKE, act, file, ok

# One degree of latitude is about 111.2 km.
METRES_PER_DEGREE_LAT = 111_195.0


def north_of(metres: float) -> dict:
    return {
        "lat": WEST_LAKE["lat"] + metres / METRES_PER_DEGREE_LAT,
        "lng": WEST_LAKE["lng"],
        "address": f"{metres:.0f} m north",
    }


FAR_AWAY = {"lat": 30.30, "lng": 120.20, "address": "far away"}


def test_a_neighbour_150_m_away_repeats_an_open_complaint(world, users, db):
    first = file(world["resident"])
    neighbour = users.resident()
    second = file(neighbour, location=north_of(150))
    assert second["repeat_of"] == first["id"]
    assert second["repeat_of_tracking_no"] == first["tracking_no"]
    stored = db.complaints.find_one({"_id": ObjectId(second["id"])})
    assert stored["repeat_reason"] == "nearby"
    event = db.supervision_events.find_one({"type": "repeat_complaint"})
    assert event["subject"]["id"] == second["id"]
    assert event["related"] == {"kind": "complaint", "id": first["id"]}
    assert "Resident" not in event["summary"]  # no personal data in summaries
    kpi = db.kpi_daily.find_one({"_id": f"{HOTLINE}|2026-11-23"})["m"]
    assert kpi["complaints_received"] == 2 and kpi["complaints_repeat"] == 1


def test_250_m_away_is_not_a_repeat(world, users, db):
    file(world["resident"])
    second = file(users.resident(), location=north_of(250))
    assert second["repeat_of"] is None
    assert db.supervision_events.count_documents({"type": "repeat_complaint"}) == 0


def test_same_complainant_anywhere_in_the_city_is_a_repeat(world, db):
    first = file(world["resident"])
    second = file(world["resident"], location=FAR_AWAY)
    assert second["repeat_of"] == first["id"]
    stored = db.complaints.find_one({"_id": ObjectId(second["id"])})
    assert stored["repeat_reason"] == "same_complainant"


def test_a_different_category_is_not_a_repeat(world, users):
    file(world["resident"])
    second = file(
        users.resident(),
        kind="dispute",
        category="neighbour_dispute",
        parties=[{"name": "Wang", "role": "respondent"}],
    )
    assert second["repeat_of"] is None


def test_within_30_days_of_a_resolved_complaint_is_a_repeat_after_that_it_is_not(world, users):
    resident, hotline, amr = world["resident"], world["hotline"], world["amr"]
    first = file(resident)
    ok(act(hotline, first, "assign", {"department": AMR}))
    ok(act(amr, first, "resolve", {"resolution": "Done."}))
    ok(act(resident, first, "confirm"))
    clock.advance(timedelta(days=29, hours=23))
    inside = file(users.resident(), location=north_of(100))
    assert inside["repeat_of"] == first["id"]
    clock.advance(timedelta(days=1, hours=2))  # 31 days after the first one
    # 110 m from the first (now 31 days old), 210 m from the second: no repeat.
    outside = file(users.resident(), location=north_of(-110), title="Again")
    assert outside["repeat_of"] is None


def test_more_than_30_days_later_the_same_complainant_is_not_repeating(world):
    file(world["resident"])
    clock.advance(timedelta(days=30, minutes=1))
    later = file(world["resident"])
    assert later["repeat_of"] is None


def test_the_pair_is_visible_to_staff_on_the_original(world, users):
    resident, hotline = world["resident"], world["hotline"]
    first = file(resident)
    second = file(users.resident(), location=north_of(50))
    seen = ok(hotline.get(f"/api/v1/complaints/{first['id']}"))
    assert [r["tracking_no"] for r in seen["repeats"]] == [second["tracking_no"]]
    supervisor = users.supervisor("330100")
    assert len(ok(supervisor.get(f"/api/v1/complaints/{first['id']}"))["repeats"]) == 1
    # The complainant does not learn about other people's complaints.
    assert ok(resident.get(f"/api/v1/complaints/{first['id']}"))["repeats"] is None


def test_a_complaint_without_a_location_is_matched_by_complainant_only(world, users):
    file(world["resident"])
    second = file(users.resident(), location=None)
    assert second["repeat_of"] is None and second["location"] is None
