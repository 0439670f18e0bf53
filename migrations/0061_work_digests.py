"""Staff work notifications (issue 18): one digest per staff member accumulating what reached
their inbox since their last notification (app/messaging/work_notices.py), found by the worker
through `due` (pending, not_before); and the index that finds a region's window staff."""

from pymongo import ASCENDING

from app.platform.migrate import drop_collections, ensure_collection


def upgrade(db):
    ensure_collection(
        db,
        "work_digests",
        {
            "bsonType": "object",
            "required": ["_id", "counts", "pending", "not_before", "seq"],
            "properties": {
                "_id": {"bsonType": "objectId"},
                "counts": {"bsonType": "object"},
                "pending": {"bsonType": "bool"},
                "not_before": {"bsonType": "date"},
                "seq": {"bsonType": ["int", "long"]},
            },
        },
    )
    db.work_digests.create_index([("pending", ASCENDING), ("not_before", ASCENDING)], name="due")
    db.users.create_index(
        [("region", ASCENDING), ("role", ASCENDING), ("duties", ASCENDING)],
        name="region_role_duty",
    )


def downgrade(db):
    db.users.drop_index("region_role_duty")
    drop_collections(db, "work_digests")
