"""Accept now, hand in later (issue 14): the `terminated` state of applications whose promised
material lapsed, the `deferred_material_overdue` supervision event type (both added to the
validators as they stand, so other migrations' values are kept), and the index of the sweep
over the earliest outstanding deadline."""

from app.platform.migrate import add_enum_value, remove_enum_value

STATE = "terminated"
EVENT_TYPE = "deferred_material_overdue"
INDEX = "deferred_due"


def upgrade(db):
    add_enum_value(db, "applications", "status", STATE)
    add_enum_value(db, "supervision_events", "type", EVENT_TYPE)
    db.applications.create_index(
        "deferred_due_at",
        name=INDEX,
        partialFilterExpression={"deferred_due_at": {"$type": "date"}},
    )


def downgrade(db):
    if INDEX in db.applications.index_information():
        db.applications.drop_index(INDEX)
    remove_enum_value(db, "supervision_events", "type", EVENT_TYPE)
    remove_enum_value(db, "applications", "status", STATE)
