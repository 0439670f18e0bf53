"""What each simulated client does, one function per scenario: `name(client, ctx, state)` makes
one iteration's requests; `name_setup` (optional) runs once per thread. `ctx` is the seeded
data (tokens, ids, bodies) shared by all threads; `state["slot"]` is this thread's number.
Work-list scenarios (accept, review, complete) pop their records from ctx["work"][slot]."""

from __future__ import annotations

import uuid
from typing import Any

API = "/api/v1"


def _index(items: list[Any], state: dict[str, Any]) -> int:
    return (state["slot"] + state["i"] * 7) % len(items)


def _pick(items: list[Any], state: dict[str, Any]) -> Any:
    return items[_index(items, state)]


def _submission(ctx: dict[str, Any], state: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A resident's token and their own submission body (it cites their own upload)."""
    index = _index(ctx["resident_tokens"], state)
    return ctx["resident_tokens"][index], ctx["submissions"][index]


def _pop(ctx: dict[str, Any], state: dict[str, Any]) -> Any:
    from bench.load import Exhausted

    work = ctx["work"][state["slot"] % len(ctx["work"])]
    position = state.setdefault("position", 0)
    if position >= len(work):
        raise Exhausted()
    state["position"] = position + 1
    return work[position]


# --- the foundation -------------------------------------------------------------------------


def login(client, ctx, state) -> None:
    phone = _pick(ctx["phones"], state)
    client.request(
        "login", "POST", f"{API}/auth/login", {"phone": phone, "password": ctx["password"]}
    )


def me(client, ctx, state) -> None:
    client.request("GET /me", "GET", f"{API}/me", token=_pick(ctx["resident_tokens"], state))


def departments(client, ctx, state) -> None:
    client.request("GET /departments", "GET", f"{API}/departments?limit=20")


def baseline_me(client, ctx, state) -> None:
    client.request("baseline GET /me", "GET", "/me", headers={"X-User": ctx["user_ids"][0]})


def raw_me_setup(client, ctx, state) -> None:
    state["db"] = _database(ctx)
    from bson import ObjectId

    state["user_oid"] = ObjectId(ctx["user_ids"][0])


def raw_me(client, ctx, state) -> None:
    users = state["db"].users
    oid = state["user_oid"]
    client.timed("raw find_one users", lambda: users.find_one({"_id": oid}))


def register(client, ctx, state) -> None:
    """Stand-in creating POST (with an Idempotency-Key) while applications do not exist."""
    phone = f"18{state['slot']:03d}{state['i']:06d}"
    client.request(
        "register",
        "POST",
        f"{API}/auth/register",
        {"phone": phone, "password": ctx["password"], "name": "Bench", "kind": "person"},
        headers={"Idempotency-Key": str(uuid.uuid4())},
        expect=(201,),
    )


# --- applications ---------------------------------------------------------------------------


def catalogue(client, ctx, state) -> None:
    client.request("catalogue list", "GET", f"{API}/matters?limit=20")


def _submit(client, ctx, state, label: str) -> tuple[str | None, str]:
    """One resident's own submission, with a fresh Idempotency-Key: (its id or None, token)."""
    token, submission = _submission(ctx, state)
    status, body, _ = client.request(
        label,
        "POST",
        f"{API}/applications",
        submission,
        token=token,
        headers={"Idempotency-Key": str(uuid.uuid4())},
        expect=(201,),
    )
    return (body["id"] if status == 201 and body and "id" in body else None), token


def submit(client, ctx, state) -> None:
    app_id, token = _submit(client, ctx, state, "submit")
    if app_id:
        client.output((app_id, token))


def get_application(client, ctx, state) -> None:
    app_id, token = _pick(ctx["owned"], state)
    client.request("get", "GET", f"{API}/applications/{app_id}", token=token)


def list_mine(client, ctx, state) -> None:
    token = _pick(ctx["resident_tokens"], state)
    client.request("list mine", "GET", f"{API}/applications?limit=20", token=token)


def inbox(client, ctx, state) -> None:
    client.request(
        "staff inbox", "GET", f"{API}/staff/inbox?kind=acceptance", token=ctx["window_token"]
    )


def accept(client, ctx, state) -> None:
    app_id = _pop(ctx, state)
    status, _, _ = client.request(
        "accept", "POST", f"{API}/applications/{app_id}/accept", {}, token=ctx["window_token"]
    )
    if status == 200:
        client.output(app_id)


def review(client, ctx, state) -> None:
    """Every department's review of one application, one after the other."""
    app_id = _pop(ctx, state)
    ok = True
    for department in ctx["review_departments"]:
        status, _, _ = client.request(
            "review",
            "POST",
            f"{API}/applications/{app_id}/reviews/{department}",
            {"decision": "approve", "opinion": "Materials complete."},
            token=ctx["reviewer_tokens"][department],
        )
        ok = ok and status == 200
    if ok:
        client.output(app_id)


def complete(client, ctx, state) -> None:
    app_id = _pop(ctx, state)
    client.request(
        "complete", "POST", f"{API}/applications/{app_id}/complete", {}, token=ctx["head_token"]
    )


def feed(client, ctx, state) -> None:
    client.request("feed", "GET", f"{API}/supervision/feed?limit=20", token=ctx["supervisor_token"])


def stats(client, ctx, state) -> None:
    client.request("stats overview", "GET", f"{API}/stats/overview", token=ctx["supervisor_token"])


def lifecycle(client, ctx, state) -> None:
    """submit -> accept -> one review per department -> complete, as one iteration."""
    app_id, _token = _submit(client, ctx, state, "lifecycle: submit")
    if app_id is None:
        return
    client.request(
        "lifecycle: accept",
        "POST",
        f"{API}/applications/{app_id}/accept",
        {},
        token=ctx["window_token"],
    )
    for department in ctx["review_departments"]:
        client.request(
            "lifecycle: review",
            "POST",
            f"{API}/applications/{app_id}/reviews/{department}",
            {"decision": "approve", "opinion": "Materials complete."},
            token=ctx["reviewer_tokens"][department],
        )
    client.request(
        "lifecycle: complete",
        "POST",
        f"{API}/applications/{app_id}/complete",
        {},
        token=ctx["head_token"],
    )


# --- the baseline and raw pymongo, for the overhead ratios ----------------------------------


def baseline_get_application(client, ctx, state) -> None:
    app_id, _ = _pick(ctx["owned"], state)
    client.request(
        "baseline get",
        "GET",
        f"/applications/{app_id}",
        headers={"X-User": ctx["owner_of"][app_id]},
    )


def baseline_submit(client, ctx, state) -> None:
    index = _index(ctx["resident_ids"], state)
    client.request(
        "baseline submit",
        "POST",
        "/applications",
        ctx["submissions"][index],
        headers={"X-User": ctx["resident_ids"][index]},
        expect=(201,),
    )


def _database(ctx: dict[str, Any]):
    from pymongo import MongoClient

    return MongoClient(ctx["mongo_uri"], tz_aware=True)[ctx["db_name"]]


def raw_get_application_setup(client, ctx, state) -> None:
    state["db"] = _database(ctx)


def raw_get_application(client, ctx, state) -> None:
    from bson import ObjectId

    app_id, _ = _pick(ctx["owned"], state)
    user_id = ObjectId(ctx["owner_of"][app_id])
    db = state["db"]

    def both() -> Any:
        db.users.find_one({"_id": user_id})
        return db.applications.find_one({"_id": ObjectId(app_id)})

    client.timed("raw get", both)


def raw_submit_setup(client, ctx, state) -> None:
    state["db"] = _database(ctx)


def raw_submit(client, ctx, state) -> None:
    from datetime import UTC, datetime

    from bson import ObjectId

    db = state["db"]
    index = _index(ctx["resident_ids"], state)
    user_id = ObjectId(ctx["resident_ids"][index])

    def both() -> Any:
        db.users.find_one({"_id": user_id})
        now = datetime.now(UTC)
        doc = {**ctx["submissions"][index], "applicant_id": user_id, "status": "submitted"}
        doc.update(version=1, created_at=now, updated_at=now)
        return db.applications_baseline.insert_one(doc)

    client.timed("raw submit", both)
