"""The case engine's pure parts: the document an update leaves (the engine answers with it
instead of reading the case back) and the outbox's update operators."""

from datetime import UTC, datetime

import pytest

from app import outbox
from app.cases.engine import apply_locally


def test_an_update_is_applied_to_a_copy_as_the_database_would():
    doc = {"status": "a", "version": 2, "timeline": [{"x": 1}], "n": {"visits": 1}, "gone": 1}
    after = apply_locally(
        doc,
        {
            "$set": {"status": "b", "n.when": "now"},
            "$inc": {"version": 1, "n.visits": 2, "fresh": 1},
            "$push": {"timeline": {"x": 2}, "more": {"$each": [1, 2]}},
            "$unset": {"gone": ""},
        },
    )
    assert after == {
        "status": "b",
        "version": 3,
        "timeline": [{"x": 1}, {"x": 2}],
        "n": {"visits": 3, "when": "now"},
        "fresh": 1,
        "more": [1, 2],
    }
    assert doc["timeline"] == [{"x": 1}] and doc["version"] == 2  # the read is untouched


def test_outbox_operators_merge_into_a_command_and_refuse_a_field_twice():
    at = datetime(2026, 12, 1, tzinfo=UTC)
    entries = [{"id": "1", "type": "audit"}, {"id": "2", "type": "kpi"}]
    merged = outbox.merge_update(
        {"$set": {"status": "b"}, "$inc": {"version": 1}}, outbox.update_for(entries, at)
    )
    assert merged == {
        "$set": {"status": "b"},
        "$inc": {"version": 1, "outbox_n": 2},
        "$push": {"outbox": {"$each": entries}},
        "$min": {"outbox_since": at},
    }
    with pytest.raises(ValueError):
        outbox.merge_update({"$inc": {"outbox_n": 1}}, outbox.update_for(entries, at))
    assert outbox.update_for([], at) == {}
    assert outbox.fields_for_insert(entries, at) == {
        "outbox": entries,
        "outbox_since": at,
        "outbox_n": 2,
    }


def test_an_entry_of_a_type_nobody_applies_is_refused_when_queued():
    with pytest.raises(ValueError):
        outbox.entry("no-such-type")
