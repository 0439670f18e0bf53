"""The one cursor-pagination helper: complete, no repeats, stable while rows are added."""

import base64
import json
import random
import struct
from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId
from pymongo import monitoring

from app.http.errors import ValidationFailed
from app.pagination import Windows, decode_cursor, paginate


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


# --- Windows: the same rows as one plain read, for a fraction of the matches -----------

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


class Finds(monitoring.CommandListener):
    """The filters of the find commands a block of code sent."""

    def __init__(self) -> None:
        self.filters: list[dict] = []
        self.on = False

    def started(self, event):
        if self.on and event.command_name == "find":
            self.filters.append(event.command["filter"])

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


FINDS = Finds()
monitoring.register(FINDS)


def spread(db, count: int, seed: int = 5) -> None:
    """COUNT rows over twelve years back from NOW, dense near it, with ties in both keys."""
    rng = random.Random(seed)
    docs = []
    for n in range(count):
        back = timedelta(hours=rng.choice([0.01, 0.5, 3, 30, 400, 4000, 100_000]) * rng.random())
        at = (NOW - back).replace(microsecond=0)
        seconds = struct.pack(">I", int(at.timestamp()))
        docs.append(
            {
                "_id": ObjectId(seconds + rng.randbytes(8)),
                "q": "a" if n % 5 else "b",
                "due_at": at + timedelta(hours=rng.choice([0, 0, 1, 48, 2000])),
            }
        )
    db.things.insert_many(docs)


def walk_windowed(coll, query, windows, **kw):
    seen, cursor = [], None
    while True:
        page = paginate(coll, query, cursor=cursor, windows=windows, **kw)
        seen.extend(doc["_id"] for doc in page.items)
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


@pytest.mark.parametrize("limit", [4, 20, 100])
def test_newest_first_windows_return_exactly_the_plain_listing(app, db, limit):
    spread(db, 300)
    with app.app_context():
        plain = walk(db.things, {"q": "a"}, limit=limit)
        windowed = walk_windowed(db.things, {"q": "a"}, Windows(NOW), limit=limit)
    assert windowed == plain and len(plain) == db.things.count_documents({"q": "a"})


@pytest.mark.parametrize(
    "start", [NOW, NOW - timedelta(days=3000), NOW + timedelta(days=900), NOW - timedelta(hours=5)]
)
@pytest.mark.parametrize("own", [None, {"$lt": NOW}, {"$gte": NOW}, {"$gt": NOW, "$lte": NOW}])
def test_oldest_first_windows_from_any_start_return_exactly_the_plain_listing(app, db, start, own):
    spread(db, 250)
    query = {"q": "a"} if own is None else {"q": "a", "due_at": own}
    kw = {"sort_field": "due_at", "descending": False, "limit": 9}
    with app.app_context():
        plain = walk(db.things, query, **kw)
        windowed = walk_windowed(db.things, query, Windows(start, timedelta(minutes=7)), **kw)
    assert windowed == plain
    assert len(plain) == db.things.count_documents(query)


def test_a_windowed_page_reads_about_its_own_size_not_the_whole_listing(app, db):
    # 3 000 rows, one a minute back from NOW: a plain read makes the embedded server fetch
    # and sort all 3 000 for a page of 20 (see the module's note); windows read ~its size.
    db.things.insert_many(
        [{"_id": ObjectId.from_datetime(NOW - timedelta(minutes=n)), "q": "a"} for n in range(3000)]
    )
    with app.app_context():
        FINDS.filters.clear()
        FINDS.on = True
        try:
            first = paginate(db.things, {"q": "a"}, limit=20, windows=Windows(NOW))
            second = paginate(
                db.things, {"q": "a"}, limit=20, cursor=first.next_cursor, windows=Windows(NOW)
            )
        finally:
            FINDS.on = False
    matched = sum(db.things.count_documents(f) for f in FINDS.filters)
    assert len(first.items) == len(second.items) == 20
    assert matched <= 200, (matched, FINDS.filters)
    # The cursor carries the span the page needed, so the next page starts with it.
    assert decode_cursor(first.next_cursor, "_id").width == timedelta(minutes=19)


def test_a_cursor_with_a_tampered_width_is_a_422(app, db):
    payload = {"f": "_id", "k": {"o": str(ObjectId())}, "i": {"o": str(ObjectId())}, "w": -5}
    raw = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()
    with app.app_context(), pytest.raises(ValidationFailed):
        paginate(db.things, {}, cursor=raw, windows=Windows(NOW))


def test_windows_leave_a_listing_they_cannot_narrow_to_one_plain_read(app, db):
    db.things.insert_many([{"due_at": "not a date", "q": "a"} for _ in range(3)])
    with app.app_context():
        page = paginate(
            db.things,
            {"q": "a", "due_at": {"$gte": "a"}},
            sort_field="due_at",
            descending=False,
            windows=Windows(NOW),
        )
    assert len(page.items) == 3


def test_rows_exactly_on_a_window_edge_are_read_once(app, db):
    # Window edges here: the first page's window ends an hour from the start, the next
    # ends eight hours further (nothing found in the first). One row on each edge.
    hour = timedelta(hours=1)
    on_edges = [NOW - hour, NOW - 9 * hour]
    db.things.insert_many(
        [{"_id": ObjectId.from_datetime(at), "due_at": NOW + (NOW - at)} for at in on_edges]
    )
    with app.app_context():
        newest = walk_windowed(db.things, {}, Windows(NOW, hour), limit=1)
        oldest = walk_windowed(
            db.things, {}, Windows(NOW, hour), sort_field="due_at", descending=False, limit=1
        )
    assert newest == [ObjectId.from_datetime(at) for at in on_edges]
    assert oldest == newest


# --- Windows that know where the listing ends ---------------------------------------------


@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize(
    "end_back",
    [None, timedelta(0), timedelta(hours=2), timedelta(days=40), timedelta(days=9000)],
)
def test_windows_with_any_end_return_exactly_the_plain_listing(app, db, descending, end_back):
    # END is a hint: right, too near, too far or on a row, the pages are the plain ones.
    spread(db, 250)
    end = None if end_back is None else (NOW - end_back if descending else NOW + end_back)
    kw = {"sort_field": "due_at", "descending": descending, "limit": 9}
    start = NOW if descending else NOW - timedelta(days=5000)
    with app.app_context():
        plain = walk(db.things, {"q": "a"}, **kw)
        windowed = walk_windowed(
            db.things, {"q": "a"}, Windows(start, timedelta(minutes=7), end), **kw
        )
    assert windowed == plain and len(plain) == db.things.count_documents({"q": "a"})


@pytest.mark.parametrize("descending", [True, False])
def test_a_listing_shorter_than_a_page_with_a_known_end_is_one_read(app, db, descending):
    # Without END, five empty windows and the open rest: six finds for five rows.
    at = [NOW - timedelta(minutes=n) for n in range(5)]
    db.things.insert_many([{"_id": ObjectId.from_datetime(t), "q": "a"} for t in at])
    start, end = (NOW, min(at)) if descending else (min(at), NOW)
    with app.app_context():
        FINDS.filters.clear()
        FINDS.on = True
        try:
            known = paginate(
                db.things, {"q": "a"}, descending=descending, windows=Windows(start, end=end)
            )
            reads_known = len(FINDS.filters)
            FINDS.filters.clear()
            unknown = paginate(db.things, {"q": "a"}, descending=descending, windows=Windows(start))
            reads_unknown = len(FINDS.filters)
        finally:
            FINDS.on = False
    assert known.items == unknown.items and len(known.items) == 5
    assert reads_known == 1 and reads_unknown == 6
