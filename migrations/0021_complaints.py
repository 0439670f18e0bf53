"""Complaints, inquiries, suggestions and disputes: validator, list indexes, the 2dsphere
index repeat detection runs on, and the sweep indexes of the SLA and auto-close workers."""

from pymongo import ASCENDING, DESCENDING, GEOSPHERE

from app.platform.migrate import drop_collections, ensure_collection

STATES = ["submitted", "assigned", "replied", "resolved", "closed"]
DATE_OR_NULL = {"bsonType": ["date", "null"]}


def upgrade(db):
    ensure_collection(
        db,
        "complaints",
        {
            "bsonType": "object",
            "required": [
                "tracking_no",
                "kind",
                "category",
                "title",
                "description",
                "region",
                "region_path",
                "status",
                "version",
                "timeline",
                "hotline",
                "department",
                "source",
                "created_at",
                "updated_at",
            ],
            "properties": {
                "tracking_no": {"bsonType": "string"},
                "kind": {"enum": ["complaint", "inquiry", "suggestion", "dispute"]},
                "category": {"bsonType": "string"},
                "status": {"enum": STATES},
                "version": {"bsonType": "int", "minimum": 1},
                "timeline": {"bsonType": "array"},
                "region": {"bsonType": "string", "pattern": "^[0-9]{6}$"},
                "region_path": {"bsonType": "array", "items": {"bsonType": "string"}},
                "complainant_id": {"bsonType": ["objectId", "null"]},
                "source": {"enum": ["app", "open311"]},
                "location": {
                    "bsonType": "object",
                    "required": ["type", "coordinates"],
                    "properties": {
                        "type": {"enum": ["Point"]},
                        "coordinates": {
                            "bsonType": "array",
                            "minItems": 2,
                            "maxItems": 2,
                            "items": {"bsonType": ["double", "int", "long"]},
                        },
                    },
                },
                "parties": {
                    "bsonType": "array",
                    "items": {"bsonType": "object", "required": ["name", "role"]},
                },
                "outcome": {"enum": ["settled", "not_settled", None]},
                "rating": {
                    "bsonType": ["object", "null"],
                    "properties": {"score": {"bsonType": "int", "minimum": 1, "maximum": 5}},
                },
                "repeat_of": {"bsonType": ["objectId", "null"]},
                "due_at": DATE_OR_NULL,
                "warn_at": DATE_OR_NULL,
                "overdue_at": DATE_OR_NULL,
                "clock_paused_at": DATE_OR_NULL,
                "auto_close_at": DATE_OR_NULL,
                "created_at": {"bsonType": "date"},
                "updated_at": {"bsonType": "date"},
            },
        },
    )
    c = db.complaints
    c.create_index("tracking_no", unique=True, name="tracking_no")
    # Lists: owner, assigned department, hotline queue, supervisor region; each with status.
    for field in ("complainant_id", "department", "hotline", "region_path"):
        c.create_index([(field, ASCENDING), ("_id", DESCENDING)], name=f"{field}_newest")
        c.create_index(
            [(field, ASCENDING), ("status", ASCENDING), ("_id", DESCENDING)],
            name=f"{field}_status_newest",
        )
    c.create_index(
        [("open_department", ASCENDING), ("due_at", ASCENDING), ("_id", ASCENDING)],
        name="inbox_most_urgent",
    )
    # Repeat detection: same complainant + category + window; nearby + category + window.
    c.create_index(
        [("complainant_id", ASCENDING), ("category", ASCENDING), ("created_at", DESCENDING)],
        name="repeat_same_complainant",
    )
    c.create_index(
        [("category", ASCENDING), ("location", GEOSPHERE), ("created_at", DESCENDING)],
        name="repeat_nearby",
    )
    c.create_index([("repeat_of", ASCENDING), ("_id", ASCENDING)], name="repeats")
    # Sweeps: SLA warning / overdue (issue-5 worker) and auto-close of unconfirmed resolutions.
    # Same names as the oversight migration (0030) uses for the same keys, so whichever runs
    # second is a no-op instead of an "index exists with a different name" error.
    c.create_index("warn_at", name="sla_warn_due")
    c.create_index("overdue_at", name="sla_overdue_due")
    c.create_index([("status", ASCENDING), ("auto_close_at", ASCENDING)], name="auto_close")
    # Open311: public listing by date, by service code, by status; tokens.
    c.create_index(
        [("open311_public", ASCENDING), ("created_at", DESCENDING)], name="open311_recent"
    )
    c.create_index(
        [("open311_public", ASCENDING), ("category", ASCENDING), ("created_at", DESCENDING)],
        name="open311_service",
    )
    c.create_index(
        [("open311_public", ASCENDING), ("status", ASCENDING), ("created_at", DESCENDING)],
        name="open311_status",
    )
    c.create_index("open311.token", name="open311_token", unique=True, sparse=True)


def downgrade(db):
    drop_collections(db, "complaints")
