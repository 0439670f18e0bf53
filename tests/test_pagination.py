"""The one cursor-pagination helper: complete, no repeats, stable while rows are added."""

from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId

from app.errors import ValidationFailed
from app.pagination import paginate


def walk(coll, query, **kw):
    seen, cursor = [], None
    while True:
        page = paginate(coll, query, cursor=cursor, **kw)
        seen.extend(doc["_id"] for doc in page.items)
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


def test_newest_first_pages_cover_everything_once(app, db):
    db.things.insert_many([{"owner": "a", "n": i} for i in range(45)])
    with app.app_context():
        ids = walk(db.things, {"owner": "a"}, limit=10)
    assert len(ids) == 45 and len(set(ids)) == 45
    assert ids == sorted(ids, reverse=True)


def test_ties_on_the_sort_field_are_neither_lost_nor_repeated(app, db):
    due = datetime(2026, 12, 1, tzinfo=UTC)
    db.things.insert_many(
        [{"dept": "d", "due_at": due + timedelta(hours=i % 3)} for i in range(31)]
    )
    with app.app_context():
        ids = walk(db.things, {"dept": "d"}, sort_field="due_at", descending=False, limit=4)
    assert len(ids) == 31 and len(set(ids)) == 31
    docs = {d["_id"]: d for d in db.things.find()}
    keys = [(docs[i]["due_at"], i) for i in ids]
    assert keys == sorted(keys)


def test_rows_added_while_paging_do_not_shift_the_pages(app, db):
    db.things.insert_many([{"owner": "a"} for _ in range(10)])
    with app.app_context():
        first = paginate(db.things, {"owner": "a"}, limit=5)
        db.things.insert_many([{"owner": "a"} for _ in range(3)])  # newer rows arrive
        second = paginate(db.things, {"owner": "a"}, limit=5, cursor=first.next_cursor)
    assert not {d["_id"] for d in first.items} & {d["_id"] for d in second.items}
    assert len(second.items) == 5 and second.next_cursor is None


@pytest.mark.parametrize("cursor", ["garbage", "eyJmIjoiX2lkIn0", "e30"])
def test_tampered_cursor_is_a_422(app, db, cursor):
    with app.app_context(), pytest.raises(ValidationFailed):
        paginate(db.things, {}, cursor=cursor)


def test_a_cursor_from_another_listing_is_refused(app, db):
    db.things.insert_many([{"due_at": datetime(2026, 1, 1, tzinfo=UTC)} for _ in range(3)])
    with app.app_context():
        page = paginate(db.things, {}, sort_field="due_at", limit=1)
        with pytest.raises(ValidationFailed):
            paginate(db.things, {}, cursor=page.next_cursor)


def test_limit_is_capped_at_100(app, db):
    db.things.insert_many([{"_id": ObjectId()} for _ in range(120)])
    with app.app_context():
        assert len(paginate(db.things, {}, limit=1000).items) == 100


def test_api_lists_reject_limits_over_100(client):
    response = client.get("/api/v1/departments?limit=101")
    assert response.status_code == 422
