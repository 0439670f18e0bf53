"""The notification inbox: newest first, unread filter and count, read, read-all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bson import ObjectId

from app import clock
from app.messaging.notify import notify
from tests.conftest import assert_envelope

BASE = "/api/v1/me/notifications"


def _notify(app, user, n, **kw):
    ids = []
    with app.app_context():
        for i in range(n):
            ids.append(notify(user.id, "status_changed", f"Title {i}", f"Body {i}", **kw))
    return [str(i) for i in ids]


def test_inbox_lists_my_notifications_newest_first_with_cursor_pages(app, users):
    me, other = users.resident(), users.resident()
    ids = _notify(app, me, 5, subject={"kind": "application", "id": "a" * 24})
    _notify(app, other, 2)

    first = me.get(f"{BASE}?limit=3")
    assert first.status_code == 200
    body = first.get_json()
    assert [n["id"] for n in body["items"]] == ids[::-1][:3]
    assert body["items"][0]["read"] is False
    assert body["items"][0]["subject"] == {"kind": "application", "id": "a" * 24}
    assert body["items"][0]["created_at"].endswith("Z")
    _notify(app, me, 1)  # a newcomer does not shift the next page
    second = me.get(f"{BASE}?limit=3&cursor={body['next_cursor']}").get_json()
    assert [n["id"] for n in second["items"]] == ids[::-1][3:]
    assert second["next_cursor"] is None


def test_unread_filter_count_read_and_read_all(app, users, db):
    clock.freeze(datetime(2026, 11, 26, 8, tzinfo=UTC))
    me = users.resident()
    ids = _notify(app, me, 3)
    assert me.get(f"{BASE}/unread-count").get_json() == {"unread": 3}

    read = me.post(f"{BASE}/{ids[1]}/read")
    assert read.status_code == 200
    assert read.get_json()["read"] is True
    assert read.get_json()["read_at"] == "2026-11-26T08:00:00.000Z"
    clock.advance(timedelta(minutes=5))
    again = me.post(f"{BASE}/{ids[1]}/read")  # idempotent, the first read time stays
    assert again.get_json()["read_at"] == "2026-11-26T08:00:00.000Z"

    assert me.get(f"{BASE}/unread-count").get_json() == {"unread": 2}
    unread = me.get(f"{BASE}?unread=true").get_json()["items"]
    assert [n["id"] for n in unread] == [ids[2], ids[0]]

    assert me.post(f"{BASE}/read-all").get_json() == {"marked": 2}
    assert me.get(f"{BASE}/unread-count").get_json() == {"unread": 0}
    assert me.get(f"{BASE}?unread=true").get_json()["items"] == []
    assert db.notifications.count_documents({"read_at": None}) == 0


def test_another_users_notification_is_not_found_and_stays_unread(app, users, db):
    me, other = users.resident(), users.resident()
    (theirs,) = _notify(app, other, 1)
    assert_envelope(me.post(f"{BASE}/{theirs}/read"), 404)
    assert_envelope(me.post(f"{BASE}/not-an-id/read"), 404)
    assert db.notifications.find_one({"_id": ObjectId(theirs)})["read_at"] is None
    me.post(f"{BASE}/read-all")
    assert db.notifications.find_one({"_id": ObjectId(theirs)})["read_at"] is None


def test_inbox_needs_a_signed_in_user(anon):
    for response in (
        anon.get(BASE),
        anon.get(f"{BASE}/unread-count"),
        anon.post(f"{BASE}/read-all"),
    ):
        assert_envelope(response, 401)


def test_inbox_queries_use_indexes(app, users, db):
    me = users.resident()
    _notify(app, me, 2)
    uid = ObjectId(me.id)
    for query in (
        {"user_id": uid, "read_at": None, "_id": {"$lt": ObjectId()}},
        {"user_id": uid, "_id": {"$lt": ObjectId()}},
        {"user_id": uid, "read_at": None},
    ):
        plan = str(db.notifications.find(query).sort("_id", -1).explain()["queryPlanner"])
        assert "COLLSCAN" not in plan, query


def test_notifications_expire_after_the_retention_period(app, users, db):
    me = users.resident()
    (nid,) = _notify(app, me, 1)
    doc = db.notifications.find_one({"_id": ObjectId(nid)})
    assert doc["expires_at"] - doc["created_at"] == timedelta(days=180)
    ttl = db.notifications.index_information()["retention_ttl"]
    assert ttl["expireAfterSeconds"] == 0 and ttl["key"] == [("expires_at", 1)]
