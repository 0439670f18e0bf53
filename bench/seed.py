"""Bench data: accounts through the services (the way the API creates them), tokens through
the HTTP login, and — once the applications endpoints exist — applications through the API."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from bench.service import DB_NAME, Service

PASSWORD = "Bench-password-2026"


def base(service: Service, app: Any, residents: int) -> dict[str, Any]:
    from app.services import accounts

    phones, user_ids = [], []
    with app.app_context():
        for n in range(residents):
            phone = f"1590000{n:04d}"
            user = accounts.register(
                {
                    "phone": phone,
                    "password": PASSWORD,
                    "name": f"Bench resident {n}",
                    "kind": "person",
                }
            )
            phones.append(phone)
            user_ids.append(str(user["_id"]))
    return {"phones": phones, "user_ids": user_ids}


def http_json(
    url: str,
    method: str = "GET",
    body: Any = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, raw


def login(service: Service, phone: str, password: str = PASSWORD) -> str:
    status, body = http_json(
        service.url + "/api/v1/auth/login", "POST", {"phone": phone, "password": password}
    )
    if status != 200:
        raise RuntimeError(f"login {phone} failed: {status} {body}")
    return body["access_token"]


def sign_in(service: Service, data: dict[str, Any]) -> None:
    data["resident_tokens"] = [login(service, phone) for phone in data["phones"]]


def available_paths(service: Service) -> set[tuple[str, str]]:
    _, spec = http_json(service.url + "/api/v1/openapi.json")
    return {
        (method, path)
        for path, operations in spec["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    }


def context(service: Service, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "password": PASSWORD,
        "phones": data["phones"],
        "user_ids": data["user_ids"],
        "resident_ids": data["user_ids"],
        "resident_tokens": data["resident_tokens"],
        "mongo_uri": service.mongo_uri,
        "db_name": DB_NAME,
    }


def can_submit(ctx: dict[str, Any]) -> bool:
    return bool(ctx.get("submission"))


def application_phases(service, app, ctx, figures, phase) -> int:  # filled in with issue 3
    return 0


def prepare_applications(service, app, ctx) -> bool:  # filled in with issue 3
    return False


def submit_one(service, ctx) -> str:  # filled in with issue 3
    raise NotImplementedError
