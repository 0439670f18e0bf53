"""One command, one write (issue 10): every collection whose documents a command writes
carries an outbox (index `outbox_pending` for the relay) and, where a creating request makes
them, the Idempotency-Key stamp (unique, sparse); the audit log becomes hash-chained per
subject, with its heads and signed daily digests. The separate idempotency-key records are
gone: the stamp on the created record replaces them."""

from pymongo import ASCENDING

from app.platform.migrate import ensure_collection

OUTBOX_CARRIERS = (
    "applications",
    "complaints",
    "supervision_events",
    "users",
    "departments",
    "matters",
    "complaint_categories",
    "open311_keys",
    "attachments",
    "calendars",
    "certificate_access",
)
CREATED_BY_REQUESTS = OUTBOX_CARRIERS[:-2]


def upgrade(db):
    from app import audit

    for name in OUTBOX_CARRIERS:
        ensure_collection(db, name)
        db[name].create_index("outbox_since", sparse=True, name="outbox_pending")
    for name in CREATED_BY_REQUESTS:
        db[name].create_index(
            "idempotency_key", unique=True, sparse=True, name="created_by_idempotency_key"
        )
    # Ratings are created by a request too: their stamp lives inside the rating.
    for name in ("applications", "complaints"):
        db[name].create_index(
            "rating.idempotency_key", sparse=True, name="rated_by_idempotency_key"
        )

    ensure_collection(db, "outbox_lease")
    ensure_collection(db, "audit_heads")
    ensure_collection(db, "audit_digests")
    # Chain what was logged before the chains existed, in the order it was written.
    chains: dict[str, dict] = {}
    for record in db.audit.find({"chain": {"$exists": False}}).sort("_id", ASCENDING):
        chain = audit.chain_of(record["subject"])
        head = chains.get(chain) or db.audit_heads.find_one({"_id": chain}) or {"seq": 0}
        record.update(
            chain=chain,
            seq=head["seq"] + 1,
            prev=head.get("hash"),
            recorded_at=record["at"],
            detail=record.get("detail") or {},
        )
        record["hash"] = audit.record_hash(record)
        db.audit.replace_one({"_id": record["_id"]}, record)
        chains[chain] = {"seq": record["seq"], "hash": record["hash"], "last_id": record["_id"]}
    for chain, head in chains.items():
        db.audit_heads.update_one({"_id": chain}, {"$set": head}, upsert=True)
    db.audit.create_index(
        [("chain", ASCENDING), ("seq", ASCENDING)], unique=True, sparse=True, name="chain_seq"
    )
    db.audit.create_index("recorded_at", name="recorded_at")
    db.drop_collection("idempotency_keys")


def downgrade(db):
    for name in OUTBOX_CARRIERS:
        for index in ("outbox_pending", "created_by_idempotency_key", "rated_by_idempotency_key"):
            if name == "applications" and index == "created_by_idempotency_key":
                continue  # migration 0041's
            if index in db[name].index_information():
                db[name].drop_index(index)
    for index in ("chain_seq", "recorded_at"):
        if index in db.audit.index_information():
            db.audit.drop_index(index)
    db.drop_collection("outbox_lease")
    db.drop_collection("audit_heads")
    db.drop_collection("audit_digests")
    ensure_collection(db, "idempotency_keys")
    db.idempotency_keys.create_index("expires_at", expireAfterSeconds=0, name="expiry_ttl")
