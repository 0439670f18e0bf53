"""Login throttling: failure counters with backoff per (phone, address) and per phone, and the
addresses each phone has signed in from (app/accounts/login_throttle.py). Both hold digests
only, and expire by TTL."""

from app.platform.migrate import drop_collections, ensure_collection


def upgrade(db):
    ensure_collection(
        db,
        "login_failures",
        {
            "bsonType": "object",
            "required": ["_id", "failures", "expires_at"],
            "properties": {
                "failures": {"bsonType": "int"},
                "blocked_until": {"bsonType": ["date", "null"]},
                "expires_at": {"bsonType": "date"},
            },
        },
    )
    db.login_failures.create_index("expires_at", expireAfterSeconds=0, name="expiry_ttl")
    ensure_collection(
        db,
        "login_known_addresses",
        {
            "bsonType": "object",
            "required": ["_id", "expires_at"],
            "properties": {"expires_at": {"bsonType": "date"}},
        },
    )
    db.login_known_addresses.create_index("expires_at", expireAfterSeconds=0, name="expiry_ttl")


def downgrade(db):
    drop_collections(db, "login_failures", "login_known_addresses")
