"""Fixtures of the rectification tests: the applications' company world (a lead department
AMR-330100 with its window and head), with long-lived tokens so the clock can move."""

from datetime import UTC, datetime
from typing import Any

import pytest

from app import clock
from tests.applications.world import World, build_world

# Monday 2026-11-02 10:00 CST: the rectification is due five working days later, Monday
# 2026-11-09 10:00 CST.
MONDAY = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"access_token_ttl": 60 * 24 * 3600}


@pytest.fixture
def world(app, db, users) -> World:
    clock.freeze(MONDAY)
    return build_world(app, db, users)
