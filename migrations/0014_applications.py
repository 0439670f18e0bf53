"""Applications: the case documents of the resident app and the staff workflow, with the
indexes behind every list, inbox and SLA sweep they are read by."""

from pymongo import ASCENDING, DESCENDING

from app.platform.migrate import drop_collections, ensure_collection

STATUSES = [
    "submitted",
    "in_review",
    "needs_supplement",
    "approved",
    "completed",
    "rejected",
    "withdrawn",
]
DATE_OR_NULL = {"bsonType": ["date", "null"]}


def upgrade(db):
    ensure_collection(
        db,
        "applications",
        {
            "bsonType": "object",
            "required": [
                "tracking_no",
                "status",
                "version",
                "timeline",
                "applicant_id",
                "applicant",
                "matter",
                "form",
                "materials",
                "delivery",
                "region",
                "region_path",
                "department",
                "co_departments",
                "reviews",
                "visits",
                "visit_count",
                "inbox_keys",
                "submitted_at",
                "created_at",
                "updated_at",
            ],
            "properties": {
                "tracking_no": {"bsonType": "string", "pattern": "^[A-Z]{2}[0-9]{14}$"},
                "status": {"enum": STATUSES},
                "version": {"bsonType": ["int", "long"], "minimum": 1},
                "timeline": {"bsonType": "array"},
                "applicant_id": {"bsonType": "objectId"},
                "applicant": {"bsonType": "object", "required": ["name", "kind"]},
                "matter": {
                    "bsonType": "object",
                    "required": ["code", "version", "name", "time_limit", "max_visits"],
                    "properties": {
                        "code": {"bsonType": "string"},
                        "version": {"bsonType": ["int", "long"]},
                        "time_limit": {
                            "bsonType": "object",
                            "required": ["value", "unit"],
                            "properties": {"unit": {"enum": ["hours", "working_days"]}},
                        },
                        "max_visits": {"bsonType": ["int", "long"], "minimum": 0},
                    },
                },
                "form": {"bsonType": "object"},
                "materials": {
                    "bsonType": "array",
                    "items": {"bsonType": "object", "required": ["key"]},
                },
                "region": {"bsonType": "string"},
                "region_path": {"bsonType": "array", "items": {"bsonType": "string"}},
                "department": {"bsonType": "string"},
                "co_departments": {"bsonType": "array", "items": {"bsonType": "string"}},
                "reviews": {
                    "bsonType": "array",
                    "items": {
                        "bsonType": "object",
                        "required": ["department", "status"],
                        "properties": {"status": {"enum": ["pending", "approved", "rejected"]}},
                    },
                },
                "visits": {"bsonType": "array"},
                "visit_count": {"bsonType": ["int", "long"], "minimum": 0},
                "inbox_keys": {"bsonType": "array", "items": {"bsonType": "string"}},
                "inbox_at": DATE_OR_NULL,
                "submitted_at": {"bsonType": "date"},
                "accepted_at": DATE_OR_NULL,
                "due_at": DATE_OR_NULL,
                "warn_at": DATE_OR_NULL,
                "overdue_at": DATE_OR_NULL,
                "clock_paused_at": DATE_OR_NULL,
                "completed_at": DATE_OR_NULL,
                "certificate_id": {"bsonType": ["objectId", "null"]},
                "rating": {
                    "bsonType": ["object", "null"],
                    "properties": {"score": {"bsonType": "int", "minimum": 1, "maximum": 5}},
                },
            },
        },
    )
    apps = db.applications
    apps.create_index("tracking_no", unique=True, name="tracking_no_unique")
    # "My applications", newest first, with and without ?status=.
    apps.create_index([("applicant_id", ASCENDING), ("_id", DESCENDING)], name="applicant_newest")
    apps.create_index(
        [("applicant_id", ASCENDING), ("status", ASCENDING), ("_id", DESCENDING)],
        name="applicant_status_newest",
    )
    # Every staff inbox (acceptance and review, overdue or not), most urgent first.
    apps.create_index(
        [("inbox_keys", ASCENDING), ("inbox_at", ASCENDING), ("_id", ASCENDING)],
        name="inbox_urgent",
    )
    # Supervisors' region views and the oversight SLA sweeps (issue 5).
    apps.create_index([("region_path", ASCENDING), ("_id", DESCENDING)], name="region_newest")
    apps.create_index("warn_at", name="sla_warn_sweep", sparse=True)
    apps.create_index("overdue_at", name="sla_overdue_sweep", sparse=True)


def downgrade(db):
    drop_collections(db, "applications")
