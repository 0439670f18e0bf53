"""Fixtures of the payment and delivery tests: the company set-up world, its service item
charging 50.00 CNY (5000 fen), and helpers that sign callbacks as the sandbox provider and
carrier do."""

import json
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
