"""Attachments (metadata + GridFS bucket indexes) and admin-replaced calendars."""

from pymongo import ASCENDING

from app.platform.migrate import drop_collections, ensure_collection


def upgrade(db):
    ensure_collection(
        db,
        "attachments",
        {
            "bsonType": "object",
            "required": [
                "owner_id",
                "filename",
                "content_type",
                "size",
                "sha256",
                "file_id",
                "cited",
                "created_at",
            ],
            "properties": {
                "owner_id": {"bsonType": "objectId"},
                "content_type": {"enum": ["application/pdf", "image/jpeg", "image/png"]},
                "size": {"bsonType": ["int", "long"], "minimum": 1},
                "sha256": {"bsonType": "string", "pattern": "^[0-9a-f]{64}$"},
                "cited": {"bsonType": "bool"},
            },
        },
    )
    db.attachments.create_index([("owner_id", ASCENDING), ("_id", ASCENDING)], name="owner")
    db.attachments.create_index([("cited", ASCENDING), ("created_at", ASCENDING)], name="orphans")
    db.attachment_files.files.create_index([("filename", ASCENDING), ("uploadDate", ASCENDING)])
    db.attachment_files.chunks.create_index(
        [("files_id", ASCENDING), ("n", ASCENDING)], unique=True
    )

    ensure_collection(
        db,
        "calendars",
        {
            "bsonType": "object",
            "required": ["_id", "holidays", "workdays"],
            "properties": {
                "_id": {"bsonType": "int"},
                "holidays": {"bsonType": "array", "items": {"bsonType": "string"}},
                "workdays": {"bsonType": "array", "items": {"bsonType": "string"}},
            },
        },
    )


def downgrade(db):
    drop_collections(
        db, "attachments", "attachment_files.files", "attachment_files.chunks", "calendars"
    )
