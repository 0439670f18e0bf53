"""Fixtures of the application tests."""

import pytest

from tests.applications.world import World, build_world


@pytest.fixture
def world(app, db, users) -> World:
    return build_world(app, db, users)
