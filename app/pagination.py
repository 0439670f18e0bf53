"""One cursor-pagination helper: opaque cursors over (sort field, _id), stable under inserts.

MongoDB's $or of the two range conditions would fall back to a collection scan on the
embedded server, so a page is read as one index range (`field >= last`, sorted) and the
few rows that tie with the previous page's last one are skipped here.

Windows. The embedded server fetches and sorts in memory every document an index range
matches, however small the page (MongoDB walks the index in order and stops at the page).
A listing whose match set grows without bound (a department's queue, a region's feed) can
therefore be read in `Windows`: successive ranges of its time-valued sort key, starting
where the listing starts and sized from the density seen so far, until the page is full.
A page then costs about its own size on either server. The first window is open towards
the listing's start, so a start that is off (a stale hint) costs time, never rows.
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId
from pymongo.collection import Collection

from app.http.errors import ValidationFailed

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# Windows: how far each one may grow past the span covered so far (further after an empty
# one: a sparse listing should not cost many round trips), and how many are read before the
# rest of the listing is read as one open range. From an hour, five windows cover ~200 days.
WINDOW_GROWTH = 4.0
EMPTY_WINDOW_GROWTH = 8.0
MAX_WINDOWS = 5
MIN_WINDOW = timedelta(seconds=1)
# A datetime key (not an ObjectId's whole seconds) takes narrower windows: a queue filled at
# dozens of cases a second would otherwise read a second's worth for every page.
MIN_TIME_WINDOW = timedelta(milliseconds=1)


def _min_window(sort_field: str) -> timedelta:
    return MIN_WINDOW if sort_field == "_id" else MIN_TIME_WINDOW


# Window edges stay where an ObjectId's timestamp can follow; beyond, a window is open.
_EARLIEST = datetime(1971, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Windows:
    """Read a listing sorted on a datetime or ObjectId key as ranges of that key.

    START is where the first page begins: the current time for a newest-first listing, the
    oldest entry's time (or a hint of it) for an oldest-first one. WIDTH is the first
    window's span; the next page's first window takes the span its page needed (it rides
    in the cursor). END, when known, is where the listing ends in its direction (its
    oldest entry's time newest-first, its last one's oldest-first): the window that reaches
    it is read as the last, open one, so a listing smaller than a page costs one or two
    reads instead of every window. A hint like START: an END that is off costs time (one
    wider read), never rows, since the open window holds everything past it."""

    start: datetime
    width: timedelta = timedelta(hours=1)
    end: datetime | None = None


@dataclass
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"items": self.items, "next_cursor": self.next_cursor}


def _encode_value(value: Any) -> Any:
    if isinstance(value, ObjectId):
        return {"o": str(value)}
    if isinstance(value, datetime):
        return {"d": value.isoformat()}
    return {"v": value}


_INT64 = 2**63


def _decode_value(raw: Any) -> Any:
    """A cursor value as encode_cursor wrote it; ValueError for anything else (a client may
    send any bytes: only values MongoDB can compare with the listing's own are let through)."""
    if not isinstance(raw, dict) or len(raw) != 1:
        raise ValueError("bad cursor value")
    ((kind, value),) = raw.items()
    if kind == "o" and isinstance(value, str) and len(value) == 24 and ObjectId.is_valid(value):
        return ObjectId(value)
    if kind == "d" and isinstance(value, str):
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("cursor time without a zone")
        return moment
    if kind == "v":
        if value is None or (isinstance(value, str) and len(value) <= 1000):
            return value
        if isinstance(value, int) and not isinstance(value, bool) and -_INT64 <= value < _INT64:
            return value
        if isinstance(value, float) and math.isfinite(value):
            return value
    raise ValueError("bad cursor value")


def encode_cursor(sort_field: str, doc: dict[str, Any], width: timedelta | None = None) -> str:
    payload: dict[str, Any] = {
        "f": sort_field,
        "k": _encode_value(_get(doc, sort_field)),
        "i": _encode_value(doc["_id"]),
    }
    if width is not None:
        payload["w"] = round(width.total_seconds(), 3)
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@dataclass(frozen=True)
class Cursor:
    value: Any
    id: Any
    width: timedelta | None = None


def decode_cursor(cursor: str, sort_field: str) -> Cursor:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if payload["f"] != sort_field:
            raise ValueError("cursor from another listing")
        width = payload.get("w")
        if width is not None and not (isinstance(width, int | float) and 0 < width < 1e10):
            raise ValueError("bad cursor width")
        return Cursor(
            _decode_value(payload["k"]),
            _decode_value(payload["i"]),
            timedelta(seconds=width) if width is not None else None,
        )
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise _invalid_cursor() from exc


def _invalid_cursor() -> ValidationFailed:
    return ValidationFailed(
        "The cursor is not valid for this listing.", errors={"cursor": ["Invalid cursor."]}
    )


def _get(doc: dict[str, Any], dotted: str) -> Any:
    value: Any = doc
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _after(value: Any, _id: Any, last: Cursor, descending: bool) -> bool:
    if value != last.value:
        return True  # strictly past the boundary: the range query guaranteed the direction
    return _id < last.id if descending else _id > last.id


def as_time(value: Any) -> datetime | None:
    """The instant a sort-key value stands for (an ObjectId's creation second), else None."""
    if isinstance(value, ObjectId):
        return value.generation_time
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None


class _Bound:
    """One side of a range on the sort key: a value and whether it is included."""

    def __init__(self, value: Any, inclusive: bool) -> None:
        self.value, self.inclusive = value, inclusive


_LOWER = {"$gt": False, "$gte": True}
_UPPER = {"$lt": False, "$lte": True}


def _range_of(condition: Any) -> tuple[_Bound | None, _Bound | None] | None:
    """The (lower, upper) bounds of a query's condition on the sort key; None when it is
    not a plain range (an equality, $in, $exists ...), which windows cannot narrow."""
    if condition is None:
        return None, None
    if not isinstance(condition, dict) or not set(condition) <= {*_LOWER, *_UPPER}:
        return None
    lower = upper = None
    for op, value in condition.items():
        if op in _LOWER:
            lower = _tighter(lower, _Bound(value, _LOWER[op]), upper=False)
        else:
            upper = _tighter(upper, _Bound(value, _UPPER[op]), upper=True)
    return lower, upper


def _tighter(a: _Bound | None, b: _Bound | None, *, upper: bool) -> _Bound | None:
    if a is None or b is None:
        return a or b
    if a.value == b.value:
        return a if not a.inclusive else b
    pick_a = a.value < b.value if upper else a.value > b.value
    return a if pick_a else b


def _condition(lower: _Bound | None, upper: _Bound | None) -> dict[str, Any] | None:
    """The query condition for lower..upper; None when the range is empty."""
    if lower is not None and upper is not None:
        if lower.value > upper.value or (
            lower.value == upper.value and not (lower.inclusive and upper.inclusive)
        ):
            return None
    condition: dict[str, Any] = {}
    if lower is not None:
        condition["$gte" if lower.inclusive else "$gt"] = lower.value
    if upper is not None:
        condition["$lte" if upper.inclusive else "$lt"] = upper.value
    return condition


@dataclass
class _Reader:
    """One listing's find: its sort and projection, and which rows a cursor leaves out."""

    collection: Collection[Any]
    sort: list[tuple[str, int]]
    projection: dict[str, Any] | None
    keep: Any

    def read(self, filter_: dict[str, Any], want: int) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = self.collection.find(filter_, self.projection).sort(self.sort)
        for doc in cursor.batch_size(want + 1):
            if self.keep(doc):
                items.append(doc)
                if len(items) >= want:
                    break
        return items


def _read_windows(
    reader: _Reader,
    filter_: dict[str, Any],
    want: int,
    *,
    sort_field: str,
    descending: bool,
    origin: datetime,
    width: timedelta,
    end: datetime | None = None,
) -> list[dict[str, Any]] | None:
    """Up to WANT rows read window by window from ORIGIN in the listing's direction; None
    when the query's own condition on the sort key is not a range windows can narrow.

    Windows partition the key: newest-first they are (far, near], oldest-first [near, far).
    The first has no near edge (the listing's start, or the cursor's bound in the query),
    the last no far edge, so every row of the query is in exactly one window."""
    own = _range_of(filter_.get(sort_field))
    if own is None:
        return None
    own_lower, own_upper = own
    if any(b is not None and as_time(b.value) is None for b in own):
        return None  # bounds of another type than the windows' edges
    # Start inside the query's own range, so the first empty window means the end.
    near_own = own_upper if descending else own_lower
    near_time = as_time(near_own.value) if near_own is not None else None
    if near_time is not None and (near_time < origin if descending else near_time > origin):
        origin = near_time
    step = -1 if descending else 1

    def edge(offset: timedelta) -> Any:
        """The key value OFFSET from ORIGIN; None (no edge) outside what an ObjectId holds
        or at or past the listing's END (the rest of the listing is then one open window)."""
        at = origin + step * offset
        if not _EARLIEST <= at <= _LATEST:
            return None
        if end is not None and offset and (at <= end if descending else at >= end):
            return None
        return ObjectId.from_datetime(at) if sort_field == "_id" else at

    items: list[dict[str, Any]] = []
    covered = timedelta(0)
    for n in range(MAX_WINDOWS + 1):
        near = edge(covered) if n else None
        far = edge(covered + width) if n < MAX_WINDOWS else None
        if descending:
            lower = _tighter(own_lower, _Bound(far, False) if far else None, upper=False)
            upper = _tighter(own_upper, _Bound(near, True) if near else None, upper=True)
        else:
            lower = _tighter(own_lower, _Bound(near, True) if near else None, upper=False)
            upper = _tighter(own_upper, _Bound(far, False) if far else None, upper=True)
        condition = _condition(lower, upper)
        if condition is None:
            break  # past the end of the query's own range
        window = dict(filter_)
        window.pop(sort_field, None)
        if condition:
            window[sort_field] = condition
        items.extend(reader.read(window, want - len(items)))
        if len(items) >= want or far is None:
            break
        covered += width
        # Size the next window from the density seen so far.
        factor = EMPTY_WINDOW_GROWTH
        if items:
            factor = min(WINDOW_GROWTH, 1.25 * (want - len(items)) / len(items))
        width = max(_min_window(sort_field), covered * factor)
    return items


def page_span(items: list[dict[str, Any]], sort_field: str) -> timedelta | None:
    """The span of sort-key time a page covered: the first window's width for the next."""
    if len(items) < 2:
        return None
    first, last = as_time(_get(items[0], sort_field)), as_time(_get(items[-1], sort_field))
    if first is None or last is None:
        return None
    return max(_min_window(sort_field), abs(last - first))


class FirstPages:
    """Per listing (a key: its queue, its region and filters), where its first page began and
    the span of sort-key time per item that page covered, when this process last read it:
    hints for the next first page's window (its start and its width for a page), kept in
    memory since a read writes nothing. Without them a listing that grew dense since its
    stored hints (a queue filled within seconds, a feed raising hundreds of events an hour)
    has its whole first window fetched and sorted for every page."""

    def __init__(self, max_keys: int = 10_000) -> None:
        self.max_keys = max_keys
        self._seen: dict[Any, tuple[datetime, float]] = {}
        _FIRST_PAGES.append(self)

    def get(self, key: Any) -> tuple[datetime, float] | None:
        """(Where the first page began, seconds per item), or None before a full page."""
        return self._seen.get(key)

    def width(self, key: Any, limit: int, default: timedelta) -> timedelta:
        """The first window for a page of LIMIT: what LIMIT + 1 items spanned last time."""
        seen = self._seen.get(key)
        return default if seen is None else timedelta(seconds=seen[1] * (limit + 1))

    def saw(self, key: Any, page: Page, sort_field: str) -> None:
        """Remember a full first PAGE of KEY's listing (one with a next page)."""
        if page.next_cursor is None:
            return
        span = page_span(page.items, sort_field)
        first = as_time(_get(page.items[0], sort_field))
        if span is None or first is None:
            return
        if len(self._seen) >= self.max_keys:
            self._seen.clear()
        self._seen[key] = (first, span.total_seconds() / (len(page.items) - 1))

    def forget(self) -> None:
        self._seen.clear()


_FIRST_PAGES: list[FirstPages] = []


def forget_first_pages() -> None:
    """Drop every hint learned (tests put a database back to an earlier state)."""
    for learned in _FIRST_PAGES:
        learned.forget()


def paginate(
    collection: Collection[Any],
    query: dict[str, Any],
    *,
    sort_field: str = "_id",
    descending: bool = True,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    projection: dict[str, Any] | None = None,
    windows: Windows | None = None,
) -> Page:
    """Newest-first (or oldest-first) page of `query`, ordered by (sort_field, _id).
    With WINDOWS, read as successive ranges of the sort key (see the module's note)."""
    limit = max(1, min(limit, MAX_LIMIT))
    direction = -1 if descending else 1
    filter_ = dict(query)
    last: Cursor | None = None
    if cursor:
        last = decode_cursor(cursor, sort_field)
        op = "$lt" if descending else "$gt"
        if sort_field == "_id":
            filter_["_id"] = {op: last.id}
        else:
            bound = {("$lte" if descending else "$gte"): last.value}
            existing = filter_.get(sort_field)
            filter_[sort_field] = {**existing, **bound} if isinstance(existing, dict) else bound
    sort = (
        [(sort_field, direction)]
        if sort_field == "_id"
        else [(sort_field, direction), ("_id", direction)]
    )

    def keep(doc: dict[str, Any]) -> bool:
        if last is None or sort_field == "_id":
            return True
        return _after(_get(doc, sort_field), doc["_id"], last, descending)

    reader = _Reader(collection, sort, projection, keep)
    try:
        items = _read_page(reader, filter_, limit, sort_field, descending, last, windows)
    except (TypeError, OverflowError) as exc:
        if last is None:
            raise
        # A well-formed cursor whose values are of another type than the listing's sort key
        # (or out of datetime's range): only a client that edited the cursor sends one.
        raise _invalid_cursor() from exc
    has_more = len(items) > limit
    items = items[:limit]
    span = page_span(items, sort_field) if windows is not None else None
    next_cursor = encode_cursor(sort_field, items[-1], span) if has_more and items else None
    return Page(items, next_cursor)


def _read_page(
    reader: _Reader,
    filter_: dict[str, Any],
    limit: int,
    sort_field: str,
    descending: bool,
    last: Cursor | None,
    windows: Windows | None,
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] | None = None
    if windows is not None:
        origin = as_time(last.value if sort_field != "_id" else last.id) if last else None
        width = (last.width if last else None) or windows.width
        items = _read_windows(
            reader,
            filter_,
            limit + 1,
            sort_field=sort_field,
            descending=descending,
            origin=origin or windows.start,
            width=max(_min_window(sort_field), width),
            end=windows.end,
        )
    if items is None:
        items = reader.read(filter_, limit + 1)
    return items
