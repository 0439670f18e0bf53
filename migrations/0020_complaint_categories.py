"""Complaint categories: the managed list of complaint types (also the Open311 services)."""

from app.platform.migrate import drop_collections, ensure_collection

QUESTION_TYPES = ["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]


def upgrade(db):
    ensure_collection(
        db,
        "complaint_categories",
        {
            "bsonType": "object",
            "required": [
                "_id",
                "name",
                "description",
                "time_limit_days",
                "default_department",
                "questions",
                "active",
                "version",
            ],
            "properties": {
                "_id": {"bsonType": "string", "pattern": "^[a-z][a-z0-9_]*$"},
                "name": {"bsonType": "string", "minLength": 1},
                "time_limit_days": {"bsonType": "int", "minimum": 1, "maximum": 60},
                "default_department": {"bsonType": "string"},
                "active": {"bsonType": "bool"},
                "version": {"bsonType": "int", "minimum": 1},
                "questions": {
                    "bsonType": "array",
                    "items": {
                        "bsonType": "object",
                        "required": ["code", "datatype", "required", "description"],
                        "properties": {
                            "code": {"bsonType": "string"},
                            "datatype": {"enum": QUESTION_TYPES},
                            "required": {"bsonType": "bool"},
                        },
                    },
                },
            },
        },
    )


def downgrade(db):
    drop_collections(db, "complaint_categories")
