"""The floor our endpoints are compared against: bare Flask + pymongo handlers doing the same
database operations as the OneVisit endpoint they stand beside (read the caller's user
document, then the record), with no framework on top: no schemas, no JWT, no envelope, no
request logging. Served by gunicorn with app/platform/gunicorn_conf.py, like the real app."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId, json_util
from flask import Flask, Response, abort, request
from pymongo import MongoClient

app = Flask(__name__)
_client: MongoClient[Any] = MongoClient(
    os.environ["MONGO_URI"], connect=False, tz_aware=True, serverSelectionTimeoutMS=5000
)
_db = _client[os.environ.get("ONEVISIT_DB_NAME", "onevisit")]


def _public(doc: dict[str, Any], status: int = 200) -> Response:
    """The document as JSON (bson's encoder handles the nested ObjectIds and dates)."""
    body = {("id" if k == "_id" else k): v for k, v in doc.items() if k != "password_hash"}
    return Response(json_util.dumps(body), status=status, mimetype="application/json")


def _caller() -> dict[str, Any]:
    """The user lookup every authenticated OneVisit request makes, keyed by a plain header."""
    user = _db.users.find_one({"_id": ObjectId(request.headers["X-User"])})
    if user is None:
        abort(401)
    return user


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/me")
def me() -> Response:
    return _public(_caller())


@app.get("/applications/<oid>")
def get_application(oid: str) -> Response:
    _caller()
    doc = _db.applications.find_one({"_id": ObjectId(oid)})
    if doc is None:
        abort(404)
    return _public(doc)


@app.post("/applications")
def submit_application() -> Response:
    user = _caller()
    body = request.get_json()
    now = datetime.now(UTC)
    doc = {
        **body,
        "applicant_id": user["_id"],
        "status": "submitted",
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    doc["_id"] = _db.applications_baseline.insert_one(doc).inserted_id
    return _public(doc, 201)
