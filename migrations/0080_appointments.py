"""Appointments (issue 15): the appointment cases, the slots' place counters and the
departments' opening hours, with the indexes their hot queries need."""

from pymongo import ASCENDING, DESCENDING

from app.platform.migrate import drop_collections, ensure_collection


def upgrade(db):
    ensure_collection(
        db,
        "appointments",
        {
            "bsonType": "object",
            "required": [
                "owner_id",
                "department",
                "region",
                "slot_id",
                "start",
                "end",
                "status",
                "version",
                "active_key",
                "timeline",
            ],
            "properties": {
                "owner_id": {"bsonType": "objectId"},
                "status": {"enum": ["booked", "checked_in", "no_show", "cancelled"]},
                "version": {"bsonType": ["int", "long"], "minimum": 1},
                "start": {"bsonType": "date"},
                "end": {"bsonType": "date"},
                "active_key": {"bsonType": "string"},
                "timeline": {"bsonType": "array"},
            },
        },
    )
    coll = db.appointments
    # One active appointment per person per case: the booked key names both; a closed or
    # caseless appointment's key is its own id.
    coll.create_index("active_key", unique=True, name="one_active_per_person_case")
    coll.create_index([("owner_id", ASCENDING), ("_id", DESCENDING)], name="owner")
    coll.create_index(
        [("department", ASCENDING), ("start", ASCENDING), ("_id", ASCENDING)], name="day_list"
    )
    coll.create_index("remind_at", sparse=True, name="reminder_due")
    coll.create_index("outbox_since", sparse=True, name="outbox_pending")
    coll.create_index(
        "idempotency_key", unique=True, sparse=True, name="created_by_idempotency_key"
    )

    ensure_collection(
        db,
        "appointment_slots",
        {
            "bsonType": "object",
            "required": ["booked"],
            "properties": {"booked": {"bsonType": ["int", "long"], "minimum": 0}},
        },
    )
    db.appointment_slots.create_index(
        [("department", ASCENDING), ("start", ASCENDING)], name="department_start"
    )

    ensure_collection(
        db,
        "opening_hours",
        {
            "bsonType": "object",
            "required": ["slot_minutes", "capacity", "hours"],
            "properties": {
                "slot_minutes": {"bsonType": ["int", "long"], "minimum": 5},
                "capacity": {"bsonType": ["int", "long"], "minimum": 1},
                "hours": {"bsonType": "object"},
            },
        },
    )
    db.opening_hours.create_index("outbox_since", sparse=True, name="outbox_pending")


def downgrade(db):
    drop_collections(db, "appointments", "appointment_slots", "opening_hours")
