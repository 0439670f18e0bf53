"""Fixtures of the application tests: the company set-up world, optionally built under a
frozen clock (`@pytest.mark.frozen(datetime)`), with access tokens that outlive the days a
case takes so the clock can be moved across holidays."""

from typing import Any

import pytest

from app import clock
from tests.applications.world import World, build_world


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "frozen(at): build the world with the clock frozen at AT")


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"access_token_ttl": 60 * 24 * 3600}


@pytest.fixture
def world(request: pytest.FixtureRequest, app, db, users) -> World:
    marker = request.node.get_closest_marker("frozen")
    if marker is not None:
        clock.freeze(marker.args[0])
    return build_world(app, db, users)
