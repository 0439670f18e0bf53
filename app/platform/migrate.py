"""Numbered migrations (migrations/NNNN_name.py with upgrade(db)/downgrade(db)), applied in
order, recorded in the database, and guarded by a lease lock so two processes never migrate
at once."""

from __future__ import annotations

import importlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

from pymongo.database import Database
from pymongo.errors import CollectionInvalid, DuplicateKeyError, OperationFailure

from app import clock

log = logging.getLogger("onevisit.migrate")
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
APPLIED = "_migrations"
LOCK = "_migration_lock"
LEASE = timedelta(minutes=10)


@dataclass(frozen=True)
class Migration:
    number: int
    name: str
    module: ModuleType

    @property
    def id(self) -> str:
        return f"{self.number:04d}_{self.name}"


def discover() -> list[Migration]:
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.py")):
        number, _, name = path.stem.partition("_")
        module = importlib.import_module(f"migrations.{path.stem}")
        if not (hasattr(module, "upgrade") and hasattr(module, "downgrade")):
            raise RuntimeError(f"{path.name} needs upgrade(db) and downgrade(db)")
        found.append(Migration(int(number), name, module))
    numbers = [m.number for m in found]
    if len(set(numbers)) != len(numbers):
        raise RuntimeError(f"two migrations share a number: {numbers}")
    return found


def applied(db: Database[Any]) -> list[str]:
    return [doc["_id"] for doc in db[APPLIED].find({}, {"_id": 1}).sort("_id", 1)]


def pending(db: Database[Any]) -> list[str]:
    done = set(applied(db))
    return [m.id for m in discover() if m.id not in done]


class MigrationLock:
    """A lease in the database; a crashed holder's lease expires and can be taken over."""

    def __init__(self, db: Database[Any], wait_seconds: float = 120.0) -> None:
        self.db = db
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.wait_seconds = wait_seconds

    def _try_acquire(self) -> bool:
        now = clock.now()
        try:
            self.db[LOCK].insert_one(
                {"_id": "lock", "owner": self.owner, "expires_at": now + LEASE}
            )
            return True
        except DuplicateKeyError:
            result = self.db[LOCK].update_one(
                {"_id": "lock", "expires_at": {"$lt": now}},
                {"$set": {"owner": self.owner, "expires_at": now + LEASE}},
            )
            return result.modified_count == 1

    def __enter__(self) -> MigrationLock:
        deadline = time.monotonic() + self.wait_seconds
        while not self._try_acquire():
            if time.monotonic() > deadline:
                raise RuntimeError("another process holds the migration lock")
            time.sleep(0.2)
        return self

    def __exit__(self, *exc: object) -> None:
        self.db[LOCK].delete_one({"_id": "lock", "owner": self.owner})


def upgrade(db: Database[Any], target: int | None = None) -> list[str]:
    """Apply every pending migration up to TARGET (all by default); returns what ran."""
    ran = []
    with MigrationLock(db):
        done = set(applied(db))
        for migration in discover():
            if target is not None and migration.number > target:
                break
            if migration.id in done:
                continue
            started = time.perf_counter()
            migration.module.upgrade(db)
            db[APPLIED].insert_one({"_id": migration.id, "applied_at": clock.now()})
            log.info(
                "migration applied",
                extra={
                    "migration": migration.id,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            ran.append(migration.id)
    return ran


def downgrade(db: Database[Any], target: int) -> list[str]:
    """Undo applied migrations numbered above TARGET, newest first (0 undoes all)."""
    undone = []
    with MigrationLock(db):
        done = set(applied(db))
        for migration in reversed(discover()):
            if migration.number <= target or migration.id not in done:
                continue
            migration.module.downgrade(db)
            db[APPLIED].delete_one({"_id": migration.id})
            log.info("migration reverted", extra={"migration": migration.id})
            undone.append(migration.id)
    return undone


# Helpers migrations use, so each one stays short and idempotent.


def ensure_collection(db: Database[Any], name: str, schema: dict[str, Any] | None = None) -> None:
    """Create NAME (or update its validator) with a $jsonSchema; safe to run again."""
    options: dict[str, Any] = {}
    if schema is not None:
        options = {
            "validator": {"$jsonSchema": schema},
            "validationLevel": "strict",
            "validationAction": "error",
        }
    if name in db.list_collection_names():
        if options:
            db.command("collMod", name, **options)
        return
    try:
        db.create_collection(name, **options)
    except (CollectionInvalid, OperationFailure):
        if options:  # created concurrently: make the validator ours
            db.command("collMod", name, **options)


def _change_enum(
    db: Database[Any], collection: str, field: str, change: Callable[[list[Any]], list[Any]]
) -> None:
    """Rewrite the enum of FIELD in COLLECTION's validator as it stands (so the values other
    migrations added are kept); nothing where the collection has no such enum."""
    info = next(db.list_collections(filter={"name": collection}), None)
    schema = ((info or {}).get("options") or {}).get("validator", {}).get("$jsonSchema")
    if schema is None:
        return
    rule = schema.setdefault("properties", {}).setdefault(field, {})
    if "enum" not in rule:
        return
    rule["enum"] = change(list(rule["enum"]))
    ensure_collection(db, collection, schema)


def add_enum_value(db: Database[Any], collection: str, field: str, value: Any) -> None:
    _change_enum(db, collection, field, lambda vs: vs if value in vs else [*vs, value])


def remove_enum_value(db: Database[Any], collection: str, field: str, value: Any) -> None:
    _change_enum(db, collection, field, lambda vs: [v for v in vs if v != value])


def drop_collections(db: Database[Any], *names: str) -> None:
    for name in names:
        db.drop_collection(name)
