"""Random bytes in the tokens, keys and headers test_malformed_inputs.py does not cover: refresh
tokens, device tokens, tracking numbers, notification and key ids, Open311 keys and tokens,
X-Forwarded-For behind a trusted proxy, Content-Type. Each answers 4xx (in the envelope under
/api/v1, in GeoReport's own error list under /open311/v2), never 500."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.security.test_malformed_inputs import FUZZ, RAW, assert_4xx_envelope, header_text

TEXT = st.text(max_size=120)


@pytest.fixture
def settings_overrides():
    # As behind the front or nginx: the client's address comes from X-Forwarded-For.
    return {"trusted_proxies": 1}


@pytest.fixture
def people(users):
    """Signed in once per test, not once per example."""
    return users.resident(), users.admin()


def segment(raw: bytes) -> str:
    return quote(raw, safe="") or "%00"


@FUZZ
@given(raw=RAW, text=TEXT)
def test_a_malformed_refresh_token_answers_4xx(anon, raw, text):
    for token in (header_text(raw), text):
        for path in ("/api/v1/auth/refresh", "/api/v1/auth/logout"):
            response = anon.post(path, json={"refresh_token": token})
            assert_4xx_envelope(response)


@FUZZ
@given(raw=RAW)
def test_a_malformed_id_or_token_in_a_path_answers_4xx(people, raw):
    resident, admin = people
    part = segment(raw)
    assert_4xx_envelope(resident.delete(f"/api/v1/me/devices/{part}"))
    assert_4xx_envelope(resident.get(f"/api/v1/applications/track/{part}"))
    assert_4xx_envelope(resident.post(f"/api/v1/notifications/{part}/read"))
    assert_4xx_envelope(resident.get(f"/api/v1/me/certificates/{part}/access-log"))
    assert_4xx_envelope(admin.delete(f"/api/v1/admin/open311/keys/{part}"))
    assert_4xx_envelope(admin.get(f"/api/v1/admin/calendar/{part}"))


@FUZZ
@given(raw=RAW, text=TEXT)
@example(raw=b"a/\n", text="")  # a slash and a newline: once escaped the Open311 catch-all
def test_a_malformed_open311_key_or_token_answers_4xx_in_georeport_errors(anon, raw, text):
    for response in (
        anon.get(f"/open311/v2/tokens/{segment(raw)}.json"),
        anon.get(f"/open311/v2/requests/{segment(raw)}.json"),
        anon.post(
            "/open311/v2/requests.json",
            data={"api_key": text, "service_code": "noise", "description": "x" * 20},
        ),
    ):
        assert 400 <= response.status_code < 500, response.get_data()[:300]
        body = response.get_json()
        assert isinstance(body, list) and len(body) == 1, (response.request.path, body)
        [error] = body
        assert error["code"] == response.status_code and error["description"]


@FUZZ
@given(raw=RAW)
def test_a_malformed_forwarded_address_still_answers_a_login(people, anon, raw):
    resident, _ = people
    headers = {"X-Forwarded-For": header_text(raw)}
    response = anon.post(
        "/api/v1/auth/login",
        json={"phone": resident.user["phone"], "password": "wrong-password-1"},
        headers=headers,
    )
    assert_4xx_envelope(response)


@FUZZ
@given(raw=RAW)
def test_a_malformed_content_type_answers_4xx(anon, raw):
    response = anon.post(
        "/api/v1/auth/login",
        data=b'{"phone": "13800000001", "password": "x"}',
        headers={"Content-Type": header_text(raw)},
    )
    assert_4xx_envelope(response)
