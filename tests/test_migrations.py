"""Migrations: ordered, recorded, idempotent, reversible, locked; validators and indexes."""

import threading
from datetime import timedelta

import pytest
from pymongo.errors import WriteError

from app import clock
from app.platform import migrate


def test_upgrade_is_idempotent_and_recorded(db):
    assert migrate.pending(db) == []
    assert migrate.upgrade(db) == []
    applied = migrate.applied(db)
    assert applied == [m.id for m in migrate.discover()]
    assert applied[0] == "0001_accounts"


def test_downgrade_then_upgrade_restores_everything(db):
    migrate.downgrade(db, 1)
    assert migrate.applied(db) == ["0001_accounts"]
    assert "audit" not in db.list_collection_names()
    ran = migrate.upgrade(db)
    assert ran and migrate.pending(db) == []
    assert "audit" in db.list_collection_names()


def test_cli_reports_status_and_upgrades(app, db):
    runner = app.test_cli_runner()
    migrate.downgrade(db, 2)
    status = runner.invoke(args=["db", "status"])
    assert "applied  0001_accounts" in status.output and "pending  0003" in status.output
    upgraded = runner.invoke(args=["db", "upgrade"])
    assert upgraded.exit_code == 0 and "0003" in upgraded.output
    again = runner.invoke(args=["db", "upgrade"])
    assert "up to date" in again.output


def test_two_processes_never_migrate_at_once(db):
    holder = migrate.MigrationLock(db)
    holder.__enter__()
    try:
        with pytest.raises(RuntimeError, match="migration lock"):
            with migrate.MigrationLock(db, wait_seconds=0.5):
                pass
    finally:
        holder.__exit__(None, None, None)
    with migrate.MigrationLock(db, wait_seconds=0.5):
        pass


def test_concurrent_upgrades_apply_each_migration_once(db):
    migrate.downgrade(db, 0)
    results: list[list[str]] = []
    threads = [
        threading.Thread(target=lambda: results.append(migrate.upgrade(db))) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ran = [name for result in results for name in result]
    assert sorted(ran) == sorted(m.id for m in migrate.discover())


def test_a_crashed_holders_lease_expires(db):
    db[migrate.LOCK].insert_one(
        {"_id": "lock", "owner": "dead-host:1", "expires_at": clock.now() - timedelta(seconds=1)}
    )
    with migrate.MigrationLock(db, wait_seconds=0.5) as lock:
        assert db[migrate.LOCK].find_one()["owner"] == lock.owner


def test_validators_refuse_malformed_documents(db):
    with pytest.raises(WriteError):
        db.users.insert_one(
            {
                "phone": "not-a-phone",
                "password_hash": "$argon2id$x",
                "name": "x",
                "role": "resident",
                "created_at": clock.now(),
            }
        )
    with pytest.raises(WriteError):
        db.users.insert_one(
            {
                "phone": "13800000009",
                "password_hash": "plaintext",
                "name": "x",
                "role": "resident",
                "created_at": clock.now(),
            }
        )
    with pytest.raises(WriteError):
        db.users.insert_one(
            {
                "phone": "13800000009",
                "password_hash": "$argon2id$x",
                "name": "x",
                "role": "god",
                "created_at": clock.now(),
            }
        )


def plan(cursor) -> str:
    return str(cursor.explain()["queryPlanner"]["winningPlan"])


def test_main_list_queries_use_an_index(db):
    from bson import ObjectId

    db.users.insert_one(
        {
            "phone": "13800000009",
            "password_hash": "$argon2id$x",
            "name": "x",
            "role": "staff",
            "department": "AMR-330100",
            "created_at": clock.now(),
        }
    )
    queries = [
        db.users.find({"phone": "13800000009"}),
        db.users.find({"role": "staff", "_id": {"$lt": ObjectId()}}).sort("_id", -1),
        db.users.find({"department": "AMR-330100", "role": "staff"}),
        db.refresh_tokens.find({"family": "f"}),
        db.audit.find({"subject.id": "x"}).sort("_id", -1),
        db.audit.find({"actor.id": "x"}).sort("_id", -1),
        db.departments.find({"region_path": "330100"}).sort("_id", 1),
        db.notifications.find({"user_id": ObjectId()}).sort("_id", -1),
        db.supervision_events.find({"region_path": "330100"}).sort("_id", -1),
        db.attachments.find({"cited": False, "created_at": {"$lt": clock.now()}}),
        db.kpi_daily.find({"region_path": "330100", "day": {"$gte": "2026-01-01"}}),
    ]
    for cursor in queries:
        assert "COLLSCAN" not in plan(cursor), plan(cursor)


def test_ttl_indexes_expire_tokens_and_windows(db):
    for name in ("refresh_tokens", "rate_limits", "notifications"):
        ttl = [ix for ix in db[name].list_indexes() if "expireAfterSeconds" in ix]
        assert ttl, name
