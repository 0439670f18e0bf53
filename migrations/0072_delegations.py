"""Acting for someone else (issue 16): delegations (a grantor lets the holder of a phone number
act for them within a scope, until an expiry; the phone may have no account yet) and
dependants (minors registered by a guardian, with no login)."""

from pymongo import ASCENDING, DESCENDING

from app.platform.migrate import drop_collections, ensure_collection

OID = {"bsonType": "objectId"}
DATE = {"bsonType": "date"}


def upgrade(db):
    ensure_collection(
        db,
        "delegations",
        {
            "bsonType": "object",
            "required": ["grantor_id", "grantee_phone", "scope", "expires_at", "created_at"],
            "properties": {
                "grantor_id": OID,
                "grantee_phone": {"bsonType": "string", "pattern": "^1[3-9][0-9]{9}$"},
                "scope": {"enum": ["apply", "apply_and_wallet"]},
                "matters": {"bsonType": ["array", "null"], "items": {"bsonType": "string"}},
                "expires_at": DATE,
                "created_at": DATE,
                "revoked_at": {"bsonType": ["date", "null"]},
            },
        },
    )
    # The resolution of On-Behalf-Of: the grants from one grantor to one phone.
    db.delegations.create_index(
        [("grantee_phone", ASCENDING), ("grantor_id", ASCENDING)], name="grantee_grantor"
    )
    db.delegations.create_index([("grantor_id", ASCENDING), ("_id", DESCENDING)], name="grantor")
    db.delegations.create_index(
        [("grantee_phone", ASCENDING), ("_id", DESCENDING)], name="grantee_newest"
    )
    ensure_collection(
        db,
        "dependants",
        {
            "bsonType": "object",
            "required": ["guardian_id", "name", "id_number", "birth_date", "created_at"],
            "properties": {
                "guardian_id": OID,
                "name": {"bsonType": "string"},
                "id_number": {"bsonType": "string", "pattern": "^[0-9]{17}[0-9X]$"},
                "birth_date": {"bsonType": "string"},
                "created_at": DATE,
            },
        },
    )
    db.dependants.create_index(
        [("guardian_id", ASCENDING), ("id_number", ASCENDING)],
        unique=True,
        name="guardian_child",
    )
    for name in ("delegations", "dependants"):
        db[name].create_index("outbox_since", sparse=True, name="outbox_pending")
        db[name].create_index(
            "idempotency_key", unique=True, sparse=True, name="created_by_idempotency_key"
        )


def downgrade(db):
    drop_collections(db, "delegations", "dependants")
