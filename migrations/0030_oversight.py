"""Oversight (issue 5): indexes for the inbox, the supervision feed and stream, the push
outbox's lease recovery, and the SLA sweeps over applications and complaints.

The embedded server answers a filter with an index only when the index's leading keys are
exactly the filter's equality fields (a gap means a COLLSCAN), so the feed has one index per
combination of its optional filters."""

from pymongo import ASCENDING, DESCENDING

from app.platform.migrate import ensure_collection

# (region_path, _id) itself is 0003's region_newest.
FEED_FILTERS = (
    ("type",),
    ("state",),
    ("department",),
    ("type", "state"),
    ("type", "department"),
    ("state", "department"),
    ("type", "state", "department"),
)


def feed_index_name(fields):
    return "feed_" + "_".join(fields)


def _ensure_clock_index(coll, field, name):
    """One index on FIELD whatever its name: the case migrations may have made it already
    (MongoDB refuses a second index on the same key under another name)."""
    if any(info["key"] == [(field, 1)] for info in coll.index_information().values()):
        return
    coll.create_index(field, name=name)


def upgrade(db):
    db.notifications.create_index(
        [("user_id", ASCENDING), ("read_at", ASCENDING), ("_id", DESCENDING)],
        name="user_unread_newest",
    )
    for fields in FEED_FILTERS:
        keys = [("region_path", ASCENDING)] + [(f, ASCENDING) for f in fields]
        db.supervision_events.create_index(
            keys + [("_id", DESCENDING)], name=feed_index_name(fields)
        )
    # The worker's event notifications: events of a type not yet notified.
    db.supervision_events.create_index(
        [("type", ASCENDING), ("notified_at", ASCENDING), ("_id", ASCENDING)],
        name="type_notified",
    )
    # Push outbox: lease recovery uses 0003's `due` (state, next_attempt_at); these serve the
    # invalid-token kill and housekeeping.
    db.push_outbox.create_index([("token", ASCENDING), ("state", ASCENDING)], name="token_state")
    db.push_outbox.create_index([("state", ASCENDING), ("sent_at", ASCENDING)], name="sent")
    db.push_outbox.create_index([("state", ASCENDING), ("dead_at", ASCENDING)], name="dead")
    # Who must act on an event: staff of a department with a duty (users_repo).
    db.users.create_index(
        [("department", ASCENDING), ("role", ASCENDING), ("duties", ASCENDING)],
        name="department_role_duty",
    )
    # Public KPIs of the whole platform (no region): counters by day alone.
    db.kpi_daily.create_index([("day", ASCENDING)], name="day_only")
    # The sweeps: `warn_at <= now` / `overdue_at <= now` (nulled once raised). Whichever
    # migration (0010s/0020s or this one) creates the collection first, the index lands.
    for name in ("applications", "complaints"):
        ensure_collection(db, name)
        _ensure_clock_index(db[name], "warn_at", "sla_warn_due")
        _ensure_clock_index(db[name], "overdue_at", "sla_overdue_due")


def downgrade(db):
    db.notifications.drop_index("user_unread_newest")
    db.users.drop_index("department_role_duty")
    db.kpi_daily.drop_index("day_only")
    for index in ("token_state", "sent", "dead"):
        db.push_outbox.drop_index(index)
    db.supervision_events.drop_index("type_notified")
    for fields in FEED_FILTERS:
        db.supervision_events.drop_index(feed_index_name(fields))
    for name in ("applications", "complaints"):
        for index in ("sla_warn_due", "sla_overdue_due"):
            if index in getattr(db, name).index_information():
                getattr(db, name).drop_index(index)
