"""Fees and delivery (issue 15): a service item's `fee` is integer fen. Until now it was a
number of CNY (yuan, possibly fractional); every stored version is converted (yuan × 100,
rounded) and the validator admits only integers. The indexes of the payment and delivery
lookups: an application by its payment's id (a provider's notification), by its shipment
(a carrier's report), and by the day a payment was confirmed or refunded (reconciliation);
the sandbox provider's order book."""

from pymongo import ASCENDING, UpdateOne

from app.platform.migrate import drop_collections, ensure_collection

FEN = {"bsonType": ["int", "long"], "minimum": 0}
YUAN = {"bsonType": ["int", "long", "double", "decimal"], "minimum": 0}


def _set_fee_schema(db, schema):
    info = next(db.list_collections(filter={"name": "matters"}), None)
    if info is None:
        return
    json_schema = ((info.get("options") or {}).get("validator") or {}).get("$jsonSchema")
    if json_schema is None:
        return
    json_schema.setdefault("properties", {})["fee"] = schema
    db.command(
        "collMod",
        "matters",
        validator={"$jsonSchema": json_schema},
        validationLevel="strict",
        validationAction="error",
    )


def upgrade(db):
    _set_fee_schema(db, YUAN)
    writes = []
    for doc in db.matters.find({}, {"fee": 1}):
        fen = int(round(float(str(doc.get("fee") or 0)) * 100))
        if not (isinstance(doc.get("fee"), int) and doc["fee"] == fen):
            writes.append(UpdateOne({"_id": doc["_id"]}, {"$set": {"fee": fen}}))
    if writes:
        db.matters.bulk_write(writes, ordered=False)
    _set_fee_schema(db, FEN)

    apps = db.applications
    # Set only once a payment is opened (a sparse index is used for equality; a partial one
    # on payment.id was not: COLLSCAN on the embedded server).
    apps.create_index("payment_key", unique=True, sparse=True, name="payment_id")
    apps.create_index("payment.paid_at", sparse=True, name="payment_paid_at")
    apps.create_index("payment.refunded_at", sparse=True, name="payment_refunded_at")
    apps.create_index("shipment_key", unique=True, sparse=True, name="shipment_key")

    ensure_collection(
        db,
        "payment_sandbox",
        {
            "bsonType": "object",
            "required": ["amount", "status"],
            "properties": {
                "amount": FEN,
                "status": {"enum": ["pending", "paid", "refunded", "closed"]},
            },
        },
    )
    db.payment_sandbox.create_index([("expires_at", ASCENDING)], name="expires_at")


def downgrade(db):
    for name in ("payment_id", "payment_paid_at", "payment_refunded_at", "shipment_key"):
        if name in db.applications.index_information():
            db.applications.drop_index(name)
    drop_collections(db, "payment_sandbox")
    _set_fee_schema(db, YUAN)
    writes = [
        UpdateOne({"_id": doc["_id"]}, {"$set": {"fee": doc["fee"] / 100}})
        for doc in db.matters.find({"fee": {"$ne": 0}}, {"fee": 1})
    ]
    if writes:
        db.matters.bulk_write(writes, ordered=False)
