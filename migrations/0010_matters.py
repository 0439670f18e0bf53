"""The service catalogue: one `matters` document per version of a service item."""

from pymongo import ASCENDING

from app.platform.migrate import drop_collections, ensure_collection

STRING = {"bsonType": "string"}
CODE = {"bsonType": "string", "pattern": "^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$"}
REGION = {"bsonType": "string", "pattern": "^[0-9]{6}$"}
FIELD_TYPES = ["string", "number", "integer", "boolean", "date", "choice"]


def upgrade(db):
    ensure_collection(
        db,
        "matters",
        {
            "bsonType": "object",
            "required": [
                "code",
                "version",
                "current",
                "name",
                "category",
                "audience",
                "region",
                "region_path",
                "lead_department",
                "co_departments",
                "materials",
                "form",
                "time_limit",
                "max_visits",
                "fee",
                "delivery",
                "issues_certificate",
                "created_at",
            ],
            "properties": {
                "code": CODE,
                "version": {"bsonType": ["int", "long"], "minimum": 1},
                "current": {"bsonType": "bool"},
                "name": STRING,
                "category": STRING,
                "audience": {
                    "bsonType": "array",
                    "minItems": 1,
                    "items": {"enum": ["person", "enterprise"]},
                },
                "region": REGION,
                "region_path": {"bsonType": "array", "items": REGION},
                "lead_department": STRING,
                "co_departments": {"bsonType": "array", "items": STRING},
                "materials": {
                    "bsonType": "array",
                    "items": {
                        "bsonType": "object",
                        "required": ["key", "name", "required"],
                        "properties": {
                            "key": STRING,
                            "name": STRING,
                            "required": {"bsonType": "bool"},
                            "certificate_type": STRING,
                        },
                    },
                },
                "form": {
                    "bsonType": "array",
                    "items": {
                        "bsonType": "object",
                        "required": ["key", "label", "type", "required"],
                        "properties": {
                            "key": STRING,
                            "label": STRING,
                            "type": {"enum": FIELD_TYPES},
                            "required": {"bsonType": "bool"},
                        },
                    },
                },
                "time_limit": {
                    "bsonType": "object",
                    "required": ["value", "unit"],
                    "properties": {
                        "value": {"bsonType": ["int", "long"], "minimum": 1},
                        "unit": {"enum": ["hours", "working_days"]},
                    },
                },
                "max_visits": {"bsonType": ["int", "long"], "minimum": 0},
                "fee": {"bsonType": ["int", "long", "double", "decimal"], "minimum": 0},
                "delivery": {"bsonType": "array", "items": STRING},
                "issues_certificate": {"bsonType": ["string", "null"]},
                "created_at": {"bsonType": "date"},
            },
        },
    )
    # Two admins saving a new version at once: the (code, version) unique index lets one win.
    db.matters.create_index(
        [("code", ASCENDING), ("version", ASCENDING)], unique=True, name="code_version"
    )
    # At most one current version per code; also answers get_current(code).
    db.matters.create_index(
        [("code", ASCENDING)],
        unique=True,
        partialFilterExpression={"current": True},
        name="current_by_code",
    )


def downgrade(db):
    drop_collections(db, "matters")
