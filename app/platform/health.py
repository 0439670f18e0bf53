"""Readiness: what must be true before a process takes traffic."""

from __future__ import annotations

from typing import Any

from flask import Flask

from app.db import get_db
from app.platform import migrate


def readiness(app: Flask) -> dict[str, Any]:
    checks: dict[str, Any] = {}
    status = "ok"
    try:
        get_db(app).command("ping")
        checks["database"] = "ok"
        pending = migrate.pending(get_db(app))
        checks["migrations"] = "ok" if not pending else {"pending": pending}
        if pending:
            status = "unavailable"
    except Exception as exc:  # any failure to reach the database means 'not ready'
        checks["database"] = f"unreachable: {exc.__class__.__name__}"
        status = "unavailable"
    for name, probe in app.extensions.get("readiness_details", {}).items():
        # Informational (e.g. calendar years without data): reported, never fails readiness.
        try:
            checks[name] = probe()
        except Exception as exc:
            checks[name] = f"unavailable: {exc.__class__.__name__}"
    return {"status": status, "checks": checks}
