"""The certificate wallet and the log of every staff read of a certificate through a case."""

from pymongo import ASCENDING, DESCENDING

from app.platform.migrate import drop_collections, ensure_collection

STRING = {"bsonType": "string"}
OID = {"bsonType": "objectId"}


def upgrade(db):
    ensure_collection(
        db,
        "certificates",
        {
            "bsonType": "object",
            "required": [
                "type",
                "number",
                "holder_id",
                "holder_name",
                "issuer",
                "issuer_name",
                "issued_at",
                "valid_until",
                "data",
                "source",
                "status",
            ],
            "properties": {
                "type": {"bsonType": "string", "pattern": "^[a-z][a-z0-9_]*$"},
                "number": STRING,
                "holder_id": OID,
                "holder_name": STRING,
                "issuer": STRING,
                "issuer_name": STRING,
                "issued_at": {"bsonType": "date"},
                "valid_until": {"bsonType": ["date", "null"]},
                "data": {"bsonType": "object"},
                "source": {
                    "bsonType": ["object", "null"],
                    "properties": {"kind": STRING, "id": OID, "tracking_no": STRING},
                },
                "status": {"enum": ["valid", "revoked"]},
            },
        },
    )
    db.certificates.create_index("number", unique=True, name="number_unique")
    # The wallet listing: a holder's certificates, newest first.
    db.certificates.create_index(
        [("holder_id", ASCENDING), ("_id", DESCENDING)], name="holder_newest"
    )

    ensure_collection(
        db,
        "certificate_access",
        {
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
                        "id": STRING,
                        "name": STRING,
                        "department": {"bsonType": ["string", "null"]},
                    },
                },
                "case": {
                    "bsonType": "object",
                    "required": ["kind", "id", "tracking_no"],
                    "properties": {"kind": STRING, "id": OID, "tracking_no": STRING},
                },
            },
        },
    )
    # The holder's access log of one certificate, newest first.
    db.certificate_access.create_index(
        [("certificate_id", ASCENDING), ("_id", DESCENDING)], name="certificate_newest"
    )


def downgrade(db):
    drop_collections(db, "certificates", "certificate_access")
