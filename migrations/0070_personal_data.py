"""Personal data (issue 16): the record of each closed account (`account_closures`, carrying
the outbox entry that anonymises the person's cases), and the index the retention sweep
reads closed complaints' contact data on."""

from pymongo import ASCENDING

from app.platform.migrate import drop_collections, ensure_collection


def upgrade(db):
    ensure_collection(
        db,
        "account_closures",
        {
            "bsonType": "object",
            "required": ["_id", "closed_at"],
            "properties": {"closed_at": {"bsonType": "date"}},
        },
    )
    db.account_closures.create_index("outbox_since", sparse=True, name="outbox_pending")
    db.complaints.create_index(
        [("contact_erased_at", ASCENDING), ("status", ASCENDING), ("closed_at", ASCENDING)],
        name="retention_due",
    )


def downgrade(db):
    db.complaints.drop_index("retention_due")
    drop_collections(db, "account_closures")
