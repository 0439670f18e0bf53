"""Fixtures: one embedded SecantusDB server per test process (a real socket, never a mock),
one migrated database per process put back to its migrated state after each test
(MigratedDatabase), and helpers that sign in as each role."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pymongo import MongoClient
from werkzeug.datastructures import Headers

from app import clock, create_app, outbox, outbox_repository, page_cache, pagination
from app.accounts import passwords
from app.accounts import service as accounts
from app.cases import tracking
from app.catalogue import directory as directory_service
from app.config import Settings
from app.db import get_db
from app.platform import migrate
from app.platform.embedded import EmbeddedServer
from app.seed import DEMO_PASSWORD

# Whole files that are slow (a browser, generated clients, schemathesis over every operation):
# marked `slow` here, as the tests spawning processes are in their own files, so that `make
# test` leaves them to `make test-slow` (both run in CI, .ci/run).
SLOW_PATHS = (
    "tests/browser/",
    "tests/contract/test_clients.py",
    "tests/contract/test_python_client.py",
    "tests/test_api_fuzz.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.startswith(SLOW_PATHS):
            item.add_marker(pytest.mark.slow)


TEST_KEYS = json.dumps([{"kid": "test-1", "secret": "t" * 48, "verify_until": None}])
PASSWORD = DEMO_PASSWORD


@pytest.fixture(scope="session")
def db_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    storage = tmp_path_factory.mktemp("secantus")
    server = EmbeddedServer(
        storage / "data", log_file=storage / "server.log", sync_on_commit=False
    ).start()
    yield server
    server.stop()


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing() -> None:
    # Production cost is ~50 ms a hash; tests create hundreds of accounts.
    passwords.set_parameters(time_cost=1, memory_cost=8192, parallelism=1)


def make_settings(server: EmbeddedServer, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        env="test",
        mongo_uri=server.uri,
        db_name=f"t_{uuid.uuid4().hex[:12]}",
        data_dir=data_dir,
        jwt_keys=TEST_KEYS,
        log_level="WARNING",
        login_limit_phone="1000/60",
        login_limit_address="1000/60",
        login_free_failures=1000,
        register_limit_address="1000/60",
        report_limit_user="1000/60",
    )
    values.update(overrides)
    return Settings.from_env(**values)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module to change settings for its app."""
    return {}


class EnglishClient(FlaskClient):
    """The suite's assertions quote the English messages (the msgids): its requests ask for
    en unless they name a language (tests/test_languages.py asks for each, and for none)."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        headers = Headers(kwargs.pop("headers", None) or {})
        headers.setdefault("Accept-Language", "en")
        return super().open(*args, headers=headers, **kwargs)


class MigratedDatabase:
    """The test process's one migrated database, put back to its just-migrated state after
    each test rather than migrated anew: running every migration costs ~0.4 s a test, putting
    back a dozen collections a few milliseconds. A test that changed what the migrations made
    (it downgraded, dropped a collection) leaves it to be dropped and migrated again."""

    def __init__(self, server: EmbeddedServer) -> None:
        self.client: MongoClient[dict[str, Any]] = MongoClient(server.uri)
        self.name = ""
        self.snapshot: dict[str, list[dict[str, Any]]] = {}

    def checkout(self) -> tuple[str, bool]:
        """The database's name, and whether the test must migrate it (then `migrated`)."""
        if self.snapshot:
            return self.name, False
        self.name = f"t_{uuid.uuid4().hex[:12]}"
        return self.name, True

    def migrated(self) -> None:
        db = self.client[self.name]
        self.snapshot = {name: list(db[name].find()) for name in db.list_collection_names()}

    def put_back(self) -> None:
        db = self.client[self.name]
        names = set(db.list_collection_names())
        if (
            not self.snapshot
            or not set(self.snapshot) <= names
            or (list(db[migrate.APPLIED].find()) != self.snapshot[migrate.APPLIED])
        ):
            self.client.drop_database(self.name)
            self.snapshot = {}
            return
        for name in names - set(self.snapshot):
            db.drop_collection(name)
        for name in holding(db, sorted(self.snapshot)) | {
            n for n, docs in self.snapshot.items() if docs
        }:
            db[name].delete_many({})
            if self.snapshot[name]:
                db[name].insert_many(self.snapshot[name])
        # What this process keeps per database, read from what was just put back.
        page_cache.forget_all()
        pagination.forget_first_pages()
        tracking.forget()


def holding(db: Any, names: list[str], match: dict[str, Any] | None = None) -> set[str]:
    """Which of the collections NAMES hold a document (matching MATCH), in one command: each
    one's first joined by $unionWith. The embedded server answers it by reading every document
    of each collection it names: cheap for a test's few documents, never for the app's (the
    relay asks each collection's index instead, app/outbox_repository.pending_in)."""

    def probe(name: str) -> list[dict[str, Any]]:
        first = [{"$match": match}] if match else []
        return first + [{"$limit": 1}, {"$project": {"_id": 0, "c": {"$literal": name}}}]

    if not names:
        return set()
    head, *rest = names
    pipeline = probe(head) + [{"$unionWith": {"coll": n, "pipeline": probe(n)}} for n in rest]
    return {doc["c"] for doc in db[head].aggregate(pipeline)}


@pytest.fixture(scope="session")
def migrated_database(db_server: EmbeddedServer) -> Iterator[MigratedDatabase]:
    database = MigratedDatabase(db_server)
    yield database
    database.client.close()


@pytest.fixture
def app(
    db_server: EmbeddedServer,
    migrated_database: MigratedDatabase,
    tmp_path: Path,
    settings_overrides: dict[str, Any],
) -> Iterator[Flask]:
    name, fresh = migrated_database.checkout()
    application = create_app(
        make_settings(db_server, tmp_path, **{"db_name": name, **settings_overrides})
    )
    application.test_client_class = EnglishClient
    if fresh:
        with application.app_context():
            migrate.upgrade(get_db())
        migrated_database.migrated()
    yield application
    clock.unfreeze()
    migrated_database.put_back()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def db(app: Flask):
    with app.app_context():
        yield get_db()


class Api:
    """A test client that speaks as one user: api.get(path), api.post(path, json=...)."""

    # After each request the outbox relay runs, as the worker would a moment later, so a
    # scenario sees the side effects (audit, counters, notifications, events) of each step.
    # Tests of the relay itself set `relay = False` on their Api.
    relay = True

    def __init__(
        self, client: FlaskClient, token: str | None = None, user: dict[str, Any] | None = None
    ) -> None:
        self.client = client
        self.token = token
        self.user = user or {}

    @property
    def id(self) -> str:
        return str(self.user["_id"])

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        merged = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        merged.update(headers or {})
        return merged

    def request(self, method: str, path: str, headers: dict[str, str] | None = None, **kw: Any):
        response = self.client.open(path, method=method, headers=self._headers(headers), **kw)
        if self.relay:
            drain(self.client.application)
        return response

    def get(self, path: str, **kw: Any):
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any):
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any):
        return self.request("PUT", path, **kw)

    def patch(self, path: str, **kw: Any):
        return self.request("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any):
        return self.request("DELETE", path, **kw)


def drain(app: Flask) -> int:
    """Apply every queued side effect (the worker's relay, run to empty); returns how many.
    Each pass first asks in one command where entries wait (`holding`), and the relay looks
    only there: its own look is one find per outbox collection, ~20 commands after every
    request of the suite (`make test` 504 → 420 s on 3 Dec)."""
    applied = 0
    with app.app_context():
        db = get_db()
        while True:
            queued = holding(db, outbox.COLLECTIONS, outbox_repository.QUEUED)
            if not queued:
                return applied
            report = outbox.relay(1000, among=queued)
            applied += report["applied"]
            if report["busy"]:
                time.sleep(0.02)  # another thread's relay holds the lease
            elif not report["applied"]:
                return applied  # the relay found nothing where the probe did: a race, done


_phones = iter(range(10_000_000))


def next_phone() -> str:
    return f"135{next(_phones):08d}"


def create_region(
    code: str, name: str | dict[str, str] | None = None, parent: str | None = None
) -> None:
    from app import i18n
    from app.catalogue import regions_repository as regions_repo

    level = "province" if code.endswith("0000") else "city" if code.endswith("00") else "county"
    regions_repo.upsert(
        {"_id": code, "name": i18n.names(name or code), "parent": parent, "level": level}
    )


def ensure_department(code: str, region: str = "330100", kind: str = "government") -> None:
    from app.catalogue import departments_repository as departments_repo
    from app.catalogue.regions import ancestors

    for ancestor in ancestors(region):
        create_region(ancestor)
    if departments_repo.get(code) is None:
        directory_service.create_department(
            {"_id": code, "name": code, "region": region, "kind": kind}
        )


class Users:
    """Creates users of each role and signs them in."""

    def __init__(self, app: Flask, client: FlaskClient) -> None:
        self.app = app
        self.client = client

    def login(self, phone: str, password: str = PASSWORD) -> str:
        response = self.client.post(
            "/api/v1/auth/login", json={"phone": phone, "password": password}
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()["access_token"]

    def _make(self, data: dict[str, Any], registered: bool) -> Api:
        with self.app.app_context():
            user = accounts.register(data) if registered else accounts.create_user(data)
        drain(self.app)  # the account's audit record, as the worker would relay it
        return Api(self.client, self.login(data["phone"]), user)

    def resident(self, **extra: Any) -> Api:
        return self._make(
            {
                "phone": next_phone(),
                "password": PASSWORD,
                "name": "Resident",
                "kind": "person",
                **extra,
            },
            registered=True,
        )

    def enterprise(self, **extra: Any) -> Api:
        return self._make(
            {
                "phone": next_phone(),
                "password": PASSWORD,
                "name": "Ent Ltd",
                "kind": "enterprise",
                "enterprise": {"name": "Ent Ltd", "credit_code": "91330106MA2GL8JX51"},
                **extra,
            },
            registered=True,
        )

    def staff(
        self,
        department: str = "AMR-330100",
        duties: tuple[str, ...] = ("reviewer",),
        region: str = "330100",
        kind: str = "government",
    ) -> Api:
        with self.app.app_context():
            ensure_department(department, region, kind)
        return self._make(
            {
                "phone": next_phone(),
                "password": PASSWORD,
                "name": "Staff",
                "role": "staff",
                "department": department,
                "duties": list(duties),
            },
            registered=False,
        )

    def supervisor(self, region: str = "330100") -> Api:
        from app.catalogue.regions import ancestors

        with self.app.app_context():
            for code in ancestors(region):
                create_region(code)
        return self._make(
            {
                "phone": next_phone(),
                "password": PASSWORD,
                "name": "Supervisor",
                "role": "supervisor",
                "region": region,
            },
            registered=False,
        )

    def admin(self) -> Api:
        return self._make(
            {"phone": next_phone(), "password": PASSWORD, "name": "Admin", "role": "admin"},
            registered=False,
        )


@pytest.fixture
def users(app: Flask, client: FlaskClient) -> Users:
    return Users(app, client)


@pytest.fixture
def anon(client: FlaskClient) -> Api:
    return Api(client)


def assert_envelope(response, code: int) -> dict[str, Any]:
    """Every error answers with API.md's envelope and the response's request id."""
    assert response.status_code == code, (response.status_code, response.get_data(as_text=True))
    body = response.get_json()
    assert body["code"] == code
    assert isinstance(body["status"], str) and body["status"]
    assert isinstance(body["message"], str) and body["message"]
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body
