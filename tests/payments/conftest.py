"""Fixtures of the payment and delivery tests: the company set-up world, its service item
charging 50.00 CNY (5000 fen), and helpers that sign callbacks as the sandbox provider and
carrier do."""

import json
import threading
from typing import Any

import pytest

from app import callbacks
from tests.applications.world import World, build_world

FEE = 5000


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"access_token_ttl": 60 * 24 * 3600}


@pytest.fixture
def world(app, db, users) -> World:
    world = build_world(app, db, users)
    db.matters.update_one({"_id": world.matter["_id"]}, {"$set": {"fee": FEE}})
    return world


def signed(app, kind: str, body: dict[str, Any], secret: str | None = None):
    """(raw body, headers) of a callback to /callbacks/KIND/sandbox ("payments" or
    "delivery") signed with the sandbox's secret (or SECRET)."""
    raw = json.dumps(body).encode()
    with app.app_context():
        secrets = callbacks.secrets_of("payment" if kind == "payments" else "delivery")
        key = secret or secrets[callbacks.SANDBOX]
    return raw, {
        "Content-Type": "application/json",
        callbacks.SIGNATURE_HEADER: callbacks.sign(key, raw),
    }


def post_callback(anon, app, kind: str, body: dict[str, Any], **kw: Any):
    raw, headers = signed(app, kind, body, **kw)
    return anon.post(f"/api/v1/callbacks/{kind}/sandbox", data=raw, headers=headers)


def post_at_once(app, kind: str, raw: bytes, headers: dict[str, str], times: int = 4) -> list[int]:
    """The statuses of TIMES posts of one signed callback to /callbacks/KIND/sandbox, released
    together (a barrier), as a provider retrying while its first notice is in flight."""
    statuses: list[int] = []
    barrier = threading.Barrier(times)

    def post() -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(f"/api/v1/callbacks/{kind}/sandbox", data=raw, headers=headers)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=post) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses
