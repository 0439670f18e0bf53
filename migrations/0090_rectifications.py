"""Good or bad, answered (issue 15): the rectifications bad ratings open, with the indexes of
the heads' inbox, the overdue sweep and the supervisors' reads; the rated-window index the
window rankings read on applications; `rectification_overdue` among the supervision event
types (added to the validator as it stands, so other migrations' types are kept)."""

from pymongo import ASCENDING

from app.platform.migrate import (
    add_enum_value,
    drop_collections,
    ensure_collection,
    remove_enum_value,
)

EVENT_TYPE = "rectification_overdue"


def upgrade(db):
    add_enum_value(db, "supervision_events", "type", EVENT_TYPE)
    ensure_collection(
        db,
        "rectifications",
        {
            "bsonType": "object",
            "required": [
                "application_id",
                "applicant_id",
                "department",
                "region",
                "status",
                "version",
                "rating",
                "opened_at",
                "due_at",
                "timeline",
            ],
            "properties": {
                "application_id": {"bsonType": "objectId"},
                "applicant_id": {"bsonType": "objectId"},
                "status": {
                    "enum": ["open", "called_back", "resolved", "appealed", "appeal_upheld"]
                },
                "version": {"bsonType": ["int", "long"], "minimum": 1},
                "opened_at": {"bsonType": "date"},
                "due_at": {"bsonType": "date"},
                "timeline": {"bsonType": "array"},
            },
        },
    )
    coll = db.rectifications
    # One rectification per application (a bad first rating opens it; the re-rating never).
    coll.create_index("application_id", unique=True, name="one_per_application")
    coll.create_index(
        [("inbox_department", ASCENDING), ("due_at", ASCENDING), ("_id", ASCENDING)],
        sparse=True,
        name="inbox",
    )
    coll.create_index("overdue_at", sparse=True, name="sla_overdue_due")
    coll.create_index([("region_path", ASCENDING), ("opened_at", ASCENDING)], name="region_opened")
    coll.create_index("outbox_since", sparse=True, name="outbox_pending")
    db.applications.create_index(
        [("region_path", ASCENDING), ("rating.at", ASCENDING)], name="rated_window"
    )


def downgrade(db):
    remove_enum_value(db, "supervision_events", "type", EVENT_TYPE)
    if "rated_window" in db.applications.index_information():
        db.applications.drop_index("rated_window")
    drop_collections(db, "rectifications")
