"""Accounts, refresh tokens, regions and departments, with validators and indexes."""

from pymongo import ASCENDING, DESCENDING

from app.platform.migrate import drop_collections, ensure_collection

STRING = {"bsonType": "string"}
DATE = {"bsonType": "date"}


def upgrade(db):
    ensure_collection(
        db,
        "users",
        {
            "bsonType": "object",
            "required": ["phone", "password_hash", "name", "role", "created_at"],
            "properties": {
                "phone": {"bsonType": "string", "pattern": "^1[3-9][0-9]{9}$"},
                "password_hash": {"bsonType": "string", "pattern": "^\\$argon2id\\$"},
                "name": STRING,
                "role": {"enum": ["resident", "enterprise", "staff", "supervisor", "admin"]},
                "kind": {"enum": ["person", "enterprise"]},
                "department": {"bsonType": ["string", "null"]},
                "duties": {"bsonType": "array", "items": {"enum": ["window", "reviewer", "head"]}},
                "region": {"bsonType": ["string", "null"]},
                "region_path": {"bsonType": "array", "items": STRING},
                "devices": {"bsonType": "array"},
                "disabled": {"bsonType": "bool"},
                "created_at": DATE,
            },
        },
    )
    db.users.create_index("phone", unique=True, name="phone_unique")
    db.users.create_index([("department", ASCENDING), ("role", ASCENDING)], name="department_role")
    db.users.create_index([("role", ASCENDING), ("_id", DESCENDING)], name="role_newest")
    db.users.create_index("devices.token", name="device_token")

    ensure_collection(
        db,
        "refresh_tokens",
        {
            "bsonType": "object",
            "required": ["user_id", "family", "created_at", "expires_at"],
            "properties": {
                "user_id": {"bsonType": "objectId"},
                "family": STRING,
                "expires_at": DATE,
                "created_at": DATE,
            },
        },
    )
    db.refresh_tokens.create_index("expires_at", expireAfterSeconds=0, name="expiry_ttl")
    db.refresh_tokens.create_index("family", name="family")
    db.refresh_tokens.create_index("user_id", name="user")

    ensure_collection(
        db,
        "regions",
        {
            "bsonType": "object",
            "required": ["_id", "name", "level"],
            "properties": {
                "_id": {"bsonType": "string", "pattern": "^[0-9]{6}$"},
                "level": {"enum": ["province", "city", "county"]},
            },
        },
    )
    ensure_collection(
        db,
        "departments",
        {
            "bsonType": "object",
            "required": ["_id", "name", "region", "region_path", "kind"],
            "properties": {
                "_id": STRING,
                "region": {"bsonType": "string", "pattern": "^[0-9]{6}$"},
                "kind": {"enum": ["government", "hotline", "mediation"]},
                "region_path": {"bsonType": "array", "items": STRING},
            },
        },
    )
    db.departments.create_index(
        [("region_path", ASCENDING), ("_id", ASCENDING)], name="region_path"
    )
    db.departments.create_index([("kind", ASCENDING), ("_id", ASCENDING)], name="kind")


def downgrade(db):
    drop_collections(db, "users", "refresh_tokens", "regions", "departments")
