"""The OpenAPI document's front matter and the docs UI, served from the installed
swagger-ui-bundle package (no CDN: the docs work on a closed network)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, abort, send_from_directory

INFO = {
    "description": (
        "Backend of the OneVisit government-services apps: the resident app, the staff app "
        "and the oversight feed. Errors always use the envelope "
        "`{code, status, message, errors?, request_id}`. Lists are cursor-paginated "
        "(`limit`, `cursor` → `{items, next_cursor}`). Creating POSTs accept "
        "`Idempotency-Key`; state changes accept `If-Match`."
    ),
    "contact": {"name": "OneVisit maintainers"},
    "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
}


def _static_dir() -> Path:
    import swagger_ui_bundle

    return Path(swagger_ui_bundle.swagger_ui_path)


def init_app(app: Flask) -> None:
    static = _static_dir()

    @app.get("/api/v1/docs/static/<path:filename>")
    def docs_static(filename: str):
        if not (static / filename).is_file():
            abort(404)
        return send_from_directory(static, filename, max_age=3600)
