"""Tracking numbers: a daily sequence whose counters expire, keeping their collection tiny."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app import clock
from app.cases.tracking import COUNTER_GRACE, next_tracking_no


def test_numbers_follow_a_daily_sequence_whose_counter_expires(app, db) -> None:
    clock.freeze(datetime(2026, 11, 26, 2, 0, tzinfo=UTC))
    assert next_tracking_no("ZJ") == "ZJ20261126000001"
    assert next_tracking_no("ZJ") == "ZJ20261126000002"
    counter = db.counters.find_one({"_id": "tracking:ZJ:20261126"})
    assert counter["seq"] == 50  # a block of numbers reserved at once
    assert counter["expires_at"] == clock.now() + COUNTER_GRACE
    ttl = [i for i in db.counters.list_indexes() if i["name"] == "counter_expiry"]
    assert ttl and ttl[0]["expireAfterSeconds"] == 0
    clock.freeze(datetime(2026, 11, 26, 16, 0, tzinfo=UTC) + timedelta(hours=1))
    assert next_tracking_no("ZJ") == "ZJ20261127000001"  # the next China-local day
