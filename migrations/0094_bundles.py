"""One thing, one application (issue 14): `bundles` (one document per version of a bundle,
exactly one of them current, like `matters`) and `bundle_applications` (the bundle cases,
whose children are applications), with the indexes their list queries need."""

from pymongo import ASCENDING, DESCENDING

from app.platform.migrate import drop_collections, ensure_collection

CODE = {"bsonType": "string", "pattern": "^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$"}


def upgrade(db):
    ensure_collection(
        db,
        "bundles",
        {
            "bsonType": "object",
            "required": ["code", "version", "current", "name", "audience", "items", "time_limit"],
            "properties": {
                "code": CODE,
                "version": {"bsonType": ["int", "long"], "minimum": 1},
                "current": {"bsonType": "bool"},
                "name": {"bsonType": "object", "required": ["zh-CN", "en"]},
                "audience": {"enum": ["person", "enterprise"]},
                "items": {"bsonType": "array", "minItems": 2},
            },
        },
    )
    db.bundles.create_index(
        [("code", ASCENDING), ("version", ASCENDING)], unique=True, name="code_version"
    )
    db.bundles.create_index(
        [("code", ASCENDING)],
        unique=True,
        partialFilterExpression={"current": True},
        name="one_current_version",
    )
    db.bundles.create_index([("current", ASCENDING), ("code", ASCENDING)], name="current_code")
    db.bundles.create_index(
        [("current", ASCENDING), ("search_keys", ASCENDING), ("code", ASCENDING)],
        name="current_search",
    )
    db.bundles.create_index("outbox_since", sparse=True, name="outbox_pending")

    ensure_collection(
        db,
        "bundle_applications",
        {
            "bsonType": "object",
            "required": [
                "tracking_no",
                "status",
                "version",
                "applicant_id",
                "bundle",
                "children",
                "timeline",
            ],
            "properties": {
                "applicant_id": {"bsonType": "objectId"},
                "status": {"enum": ["in_progress", "completed", "partially_completed", "rejected"]},
                "version": {"bsonType": ["int", "long"], "minimum": 1},
                "children": {"bsonType": "array", "minItems": 1},
                "timeline": {"bsonType": "array"},
            },
        },
    )
    coll = db.bundle_applications
    coll.create_index("tracking_no", unique=True, name="tracking_no")
    coll.create_index([("applicant_id", ASCENDING), ("_id", DESCENDING)], name="applicant")
    coll.create_index([("departments", ASCENDING), ("_id", DESCENDING)], name="department")
    coll.create_index([("region_path", ASCENDING), ("_id", DESCENDING)], name="region")
    coll.create_index("outbox_since", sparse=True, name="outbox_pending")
    coll.create_index(
        "idempotency_key", unique=True, sparse=True, name="created_by_idempotency_key"
    )
    # A bundle's children: found by the bundle they belong to.
    db.applications.create_index("bundle.id", sparse=True, name="bundle_children")


def downgrade(db):
    db.applications.drop_index("bundle_children")
    drop_collections(db, "bundle_applications", "bundles")
