"""Proof by commitment (issue 14): the bars from commitments that a false one earns (one per
case that found it, read by applicant and end), and `false_commitment` among the supervision
event types (added to the validator as it stands, so other migrations' types are kept)."""

from pymongo import ASCENDING, DESCENDING

from app.platform.migrate import (
    add_enum_value,
    drop_collections,
    ensure_collection,
    remove_enum_value,
)

EVENT_TYPE = "false_commitment"


def upgrade(db):
    add_enum_value(db, "supervision_events", "type", EVENT_TYPE)
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
    remove_enum_value(db, "supervision_events", "type", EVENT_TYPE)
    drop_collections(db, "commitment_bars")
