"""The staff inbox's slim copies of the cases it lists (issue 17, app/cases/inbox_items.py):
`inbox_items`, one document per case in a queue under the case's `_id`, with the index every
inbox page reads (the one `applications.inbox_urgent` was), and a copy of every application
in a queue today, from the inbox fields it already stores."""

from pymongo import ASCENDING, InsertOne

from app.platform.migrate import drop_collections, ensure_collection

# What an inbox item showed when this migration was written (later ones may add fields; the
# relay rewrites a copy at the case's next write, `flask inbox rebuild` all of them at once).
FIELDS = (
    "tracking_no",
    "status",
    "applicant",
    "applicant_id",
    "department",
    "region",
    "submitted_at",
    "accepted_at",
    "due_at",
    "completed_at",
    "closed_at",
    "clock_paused_at",
    "reviews",
    "version",
    "inbox_keys",
    "inbox_at",
)
BATCH = 500


def upgrade(db):
    ensure_collection(
        db,
        "inbox_items",
        {
            "bsonType": "object",
            "required": ["case_collection", "inbox_keys", "inbox_at"],
            "properties": {
                "case_collection": {"bsonType": "string"},
                "inbox_keys": {"bsonType": "array", "minItems": 1, "items": {"bsonType": "string"}},
                "inbox_at": {"bsonType": ["date", "null"]},
            },
        },
    )
    coll = db.inbox_items
    coll.create_index(
        [("inbox_keys", ASCENDING), ("inbox_at", ASCENDING), ("_id", ASCENDING)],
        name="inbox_urgent",
    )
    # An erasure anonymises the copies of the person's cases with the cases.
    coll.create_index("applicant_id", sparse=True, name="applicant")
    batch = []
    for doc in db.applications.find({"inbox_keys.0": {"$exists": True}}):
        copy = {field: doc[field] for field in FIELDS if field in doc}
        copy["matter"] = {key: doc["matter"][key] for key in ("code", "version", "name")}
        supplements = doc.get("supplements") or []
        copy["supplements"] = [{"returned_at": s.get("returned_at")} for s in supplements[-1:]]
        batch.append(InsertOne({**copy, "_id": doc["_id"], "case_collection": "applications"}))
        if len(batch) >= BATCH:
            coll.bulk_write(batch, ordered=False)
            batch = []
    if batch:
        coll.bulk_write(batch, ordered=False)


def downgrade(db):
    drop_collections(db, "inbox_items")
