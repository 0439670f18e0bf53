"""The console's session: an expired access token is refreshed without the supervisor
noticing, and a session whose refresh token is dead (here: revoked by a logout elsewhere)
returns to the sign-in form instead of failing call after call."""

from __future__ import annotations

import json
import time

import pytest

from tests.browser.conftest import SKIPS, sign_in

pytestmark = SKIPS

KEY = "onevisit.console.tokens"


@pytest.fixture
def settings_overrides():
    return {
        "sse_settle_seconds": 0,
        "sse_poll_seconds": 0.1,
        "sse_heartbeat_seconds": 1,
        "access_token_ttl": 2,
    }


def stored_tokens(page) -> dict:
    return json.loads(page.evaluate(f"sessionStorage.getItem('{KEY}')"))


def test_expired_access_is_refreshed_and_a_revoked_session_signs_out(
    app, users, live_url, browser, client
):
    sup = users.supervisor("330100")
    page = browser.new_page()
    sign_in(page, live_url, sup.user["phone"])
    first = stored_tokens(page)

    time.sleep(3)  # the access token has expired
    page.click("#tab-reports")
    page.wait_for_selector("#report-list")
    page.wait_for_timeout(500)
    assert page.locator("#error").is_hidden()
    second = stored_tokens(page)
    assert second["refresh_token"] != first["refresh_token"]  # refreshed, silently

    # Signed out elsewhere: the family is revoked; once the access token expires, the page
    # goes back to the sign-in form.
    logout = client.post(
        "/api/v1/auth/logout",
        json={"refresh_token": second["refresh_token"]},
        headers={"Authorization": f"Bearer {second['access_token']}"},
    )
    assert logout.status_code == 204, logout.get_data(as_text=True)
    time.sleep(3)
    page.click("#tab-rankings")  # reads /stats/departments
    page.wait_for_selector("#login", timeout=10_000)
    assert page.evaluate(f"sessionStorage.getItem('{KEY}')") is None
