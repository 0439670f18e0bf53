"""The floor `make bench` compares OneVisit against, as Locust users: the bare Flask + pymongo
handlers of bench/baseline.py (run with --host at the baseline's server) and raw pymongo on the
same database server (BENCH_CONTEXT's mongo_uri), doing the same database operations as the
endpoint they stand beside. Not for deployments: make bench only."""

from __future__ import annotations

import time
from typing import Any

from bson import ObjectId
from locust import task
from pymongo import MongoClient

from bench.locustfile import CONTEXT, OneVisitUser, fire_timed

_DATABASE: list[Any] = []


def _database() -> Any:
    if not _DATABASE:
        client: MongoClient[Any] = MongoClient(CONTEXT["mongo_uri"], tz_aware=True)
        _DATABASE.append(client[CONTEXT["db_name"]])
    return _DATABASE[0]


class BaselineGetApplicationUser(OneVisitUser):
    @task
    def get(self) -> None:
        app_id, _ = self.pick(CONTEXT["owned"])
        self.call(
            "baseline get",
            "GET",
            f"/applications/{app_id}",
            headers={"X-User": CONTEXT["owner_of"][app_id]},
        )


class BaselineSubmitUser(OneVisitUser):
    @task
    def submit(self) -> None:
        index = self.pick(range(len(CONTEXT["resident_ids"])))
        self.call(
            "baseline submit",
            "POST",
            "/applications",
            CONTEXT["submissions"][index],
            headers={"X-User": CONTEXT["resident_ids"][index]},
            expect=(201,),
        )


class BaselineMeUser(OneVisitUser):
    @task
    def me(self) -> None:
        self.call("baseline GET /me", "GET", "/me", headers={"X-User": CONTEXT["user_ids"][0]})


class RawGetApplicationUser(OneVisitUser):
    @task
    def get(self) -> None:
        app_id, _ = self.pick(CONTEXT["owned"])
        user_id = ObjectId(CONTEXT["owner_of"][app_id])
        db = _database()
        started, error = time.perf_counter(), None
        try:
            db.users.find_one({"_id": user_id})
            db.applications.find_one({"_id": ObjectId(app_id)})
        except Exception as exc:  # recorded as the request's failure
            error = exc
        fire_timed("raw get", started, error)


class RawSubmitUser(OneVisitUser):
    @task
    def submit(self) -> None:
        from datetime import UTC, datetime

        index = self.pick(range(len(CONTEXT["resident_ids"])))
        user_id = ObjectId(CONTEXT["resident_ids"][index])
        db = _database()
        started, error = time.perf_counter(), None
        try:
            db.users.find_one({"_id": user_id})
            now = datetime.now(UTC)
            doc = {**CONTEXT["submissions"][index], "applicant_id": user_id, "status": "submitted"}
            doc.update(version=1, created_at=now, updated_at=now)
            db.applications_baseline.insert_one(doc)
        except Exception as exc:
            error = exc
        fire_timed("raw submit", started, error)


class RawMeUser(OneVisitUser):
    @task
    def me(self) -> None:
        db = _database()
        started, error = time.perf_counter(), None
        try:
            db.users.find_one({"_id": ObjectId(CONTEXT["user_ids"][0])})
        except Exception as exc:
            error = exc
        fire_timed("raw find_one users", started, error)
