"""Shared case plumbing: tracking-number counters, supervision events, notifications and
the push outbox."""

from pymongo import ASCENDING, DESCENDING

from app.platform.migrate import drop_collections, ensure_collection


def upgrade(db):
    ensure_collection(db, "counters")
    ensure_collection(
        db,
        "supervision_events",
        {
            "bsonType": "object",
            "required": [
                "type",
                "severity",
                "subject",
                "state",
                "created_at",
                "dedupe_key",
                "version",
            ],
            "properties": {
                "type": {
                    "enum": [
                        "sla_warning",
                        "application_overdue",
                        "complaint_overdue",
                        "extra_visit",
                        "bad_rating",
                        "repeat_complaint",
                        "complaint_reopened",
                        "public_report",
                    ]
                },
                "state": {"enum": ["open", "acknowledged", "closed"]},
                "severity": {"enum": ["low", "medium", "high"]},
                "subject": {"bsonType": "object", "required": ["kind", "id"]},
                "created_at": {"bsonType": "date"},
                "version": {"bsonType": "int"},
            },
        },
    )
    db.supervision_events.create_index("dedupe_key", unique=True, name="once_per_subject_type")
    db.supervision_events.create_index(
        [("region_path", ASCENDING), ("_id", DESCENDING)], name="region_newest"
    )
    db.supervision_events.create_index(
        [("type", ASCENDING), ("_id", DESCENDING)], name="type_newest"
    )

    ensure_collection(
        db,
        "notifications",
        {
            "bsonType": "object",
            "required": ["user_id", "kind", "title", "created_at", "expires_at"],
            "properties": {
                "user_id": {"bsonType": "objectId"},
                "created_at": {"bsonType": "date"},
                "expires_at": {"bsonType": "date"},
            },
        },
    )
    db.notifications.create_index([("user_id", ASCENDING), ("_id", DESCENDING)], name="user_newest")
    db.notifications.create_index(
        [("user_id", ASCENDING), ("read_at", ASCENDING)], name="user_unread"
    )
    db.notifications.create_index("expires_at", expireAfterSeconds=0, name="retention_ttl")

    ensure_collection(
        db,
        "push_outbox",
        {
            "bsonType": "object",
            "required": [
                "notification_id",
                "user_id",
                "token",
                "state",
                "attempts",
                "next_attempt_at",
            ],
            "properties": {"state": {"enum": ["pending", "sending", "sent", "dead"]}},
        },
    )
    db.push_outbox.create_index([("state", ASCENDING), ("next_attempt_at", ASCENDING)], name="due")


def downgrade(db):
    drop_collections(db, "counters", "supervision_events", "notifications", "push_outbox")
