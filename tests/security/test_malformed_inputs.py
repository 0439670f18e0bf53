"""Inputs that cost too much or break parsers: random bytes in every cursor, id, token and
header answer 4xx in the envelope, never 500; deep JSON is refused before any parsing; URLs
from clients are http/https only; admin patterns cannot backtrack."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.applications.world import APPS, build_world
from tests.conftest import assert_envelope

EXAMPLES = 60
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Random bytes, and random JSON dressed as our cursor format (base64url of an object).
RAW = st.binary(max_size=120)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=8,
)


@pytest.fixture
def settings_overrides():
    # A stream that ends at once: Last-Event-ID fuzzing needs the answer, not the live tail.
    return {"sse_max_lifetime_seconds": 0.0, "sse_poll_seconds": 0.0, "sse_settle_seconds": 0.0}


@pytest.fixture
def world(app, db, users):
    world = build_world(app, db, users)
    world.staff["supervisor"] = users.supervisor()
    world.staff["admin"] = users.admin()
    world.staff["hotline"] = users.staff("HOTLINE-330100", ("window",), kind="hotline")
    return world


def assert_4xx_envelope(response) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.get_data()[:300])
    if response.mimetype == "application/json":
        body = response.get_json()
        assert body["code"] == response.status_code and body["request_id"]


def header_text(raw: bytes) -> str:
    # What a socket would deliver: bytes read as latin-1, without the line breaks that end a
    # header (the server's parser refuses those before the app sees them).
    return raw.decode("latin-1").replace("\r", "").replace("\n", "")


def cursor_like(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


CURSOR_LISTINGS = ("applicant", "supervisor", "admin")


@FUZZ
@given(
    raw=RAW,
    crafted=JSON_VALUES,
    shaped=st.fixed_dictionaries(
        {
            "f": st.sampled_from(["_id", "inbox_at", "due_at"]),
            "k": st.dictionaries(st.sampled_from(["o", "d", "v", "x"]), JSON_VALUES, max_size=2),
            "i": st.dictionaries(st.sampled_from(["o", "d", "v"]), JSON_VALUES, max_size=2),
        }
    ),
)
@example(raw=b"", crafted=[], shaped={"f": "_id", "k": {"v": 1}, "i": {"o": "zz"}})
@example(raw=b"", crafted=[], shaped={"f": "inbox_at", "k": {"d": "2026-01-01"}, "i": {"v": 1}})
@example(raw=b"", crafted=[], shaped={"f": "inbox_at", "k": {"v": "x"}, "i": {"o": 1}})
@example(
    raw=b"", crafted=[], shaped={"f": "due_at", "k": {"d": "2026-01-01T00:00"}, "i": {"v": "a"}}
)
@example(raw=b"", crafted=[], shaped={"f": "_id", "k": {"v": 10**30}, "i": {"v": 10**30}})
def test_a_tampered_cursor_answers_4xx_on_every_listing(world, raw, crafted, shaped):
    listings = [
        (world.applicant, APPS),
        (world.staff["supervisor"], "/api/v1/supervision/feed"),
        (world.staff["admin"], "/api/v1/admin/audit"),
        (world.staff["amr_window"], "/api/v1/staff/inbox?kind=acceptance"),
        (world.staff["hotline"], "/api/v1/staff/inbox?kind=complaints"),
    ]
    for cursor in (quote(raw, safe=""), cursor_like(crafted), cursor_like(shaped)):
        for api, path in listings:
            joiner = "&" if "?" in path else "?"
            response = api.get(f"{path}{joiner}cursor={cursor}")
            if response.status_code != 200:
                assert_4xx_envelope(response)


@FUZZ
@given(raw=RAW)
def test_a_malformed_object_id_in_a_path_answers_4xx(world, raw):
    segment = quote(raw, safe="") or "%00"
    for path in (
        f"{APPS}/{segment}",
        f"/api/v1/complaints/{segment}",
        f"/api/v1/me/certificates/{segment}",
        f"/api/v1/attachments/{segment}",
    ):
        assert_4xx_envelope(world.applicant.get(path))
    assert_4xx_envelope(world.staff["supervisor"].post(f"/api/v1/supervision/events/{segment}/ack"))


@FUZZ
@given(raw=RAW)
def test_a_malformed_bearer_token_answers_401(client, raw):
    for header in (f"Bearer {header_text(raw)}", header_text(raw)):
        response = client.get("/api/v1/me", headers={"Authorization": header})
        assert_envelope(response, 401)


@FUZZ
@given(raw=RAW, number=st.integers(min_value=0, max_value=10**40))
def test_a_malformed_if_match_answers_4xx(world, raw, number):
    case = world.submit()
    for value in (header_text(raw), f'"v{number}"'):
        response = world.applicant.post(
            f"{APPS}/{case['id']}/withdraw", headers={"If-Match": value}
        )
        if response.status_code != 200:
            assert_4xx_envelope(response)


@FUZZ
@given(raw=RAW)
def test_a_malformed_idempotency_key_answers_4xx(world, raw):
    response = world.applicant.post(
        APPS, json={"matter_code": "NOPE"}, headers={"Idempotency-Key": header_text(raw)}
    )
    assert_4xx_envelope(response)


@FUZZ
@given(raw=RAW)
def test_a_malformed_last_event_id_answers_4xx_or_an_ended_stream(world, raw):
    response = world.staff["supervisor"].get(
        "/api/v1/supervision/stream", headers={"Last-Event-ID": header_text(raw)}
    )
    if response.status_code == 200:
        assert response.mimetype == "text/event-stream"
        response.get_data()
        response.close()  # as a server does: frees the stream's slot at once, not at GC
    else:
        assert_4xx_envelope(response)


@pytest.mark.parametrize("depth", [33, 5000, 200_000])
def test_deep_json_is_refused_before_parsing_and_before_the_fingerprint(world, db, depth):
    body = "[" * depth + "]" * depth
    before = db.applications.count_documents({}) + db.complaints.count_documents({})
    for path in (APPS, "/api/v1/auth/login", "/api/v1/complaints"):
        response = world.applicant.post(
            path,
            data=body,
            headers={"Content-Type": "application/json", "Idempotency-Key": f"deep-{depth}"},
        )
        error = assert_envelope(response, 400)
        assert "levels" in error["message"]
    assert db.applications.count_documents({}) + db.complaints.count_documents({}) == before


def test_json_at_the_depth_limit_is_parsed_as_usual(world):
    nested: Any = "x"
    for _ in range(30):  # + the body object + the form object = 32 levels
        nested = [nested]
    response = world.applicant.post(APPS, json={**world.body(), "form": {"company_name": nested}})
    assert_envelope(response, 422)  # reached validation: a list is not a company name


def test_brackets_inside_strings_do_not_count(world):
    case = world.submit(form={**world.body()["form"], "company_name": "[" * 60 + " Ltd"})
    assert case["status"] == "submitted"


def test_a_pattern_with_nested_repetition_runs_in_linear_time_on_a_crafted_value(world, db):
    """`^([a-z]+ ?)+$` against 'aaaa…!' backtracks exponentially in Python's re (this test
    would never finish); RE2 answers at once, and the value is refused."""
    db.matters.update_one(
        {"_id": world.matter["_id"]},
        {"$set": {"form.0.pattern": "^([a-z]+ ?)+$", "form.0.max_length": 5000}},
    )
    crafted = "a" * 4000 + "!"
    response = world.applicant.post(
        APPS, json={**world.body(), "form": {**world.body()["form"], "company_name": crafted}}
    )
    error = assert_envelope(response, 422)
    assert error["errors"]["form"]["company_name"] == ["Does not match the expected format."]
    assert db.applications.count_documents({}) == 0


def test_saving_a_pattern_that_needs_backtracking_is_refused_and_nothing_stored(users, db):
    from tests.matters import definition

    admin = users.admin()
    body = definition()
    body["form"][0]["pattern"] = r"^(\w+)\s\1$"
    before = db.matters.count_documents({})
    error = assert_envelope(admin.post("/api/v1/admin/matters", json=body), 422)
    assert "RE2" in str(error["errors"])
    assert db.matters.count_documents({}) == before


def test_an_empty_path_segment_is_a_404_in_the_envelope(users):
    """`/events//ack` is no event: 404 in the envelope, never a 308 to a merged path."""
    supervisor = users.supervisor()
    for path in ("/api/v1/supervision/events//ack", "/api/v1/applications//accept"):
        response = supervisor.post(path)
        assert response.status_code == 404, (path, response.status_code)
        assert response.get_json()["code"] == 404
