"""Catalogue names in two languages (API.md "Languages"): the `name` of every region,
department, service item (each version) and complaint category becomes
`{"zh-CN": ..., "en": ...}`. Until now `name` held the English name and `name_zh` the Chinese
one; a record without `name_zh` keeps its one name as the zh-CN name (reads in en fall back to
it). The validators require the new shape. A certificate's `issuer_name` may now be the
issuing department's names too. Copies taken earlier (an application's snapshot of its service
item, a complaint's category name, a certificate's issuer) stay as they were: a plain string is
answered as it is."""

from typing import Any

from pymongo import UpdateOne

COLLECTIONS = ("regions", "departments", "matters", "complaint_categories")
TEXT = {"bsonType": "string", "minLength": 1}
NAMES = {
    "bsonType": "object",
    "required": ["zh-CN"],
    "properties": {"zh-CN": TEXT, "en": TEXT},
    "additionalProperties": False,
}


def _set_name_schema(db, name: str, schema: dict[str, Any], field: str = "name") -> None:
    info = next(db.list_collections(filter={"name": name}), None)
    if info is None:
        return
    validator = (info.get("options") or {}).get("validator") or {}
    json_schema = validator.get("$jsonSchema")
    if json_schema is None:
        return
    json_schema.setdefault("properties", {})[field] = schema
    db.command(
        "collMod",
        name,
        validator={"$jsonSchema": json_schema},
        validationLevel="strict",
        validationAction="error",
    )


def names(doc: dict[str, Any]) -> dict[str, str]:
    name, name_zh = doc.get("name"), doc.get("name_zh")
    if isinstance(name, dict):
        return name
    if name_zh:
        return {"zh-CN": name_zh, "en": name} if name else {"zh-CN": name_zh}
    return {"zh-CN": name}


def upgrade(db):
    for collection in COLLECTIONS:
        _set_name_schema(db, collection, {"bsonType": ["object", "string"]})
        writes = [
            UpdateOne(
                {"_id": doc["_id"]},
                {"$set": {"name": names(doc)}, "$unset": {"name_zh": ""}},
            )
            for doc in db[collection].find(
                {"$or": [{"name": {"$type": "string"}}, {"name_zh": {"$exists": True}}]},
                {"name": 1, "name_zh": 1},
            )
        ]
        if writes:
            db[collection].bulk_write(writes, ordered=False)
        _set_name_schema(db, collection, NAMES)
    _set_name_schema(db, "certificates", {"bsonType": ["string", "object"]}, "issuer_name")


def downgrade(db):
    for doc in db.certificates.find({"issuer_name": {"$type": "object"}}, {"issuer_name": 1}):
        name = doc["issuer_name"]
        db.certificates.update_one(
            {"_id": doc["_id"]}, {"$set": {"issuer_name": name.get("en") or name.get("zh-CN")}}
        )
    _set_name_schema(db, "certificates", {"bsonType": "string"}, "issuer_name")
    for collection in COLLECTIONS:
        _set_name_schema(db, collection, {"bsonType": ["object", "string"]})
        writes = []
        for doc in db[collection].find({"name": {"$type": "object"}}, {"name": 1}):
            name = doc["name"]
            fields: dict[str, Any] = {"name": name.get("en") or name.get("zh-CN")}
            if name.get("en") and name.get("zh-CN"):
                fields["name_zh"] = name["zh-CN"]
            writes.append(UpdateOne({"_id": doc["_id"]}, {"$set": fields}))
        if writes:
            db[collection].bulk_write(writes, ordered=False)
        _set_name_schema(db, collection, {"bsonType": "string"})
