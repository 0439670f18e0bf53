"""Human-readable tracking numbers: PREFIX + local date + a daily sequence, e.g.
ZJ20261126000123. Unique by construction (an atomic counter) and by a unique index."""

from __future__ import annotations

from datetime import timedelta

from app import clock
from app.cases.workcalendar import CHINA_TZ
from app.db import collection

# A day's counter is needed only on that day; the TTL index of migration 0040 removes it
# after this grace, which keeps the collection tiny (see below).
COUNTER_GRACE = timedelta(days=3)


def next_tracking_no(prefix: str) -> str:
    day = clock.now().astimezone(CHINA_TZ).strftime("%Y%m%d")
    # find_one_and_update is the one atomic read-modify-write we need here (a number must never
    # be handed out twice). The embedded server answers it by scanning the whole collection
    # (3.9 s at 100 k documents; `make bench-scale` measures it), so it runs only on this
    # collection, which expiring counters keep at a few documents.
    doc = collection("counters").find_one_and_update(
        {"_id": f"tracking:{prefix}:{day}"},
        {"$inc": {"seq": 1}, "$setOnInsert": {"expires_at": clock.now() + COUNTER_GRACE}},
        upsert=True,
        return_document=True,
    )
    assert doc is not None  # upsert with return_document=True always returns the document
    return f"{prefix}{day}{int(doc['seq']):06d}"
