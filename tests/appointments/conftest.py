"""Fixtures of the appointment tests: the company set-up world under a frozen clock on Monday
2026-09-28, 10:00 China time (the National Day holiday, Oct 1-7, is two working days away and
Saturday Oct 10 is an adjusted working day), and AMR-330100's window open weekday mornings in
30-minute slots with one place each."""

from datetime import UTC, datetime
from typing import Any

import pytest

from app import clock
from app.cases.workcalendar import CHINA_TZ
from tests.applications.world import World, build_world

MONDAY = datetime(2026, 9, 28, 2, 0, tzinfo=UTC)  # 10:00 China Standard Time
HOURS = {day: ["09:00-12:00"] for day in ("mon", "tue", "wed", "thu", "fri")}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"access_token_ttl": 60 * 24 * 3600}


@pytest.fixture
def world(app, db, users) -> World:
    clock.freeze(MONDAY)
    world = build_world(app, db, users)
    admin = users.admin()
    response = admin.put(
        "/api/v1/admin/departments/AMR-330100/opening-hours",
        json={"slot_minutes": 30, "capacity": 1, "hours": HOURS},
    )
    assert response.status_code == 200, response.get_json()
    return world


def cst(month: int, day: int, hour: int, minute: int = 0) -> str:
    """A China-local time of 2026 as the UTC string the API speaks."""
    return clock.iso(datetime(2026, month, day, hour, minute, tzinfo=CHINA_TZ))
