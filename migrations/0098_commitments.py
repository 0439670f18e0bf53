"""Proof by commitment (issue 14): the bars from commitments that a false one earns (one per
case that found it, read by applicant and end), and `false_commitment` among the supervision
event types (added to the validator as it stands, so other migrations' types are kept)."""

from pymongo import ASCENDING, DESCENDING

from app.platform.migrate import drop_collections, ensure_collection

EVENT_TYPE = "false_commitment"


def _event_types(db, change) -> None:
    info = next(db.list_collections(filter={"name": "supervision_events"}), None)
    schema = ((info or {}).get("options") or {}).get("validator", {}).get("$jsonSchema")
    if schema is None:
        return
    type_rule = schema.setdefault("properties", {}).setdefault("type", {})
    if "enum" not in type_rule:
        return
    type_rule["enum"] = change(list(type_rule["enum"]))
    db.command(
        "collMod",
        "supervision_events",
        validator={"$jsonSchema": schema},
        validationLevel="strict",
        validationAction="error",
    )


def upgrade(db):
    _event_types(db, lambda types: types if EVENT_TYPE in types else [*types, EVENT_TYPE])
    ensure_collection(
        db,
        "commitment_bars",
        {
            "bsonType": "object",
            "required": ["applicant_id", "since", "until", "reason"],
            "properties": {
                "applicant_id": {"bsonType": "objectId"},
                "since": {"bsonType": "date"},
                "until": {"bsonType": "date"},
                "reason": {"bsonType": "string", "maxLength": 2000},
            },
        },
    )
    db.commitment_bars.create_index(
        [("applicant_id", ASCENDING), ("until", DESCENDING)], name="applicant_until"
    )


def downgrade(db):
    _event_types(db, lambda types: [t for t in types if t != EVENT_TYPE])
    drop_collections(db, "commitment_bars")
