"""The demo data opens Hangzhou's windows for booking and books the demo resident's visit."""

from datetime import UTC, datetime

from app import clock
from app.seed import DEMO_PASSWORD, seed_demo


def login(client, phone):
    response = client.post("/api/v1/auth/login", json={"phone": phone, "password": DEMO_PASSWORD})
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def test_demo_windows_take_bookings_and_the_resident_holds_one(app, client, db):
    clock.freeze(datetime(2026, 12, 2, 2, tzinfo=UTC))  # a Wednesday, 10:00 China time
    with app.app_context():
        assert seed_demo() is True
        seed_demo(force=True)  # loading again adds nothing
    assert db.opening_hours.count_documents({}) > 5
    slots = client.get("/api/v1/departments/PSB-330100/slots").get_json()["items"]
    assert slots and all(s["capacity"] == 3 for s in slots)
    mine = client.get("/api/v1/me/appointments", headers=login(client, "13800000001")).get_json()
    (booked,) = mine["items"]
    assert booked["department"] == "PSB-330100" and booked["status"] == "booked"
    assert booked["case"]["kind"] == "application"
    assert booked["start"] == "2026-12-03T02:00:00.000Z"  # Thursday 10:00, the first bookable
