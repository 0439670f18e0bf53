"""The case engine's tests use the applications' world (and its fixtures)."""

from tests.applications.conftest import pytest_configure, settings_overrides, world

__all__ = ["pytest_configure", "settings_overrides", "world"]
