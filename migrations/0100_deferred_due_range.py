"""The deferred-material sweep's index as a plain one over `deferred_due_at`, read as the range
EPOCH <= t <= now (app.db.due_by). Migration 0097's partial index (dates only) is never chosen
by the embedded server for `{$type: "date", $lte: now}`, so every worker pass scanned the whole
applications collection for lapsed promises."""

from pymongo import ASCENDING

OLD = "deferred_due"
NEW = "deferred_due_range"


def upgrade(db):
    if OLD in db.applications.index_information():
        db.applications.drop_index(OLD)
    db.applications.create_index([("deferred_due_at", ASCENDING)], name=NEW)


def downgrade(db):
    if NEW in db.applications.index_information():
        db.applications.drop_index(NEW)
    db.applications.create_index(
        "deferred_due_at",
        name=OLD,
        partialFilterExpression={"deferred_due_at": {"$type": "date"}},
    )
