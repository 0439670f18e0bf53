"""One cursor-pagination helper: opaque cursors over (sort field, _id), stable under inserts.

MongoDB's $or of the two range conditions would fall back to a collection scan on the
embedded server, so a page is read as one index range (`field >= last`, sorted) and the
few rows that tie with the previous page's last one are skipped here.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo.collection import Collection

from app.errors import ValidationFailed

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


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


def _decode_value(raw: Any) -> Any:
    if not isinstance(raw, dict) or len(raw) != 1:
        raise ValueError("bad cursor value")
    ((kind, value),) = raw.items()
    if kind == "o":
        return ObjectId(value)
    if kind == "d":
        return datetime.fromisoformat(value)
    if kind == "v" and (value is None or isinstance(value, str | int | float)):
        return value
    raise ValueError("bad cursor value")


def encode_cursor(sort_field: str, doc: dict[str, Any]) -> str:
    payload = {
        "f": sort_field,
        "k": _encode_value(_get(doc, sort_field)),
        "i": _encode_value(doc["_id"]),
    }
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort_field: str) -> tuple[Any, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if payload["f"] != sort_field:
            raise ValueError("cursor from another listing")
        return _decode_value(payload["k"]), _decode_value(payload["i"])
    except (ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
        raise ValidationFailed(
            "The cursor is not valid for this listing.", errors={"cursor": ["Invalid cursor."]}
        ) from exc


def _get(doc: dict[str, Any], dotted: str) -> Any:
    value: Any = doc
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _after(value: Any, _id: Any, last_value: Any, last_id: Any, descending: bool) -> bool:
    if value != last_value:
        return True  # strictly past the boundary: the range query guaranteed the direction
    return _id < last_id if descending else _id > last_id


def paginate(
    collection: Collection[Any],
    query: dict[str, Any],
    *,
    sort_field: str = "_id",
    descending: bool = True,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    projection: dict[str, Any] | None = None,
) -> Page:
    """Newest-first (or oldest-first) page of `query`, ordered by (sort_field, _id)."""
    limit = max(1, min(limit, MAX_LIMIT))
    direction = -1 if descending else 1
    filter_ = dict(query)
    last_value = last_id = None
    if cursor:
        last_value, last_id = decode_cursor(cursor, sort_field)
        op = "$lt" if descending else "$gt"
        if sort_field == "_id":
            filter_["_id"] = {op: last_id}
        else:
            bound = {("$lte" if descending else "$gte"): last_value}
            existing = filter_.get(sort_field)
            filter_[sort_field] = {**existing, **bound} if isinstance(existing, dict) else bound
    sort = (
        [(sort_field, direction)]
        if sort_field == "_id"
        else [(sort_field, direction), ("_id", direction)]
    )
    items: list[dict[str, Any]] = []
    for doc in collection.find(filter_, projection).sort(sort).batch_size(limit + 2):
        if (
            cursor
            and sort_field != "_id"
            and not _after(_get(doc, sort_field), doc["_id"], last_value, last_id, descending)
        ):
            continue
        items.append(doc)
        if len(items) > limit:
            break
    has_more = len(items) > limit
    items = items[:limit]
    next_cursor = encode_cursor(sort_field, items[-1]) if has_more and items else None
    return Page(items, next_cursor)
