"""The background workers' last successful passes (app/platform/worker_status.py), read by
/metrics at scrape time: one small document per worker process, gone a week after it stops."""

from pymongo import DESCENDING

from app.platform.migrate import drop_collections, ensure_collection


def upgrade(db):
    ensure_collection(
        db,
        "worker_status",
        {
            "bsonType": "object",
            "required": ["_id", "last_pass_at"],
            "properties": {
                "_id": {"bsonType": "string"},
                "last_pass_at": {"bsonType": "date"},
            },
        },
    )
    db.worker_status.create_index(
        [("last_pass_at", DESCENDING)], expireAfterSeconds=7 * 86400, name="last_pass_ttl"
    )


def downgrade(db):
    drop_collections(db, "worker_status")
