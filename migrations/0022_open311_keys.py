"""Open311 API keys issued by admins: only a SHA-256 of each key is stored."""

from app.platform.migrate import drop_collections, ensure_collection


def upgrade(db):
    ensure_collection(
        db,
        "open311_keys",
        {
            "bsonType": "object",
            "required": ["name", "key_hash", "created_at"],
            "properties": {
                "name": {"bsonType": "string", "minLength": 1},
                "key_hash": {"bsonType": "string", "pattern": "^[0-9a-f]{64}$"},
                "created_at": {"bsonType": "date"},
                "revoked_at": {"bsonType": ["date", "null"]},
            },
        },
    )
    db.open311_keys.create_index("key_hash", unique=True, name="key_hash")


def downgrade(db):
    drop_collections(db, "open311_keys")
