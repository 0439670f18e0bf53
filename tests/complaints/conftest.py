"""Fixtures of the complaint tests: the long-lived tokens they need (they move the clock on by
weeks), a database handle that holds no app context open, and the cast of a 12345 case."""

import pytest

from tests.complaint_helpers import AMR, HOTLINE, MEDIATION, database, setup


@pytest.fixture
def settings_overrides():
    return {"access_token_ttl": 200 * 86400}  # the tests move the clock on by weeks


@pytest.fixture
def db(app):
    return database(app)


@pytest.fixture
def world(app, users):
    setup(app)
    return {
        "resident": users.resident(),
        "hotline": users.staff(HOTLINE, ("window",), kind="hotline"),
        "amr": users.staff(AMR, ("reviewer",)),
        "tax": users.staff("TAX-330100", ("reviewer",)),
        "mediator": users.staff(MEDIATION, ("reviewer",), kind="mediation"),
        "supervisor": users.supervisor("330100"),
    }
