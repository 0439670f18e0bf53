"""Cross-cutting collections: idempotency keys, rate-limit windows, the audit log."""

from pymongo import ASCENDING, DESCENDING

from app.platform.migrate import drop_collections, ensure_collection


def upgrade(db):
    ensure_collection(
        db,
        "idempotency_keys",
        {
            "bsonType": "object",
            "required": ["_id", "fingerprint", "expires_at", "locked_at"],
            "properties": {
                "fingerprint": {"bsonType": "string"},
                "expires_at": {"bsonType": "date"},
            },
        },
    )
    db.idempotency_keys.create_index("expires_at", expireAfterSeconds=0, name="expiry_ttl")

    ensure_collection(db, "rate_limits")
    db.rate_limits.create_index("expires_at", expireAfterSeconds=0, name="expiry_ttl")

    ensure_collection(
        db,
        "audit",
        {
            "bsonType": "object",
            "required": ["at", "action", "subject"],
            "properties": {
                "at": {"bsonType": "date"},
                "action": {"bsonType": "string"},
                "subject": {"bsonType": "object", "required": ["kind", "id"]},
            },
        },
    )
    db.audit.create_index([("subject.id", ASCENDING), ("_id", DESCENDING)], name="subject")
    db.audit.create_index([("actor.id", ASCENDING), ("_id", DESCENDING)], name="actor")
    db.audit.create_index([("action", ASCENDING), ("_id", DESCENDING)], name="action")


def downgrade(db):
    drop_collections(db, "idempotency_keys", "rate_limits", "audit")
