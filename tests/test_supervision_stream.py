"""The live supervision stream: scope, resume with Last-Event-ID (nothing lost or repeated),
heartbeats, a bounded connection lifetime and a cap on concurrent streams."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from bson import ObjectId

from tests.conftest import assert_envelope
from tests.oversight_helpers import event

STREAM = "/api/v1/supervision/stream"
BEFORE_ALL = str(ObjectId.from_datetime(datetime(2020, 1, 1, tzinfo=UTC)))


@pytest.fixture
def settings_overrides():
    # Tests end a stream after a few events or a short lifetime; no settle delay in one process.
    return {
        "sse_max_events": 2,
        "sse_max_lifetime_seconds": 0.3,
        "sse_poll_seconds": 0.02,
        "sse_heartbeat_seconds": 0.05,
        "sse_settle_seconds": 0,
        "sse_max_streams": 1,
    }


def read_stream(api, last_event_id=None, query=""):
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    response = api.get(STREAM + query, headers=headers, buffered=False)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/event-stream"
    text = "".join(chunk.decode() for chunk in response.response)
    response.close()
    return parse(text)


def parse(text):
    frames, comments = [], []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        fields = {}
        for line in block.split("\n"):
            if line.startswith(":"):
                comments.append(line)
                continue
            key, _, value = line.partition(": ")
            fields[key] = value
        if "id" in fields:
            frames.append({**fields, "data": json.loads(fields["data"])})
    return frames, comments


def test_stream_sends_only_my_regions_events(app, users):
    sup = users.supervisor("330100")
    mine = event(app, region="330100")
    event(app, region="330200", department="AMR-330200")
    below = event(app, region="330122", department="AMR-330122")
    frames, _ = read_stream(sup, BEFORE_ALL)
    assert [f["id"] for f in frames] == [str(mine["_id"]), str(below["_id"])]
    assert frames[0]["event"] == "application_overdue"
    assert frames[0]["data"]["id"] == str(mine["_id"])
    assert frames[0]["data"]["region"] == "330100"


def test_reconnecting_with_last_event_id_loses_and_repeats_nothing(app, users):
    sup = users.supervisor("330100")
    events = [event(app) for _ in range(3)]
    first, _ = read_stream(sup, BEFORE_ALL)  # ends after 2 events
    events += [event(app) for _ in range(2)]  # raised while the client was away
    second, _ = read_stream(sup, first[-1]["id"])
    third, _ = read_stream(sup, second[-1]["id"])
    received = [f["id"] for f in first + second + third]
    assert received == [str(e["_id"]) for e in events]


def test_without_last_event_id_the_stream_starts_with_new_events(app, users):
    sup = users.supervisor("330100")
    event(app)
    response = sup.get(STREAM, buffered=False)  # connected: the starting point is fixed
    new = event(app)
    frames, _ = parse("".join(chunk.decode() for chunk in response.response))
    response.close()
    assert [f["id"] for f in frames] == [str(new["_id"])]


def test_an_idle_stream_sends_heartbeats_and_ends_by_itself(app, users):
    sup = users.supervisor("330100")
    frames, comments = read_stream(sup, BEFORE_ALL)
    assert frames == []
    assert ": heartbeat" in comments


def test_stream_scope_and_arguments_are_checked(app, users, anon):
    sup = users.supervisor("330100")
    assert_envelope(anon.get(STREAM), 401)
    assert_envelope(users.resident().get(STREAM), 403)
    assert_envelope(sup.get(STREAM + "?region=330200"), 403)
    assert_envelope(sup.get(STREAM, headers={"Last-Event-ID": "bogus"}), 422)
    below = event(app, region="330122", department="AMR-330122")
    event(app, region="330100")
    frames, _ = read_stream(sup, BEFORE_ALL, "?region=330122")
    assert [f["id"] for f in frames] == [str(below["_id"])]


def test_concurrent_streams_per_process_are_capped(app, users):
    sup = users.supervisor("330100")
    held = sup.get(STREAM, buffered=False)
    try:
        refused = sup.get(STREAM)
        assert_envelope(refused, 503)
        assert refused.headers["Retry-After"]
    finally:
        held.close()
    frames, _ = read_stream(sup, BEFORE_ALL)  # the slot came back on close
    assert frames == []


def test_type_and_department_filters_hold_for_the_catch_up_and_the_live_tail(app, users):
    sup = users.supervisor("330100")
    wanted = event(app, event_type="bad_rating", department="AMR-330100")
    event(app, event_type="application_overdue", department="AMR-330100")
    event(app, event_type="bad_rating", department="TAX-330100")
    # Catch-up: one filter, the other, and both together.
    by_type, _ = read_stream(sup, BEFORE_ALL, "?type=bad_rating")
    assert [f["event"] for f in by_type] == ["bad_rating", "bad_rating"]
    by_department, _ = read_stream(sup, BEFORE_ALL, "?department=AMR-330100")
    assert {f["data"]["department"] for f in by_department} == {"AMR-330100"}
    assert len(by_department) == 2
    both, _ = read_stream(sup, BEFORE_ALL, "?type=bad_rating&department=AMR-330100")
    assert [f["id"] for f in both] == [str(wanted["_id"])]
    # Live: connected first, then events of every kind; only the matching ones arrive.
    response = sup.get(STREAM + "?type=bad_rating&department=AMR-330100", buffered=False)
    event(app, event_type="application_overdue", department="AMR-330100")
    event(app, event_type="bad_rating", department="TAX-330100")
    live = event(app, event_type="bad_rating", department="AMR-330100")
    frames, _ = parse("".join(chunk.decode() for chunk in response.response))
    response.close()
    assert [f["id"] for f in frames] == [str(live["_id"])]


def test_a_filtered_stream_resumes_after_last_event_id(app, users):
    sup = users.supervisor("330100")
    ratings = [event(app, event_type="bad_rating") for _ in range(3)]
    event(app, event_type="application_overdue")
    first, _ = read_stream(sup, BEFORE_ALL, "?type=bad_rating")  # ends after 2 events
    second, _ = read_stream(sup, first[-1]["id"], "?type=bad_rating")
    assert [f["id"] for f in first + second] == [str(e["_id"]) for e in ratings]


def test_stream_filters_are_validated(app, users, db):
    sup = users.supervisor("330100")
    body = assert_envelope(sup.get(STREAM + "?type=not_a_type"), 422)
    assert "type" in str(body["errors"])
    assert_envelope(sup.get(STREAM + "?department=" + "D" * 65), 422)


def test_every_stream_read_is_served_by_an_index(app, db):
    event(app)
    coll = db.supervision_events
    lower, upper = ObjectId.from_datetime(datetime(2020, 1, 1, tzinfo=UTC)), ObjectId()
    for extra in (
        {},
        {"type": "bad_rating"},
        {"department": "AMR-330100"},
        {"type": "bad_rating", "department": "AMR-330100"},
    ):
        # The stream's read: after Last-Event-ID, before the settle bound, oldest first.
        for bound in ({"$gt": lower}, {"$lt": upper}, {"$gt": lower, "$lt": upper}):
            query = {"region_path": "330100", **extra, "_id": bound}
            plan = str(coll.find(query).sort("_id", 1).limit(100).explain()["queryPlanner"])
            assert "COLLSCAN" not in plan, (query, plan)
            assert "IXSCAN" in plan, (query, plan)


def _nullable_to_json_schema(node):
    """OpenAPI 3.0's `nullable` as JSON Schema (a type that also admits null)."""
    if isinstance(node, dict):
        node = {k: _nullable_to_json_schema(v) for k, v in node.items()}
        if node.pop("nullable", False) and "type" in node:
            node["type"] = [node["type"], "null"]
        return node
    if isinstance(node, list):
        return [_nullable_to_json_schema(v) for v in node]
    return node


def test_real_stream_events_match_the_documented_schema(app, users):
    import jsonschema_rs
    import schemathesis
    from schemathesis.specs.openapi.checks import response_schema_conformance

    sup = users.supervisor("330100")
    event(app, region="330100")
    event(app, region="330122", department="AMR-330122")
    # As the fuzzer checks it: the stream parsed into SSE events, against the document.
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema.find_operation_by_path("GET", STREAM)
    case = operation.Case(
        headers={"Authorization": f"Bearer {sup.token}", "Last-Event-ID": BEFORE_ALL}
    )
    response = case.call()
    assert response.status_code == 200
    case.validate_response(response, checks=[response_schema_conformance])
    # And each event's data is a JSON object: the event as the feed documents it.
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    documented = spec["components"]["schemas"]["StreamEvent"]["properties"]["data"]
    event_schema = {
        "$ref": documented["x-content-schema"],
        "components": _nullable_to_json_schema(spec["components"]),
    }
    validator = jsonschema_rs.Draft4Validator(event_schema)
    frames, _ = parse(response.text)
    assert len(frames) == 2
    for frame in frames:
        assert isinstance(frame["data"], dict)
        errors = [str(e) for e in validator.iter_errors(frame["data"])]
        assert not errors, errors


def test_each_app_counts_its_own_streams(app):
    """The cap is per server process, i.e. per app: streams another app holds in the same
    process (the tests' apps) do not count against this one."""
    from app import create_app
    from app.oversight import stream as stream_service

    with app.app_context():
        held = [stream_service.acquire_slot(2), stream_service.acquire_slot(2)]
        with pytest.raises(Exception, match="Too many live streams"):
            stream_service.acquire_slot(2)
    other = create_app(app.extensions["settings"])
    with other.app_context():
        stream_service.acquire_slot(2)()
    held[0]()
    with app.app_context():
        stream_service.acquire_slot(2)()
