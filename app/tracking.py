"""Human-readable tracking numbers: PREFIX + local date + a daily sequence, e.g.
ZJ20261126000123. Unique by construction (an atomic counter) and by a unique index."""

from __future__ import annotations

from app import clock
from app.db import collection
from app.workcalendar import CHINA_TZ


def next_tracking_no(prefix: str) -> str:
    day = clock.now().astimezone(CHINA_TZ).strftime("%Y%m%d")
    # find_one_and_update is the one atomic read-modify-write we need here; it is slower than
    # update_one on the embedded server, but a number must never be handed out twice.
    doc = collection("counters").find_one_and_update(
        {"_id": f"tracking:{prefix}:{day}"},
        {"$inc": {"seq": 1}},
        upsert=True,
        return_document=True,
    )
    assert doc is not None  # upsert with return_document=True always returns the document
    return f"{prefix}{day}{int(doc['seq']):06d}"
