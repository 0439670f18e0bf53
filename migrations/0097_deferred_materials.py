"""Accept now, hand in later (issue 14): the `terminated` state of applications whose promised
material lapsed, the `deferred_material_overdue` supervision event type (both added to the
validators as they stand, so other migrations' values are kept), and the index of the sweep
over the earliest outstanding deadline."""

from collections.abc import Callable
from typing import Any

STATE = "terminated"
EVENT_TYPE = "deferred_material_overdue"
INDEX = "deferred_due"


def _enum(db, collection: str, field: str, change: Callable[[list[Any]], list[Any]]) -> None:
    info = next(db.list_collections(filter={"name": collection}), None)
    schema = ((info or {}).get("options") or {}).get("validator", {}).get("$jsonSchema")
    if schema is None:
        return
    rule = schema.setdefault("properties", {}).setdefault(field, {})
    if "enum" not in rule:
        return
    rule["enum"] = change(list(rule["enum"]))
    db.command(
        "collMod",
        collection,
        validator={"$jsonSchema": schema},
        validationLevel="strict",
        validationAction="error",
    )


def _adding(value: str) -> Callable[[list[Any]], list[Any]]:
    return lambda values: values if value in values else [*values, value]


def _removing(value: str) -> Callable[[list[Any]], list[Any]]:
    return lambda values: [v for v in values if v != value]


def upgrade(db):
    _enum(db, "applications", "status", _adding(STATE))
    _enum(db, "supervision_events", "type", _adding(EVENT_TYPE))
    db.applications.create_index(
        "deferred_due_at",
        name=INDEX,
        partialFilterExpression={"deferred_due_at": {"$type": "date"}},
    )


def downgrade(db):
    if INDEX in db.applications.index_information():
        db.applications.drop_index(INDEX)
    _enum(db, "supervision_events", "type", _removing(EVENT_TYPE))
    _enum(db, "applications", "status", _removing(STATE))
