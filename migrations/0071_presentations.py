"""Verifiable presentations (issue 16): the presentations a holder made (`presentations`,
expiring by TTL a day after the token does), and a certificate's access log that also records
verifications of its presentations (no reader account, no case: `kind: "verification"`)."""

from pymongo import ASCENDING

from app.platform.migrate import drop_collections, ensure_collection

OID = {"bsonType": "objectId"}
STRING = {"bsonType": "string"}


def _access_schema(with_verifications: bool) -> dict:
    nullable = ["object", "null"] if with_verifications else "object"
    reader_id = ["string", "null"] if with_verifications else "string"
    schema: dict = {
        "bsonType": "object",
        "required": ["certificate_id", "holder_id", "at", "reader", "case"],
        "properties": {
            "certificate_id": OID,
            "holder_id": OID,
            "at": {"bsonType": "date"},
            "reader": {
                "bsonType": "object",
                "required": ["id", "name", "department"],
                "properties": {
                    "id": {"bsonType": reader_id},
                    "name": STRING,
                    "department": {"bsonType": ["string", "null"]},
                },
            },
            "case": {
                "bsonType": nullable,
                "required": ["kind", "id", "tracking_no"],
                "properties": {"kind": STRING, "id": OID, "tracking_no": STRING},
            },
        },
    }
    if with_verifications:
        schema["properties"]["kind"] = {"enum": ["case_read", "verification"]}
    return schema


def upgrade(db):
    ensure_collection(
        db,
        "presentations",
        {
            "bsonType": "object",
            "required": ["_id", "certificate_id", "holder_id", "kid", "created_at", "expires_at"],
            "properties": {
                "_id": STRING,
                "certificate_id": OID,
                "holder_id": OID,
                "kid": STRING,
                "created_at": {"bsonType": "date"},
                "expires_at": {"bsonType": "date"},
            },
        },
    )
    db.presentations.create_index("outbox_since", sparse=True, name="outbox_pending")
    db.presentations.create_index(
        "idempotency_key", unique=True, sparse=True, name="created_by_idempotency_key"
    )
    db.presentations.create_index("purge_at", expireAfterSeconds=0, name="expiry_ttl")
    db.presentations.create_index(
        [("certificate_id", ASCENDING), ("created_at", ASCENDING)], name="certificate_created"
    )
    ensure_collection(db, "certificate_access", _access_schema(with_verifications=True))


def downgrade(db):
    db.certificate_access.delete_many({"kind": "verification"})
    ensure_collection(db, "certificate_access", _access_schema(with_verifications=False))
    drop_collections(db, "presentations")
