"""One command, one write: a crash before or after a command's write leaves the whole command
or none of it; the client's retry with the same Idempotency-Key completes it exactly once;
the relay applies every side effect once, even when it dies half-way; and `kpi rebuild`
afterwards equals the counters the relay applied.

The crash is injected in the repository layer's one write path (app.store): the write either
fails before it reaches the database, or reaches it and then the process "dies" (the request
answers 503, as it does when the database connection drops after a commit)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from pymongo.errors import AutoReconnect

from app import outbox, outbox_repository, store
from app.db import counting_commands
from app.oversight import kpi_rebuild
from tests.applications.world import APPS
from tests.complaint_helpers import body as complaint_body
from tests.complaint_helpers import setup as complaint_setup
from tests.conftest import Api, drain


@contextmanager
def crash(monkeypatch: pytest.MonkeyPatch, when: str) -> Iterator[None]:
    """Make the next command's write die BEFORE it reaches the database or AFTER it did."""
    real_insert, real_update = store.insert, store.update

    def dying(real):
        def write(*args: Any, **kwargs: Any):
            if when == "before":
                raise AutoReconnect("connection lost before the write")
            real(*args, **kwargs)
            raise AutoReconnect("connection lost after the write")

        return write

    monkeypatch.setattr(store, "insert", dying(real_insert))
    monkeypatch.setattr(store, "update", dying(real_update))
    try:
        yield
    finally:
        monkeypatch.setattr(store, "insert", real_insert)
        monkeypatch.setattr(store, "update", real_update)


def counters(db) -> dict[tuple[str, str], dict[str, float]]:
    return {(d["department"], d["day"]): d["m"] for d in db.kpi_daily.find({})}


def rebuilt_equals_applied(app, db) -> None:
    drain(app)
    applied = counters(db)
    with app.app_context():
        kpi_rebuild.rebuild()
    assert counters(db) == applied


def state(db, case_id) -> dict[str, Any]:
    """What a command leaves behind: the case and every side effect, applied or queued."""
    doc = db.applications.find_one({"_id": case_id}) or db.complaints.find_one({"_id": case_id})
    return {
        "status": doc["status"] if doc else None,
        "version": doc["version"] if doc else None,
        "queued": [e["type"] for e in (doc or {}).get("outbox", [])],
        "audit": db.audit.count_documents({"subject.id": str(case_id)}),
        "notifications": db.notifications.count_documents({"subject.id": str(case_id)}),
    }


def retry(api, path: str, key: str, json: Any = None):
    return api.post(path, json=json, headers={"Idempotency-Key": key})


@pytest.fixture
def quiet(world, monkeypatch):
    """The world's people with the relay left to the test (no drain after each request)."""
    monkeypatch.setattr(Api, "relay", False)
    return world


# ----------------------------------------------------------------------- submissions


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_submission_that_dies_is_whole_or_absent_and_its_retry_files_it_once(
    quiet, app, db, monkeypatch, when
):
    world = quiet
    with crash(monkeypatch, when):
        died = world.applicant.post(
            APPS, json=world.body(), headers={"Idempotency-Key": f"submit-{when}"}
        )
    assert died.status_code == 503
    filed = list(db.applications.find({}))
    if when == "before":
        assert filed == [] and db.audit.count_documents({"action": "application.submit"}) == 0
    else:
        # The whole command is in its one document: the case and all its side effects.
        (case,) = filed
        assert sorted(e["type"] for e in case["outbox"]) == [
            "audit",
            "cite",
            "inbox",
            "inbox_item",
            "kpi",
            "notify",
            "work_arrived",
        ]
    again = retry(world.applicant, APPS, f"submit-{when}", world.body())
    assert again.status_code == 201, again.get_json()
    assert (again.headers.get("Idempotent-Replayed") == "true") == (when == "after")
    assert db.applications.count_documents({}) == 1
    drain(app)
    case_id = db.applications.find_one({})["_id"]
    assert state(db, case_id) == {
        "status": "submitted",
        "version": 1,
        "queued": [],
        "audit": 1,
        "notifications": 1,
    }
    assert world.kpi()["applications_received"] == 1
    rebuilt_equals_applied(app, db)


# ----------------------------------------------------------------------- transitions


def _through(world, case, step: str) -> None:
    """Bring CASE to where STEP applies."""
    if step in ("review", "complete"):
        world.accept(case)
    if step == "complete":
        world.approve_all(case)


STEPS = {
    "accept": ("amr_window", "accept", None, "in_review"),
    "review": ("tax", "reviews/TAX-330100", {"decision": "approve"}, "in_review"),
    "complete": ("amr_head", "complete", None, "completed"),
}


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("step", sorted(STEPS))
def test_a_transition_that_dies_is_whole_or_absent_and_its_retry_completes_it_once(
    quiet, app, db, monkeypatch, step, when
):
    world = quiet
    case = world.submit()
    _through(world, case, step)
    drain(app)
    who, path, json, target = STEPS[step]
    url = f"{APPS}/{case['id']}/{path}"
    before = state(db, _oid(case))
    staff = world.staff[who]  # signed in before the crash window
    with crash(monkeypatch, when):
        died = staff.post(url, json=json, headers={"Idempotency-Key": f"k-{step}"})
    assert died.status_code == 503
    after_crash = state(db, _oid(case))
    if when == "before":
        assert after_crash == before
    else:
        assert after_crash["version"] == before["version"] + 1
        assert "audit" in after_crash["queued"]
    again = retry(world.staff[who], url, f"k-{step}", json)
    assert again.status_code == 200, again.get_json()
    assert (again.headers.get("Idempotent-Replayed") == "true") == (when == "after")
    # Once more, as a phone on a train might: still the same single transition.
    third = retry(world.staff[who], url, f"k-{step}", json)
    assert third.status_code == 200 and third.headers["Idempotent-Replayed"] == "true"
    drain(app)
    done = state(db, _oid(case))
    assert done["version"] == before["version"] + 1
    assert done["audit"] == before["audit"] + 1
    actions = [e["action"] for e in db.applications.find_one({"_id": _oid(case)})["timeline"]]
    assert actions.count(step.split("/")[0]) == 1
    if step == "complete":
        assert db.certificates.count_documents({"source.id": _oid(case)}) == 1
        assert world.kpi()["applications_completed"] == 1
    rebuilt_equals_applied(app, db)


def test_a_retry_with_the_same_key_but_another_body_is_422_and_changes_nothing(quiet, app, db):
    world = quiet
    case = world.submit()
    world.accept(case)
    url = f"{APPS}/{case['id']}/reviews/TAX-330100"
    first = retry(world.staff["tax"], url, "k-review", {"decision": "approve"})
    assert first.status_code == 200
    other = retry(world.staff["tax"], url, "k-review", {"decision": "reject", "opinion": "no"})
    assert other.status_code == 422
    assert "Idempotency-Key" in other.get_json()["errors"]
    reviews = db.applications.find_one({"_id": _oid(case)})["reviews"]
    assert [r["status"] for r in reviews if r["department"] == "TAX-330100"] == ["approved"]


# ----------------------------------------------------------------------- complaints


@pytest.fixture
def complaints_world(app, users, monkeypatch):
    complaint_setup(app)
    monkeypatch.setattr(Api, "relay", False)
    resident = users.resident()
    hotline = users.staff("HOTLINE-330100", ("window",), kind="hotline")
    handler = users.staff("AMR-330100", ("reviewer",))
    return resident, hotline, handler


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_complaint_that_dies_is_whole_or_absent_and_its_retry_files_it_once(
    complaints_world, app, db, monkeypatch, when
):
    resident, _, _ = complaints_world
    url = "/api/v1/complaints"
    with crash(monkeypatch, when):
        died = retry(resident, url, f"c-{when}", complaint_body())
    assert died.status_code == 503
    assert db.complaints.count_documents({}) == (0 if when == "before" else 1)
    again = retry(resident, url, f"c-{when}", complaint_body())
    assert again.status_code == 201
    drain(app)
    # Exactly one complaint, and it is nobody's repeat (the retry met its own first run).
    (doc,) = list(db.complaints.find({}))
    assert doc["repeat_of"] is None
    assert db.supervision_events.count_documents({"type": "repeat_complaint"}) == 0
    assert db.audit.count_documents({"action": "complaint.submit"}) == 1
    rebuilt_equals_applied(app, db)


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_resolution_that_dies_is_whole_or_absent_and_its_retry_resolves_once(
    complaints_world, app, db, monkeypatch, when
):
    resident, hotline, handler = complaints_world
    complaint = resident.post("/api/v1/complaints", json=complaint_body()).get_json()
    base = f"/api/v1/complaints/{complaint['id']}"
    assert hotline.post(f"{base}/assign", json={"department": "AMR-330100"}).status_code == 200
    drain(app)
    with crash(monkeypatch, when):
        died = retry(handler, f"{base}/resolve", f"r-{when}", {"resolution": "Fixed"})
    assert died.status_code == 503
    status = db.complaints.find_one({})["status"]
    assert status == ("assigned" if when == "before" else "resolved")
    again = retry(handler, f"{base}/resolve", f"r-{when}", {"resolution": "Fixed"})
    assert again.status_code == 200, again.get_json()
    drain(app)
    doc = db.complaints.find_one({})
    assert [e["action"] for e in doc["timeline"]].count("resolve") == 1
    assert db.audit.count_documents({"action": "complaint.resolve"}) == 1
    resolved = sum(d["m"].get("complaints_resolved", 0) for d in db.kpi_daily.find({}))
    assert resolved == 1
    rebuilt_equals_applied(app, db)


# ----------------------------------------------------------------------- the relay


def test_a_relay_that_dies_half_way_applies_nothing_and_its_rerun_applies_everything_once(
    quiet, app, db, monkeypatch
):
    world = quiet
    for _ in range(3):
        world.submit()
    queued = sum(len(d.get("outbox", [])) for d in db.applications.find({}))
    assert queued == 21  # 7 side effects a submission

    def dies(pending, session):
        raise RuntimeError("the worker died after applying the audit and the counters")

    notify_applier = outbox._APPLIERS["notify"]
    monkeypatch.setitem(outbox._APPLIERS, "notify", dies)
    with app.app_context(), pytest.raises(RuntimeError):
        outbox.relay(100)
    # Nothing of the batch landed: the counters and the audit records were in the same
    # transaction as the failing notifications.
    assert db.kpi_daily.count_documents({}) == 0
    assert db.audit.count_documents({"action": "application.submit"}) == 0
    assert db.inbox_items.count_documents({}) == 0
    assert sum(len(d.get("outbox", [])) for d in db.applications.find({})) == 21
    monkeypatch.setitem(outbox._APPLIERS, "notify", notify_applier)
    assert drain(app) == 21
    assert drain(app) == 0
    assert world.kpi()["applications_received"] == 3
    assert db.audit.count_documents({"action": "application.submit"}) == 3
    assert db.notifications.count_documents({"kind": "application.submit"}) == 3
    assert db.inbox_items.count_documents({}) == 3
    assert db.applications.count_documents({"outbox_since": {"$exists": True}}) == 0
    rebuilt_equals_applied(app, db)


def test_the_relay_finds_what_every_collection_has_queued_oldest_first(quiet, app, db):
    world = quiet
    cases = [world.submit() for _ in range(3)]
    with app.app_context():
        found = outbox_repository.pending_in(["complaints", "applications", "users"], 2)
        oldest = outbox_repository.oldest_in(["complaints", "applications"])
    # Only collections with something queued; each its oldest LIMIT, with the relay's fields.
    assert set(found) == {"applications"}
    assert [str(d["_id"]) for d in found["applications"]] == [c["id"] for c in cases[:2]]
    assert set(found["applications"][0]) == {"_id", "outbox", "outbox_n", "outbox_since"}
    assert oldest == {"applications": found["applications"][0]["outbox_since"]}
    with app.app_context():
        assert outbox_repository.pending_in([], 5) == {}
        assert outbox.backlog()["collections"].keys() == {"applications"}


def test_an_idle_relay_pass_reads_one_index_range_per_collection_and_writes_nothing(quiet, app, db):
    """Never a $unionWith: the embedded server reads every document of a collection it names
    (an idle pass took seconds at 100 k applications). And no lease taken for nothing."""
    quiet.submit()
    drain(app)
    with app.app_context(), counting_commands(keep_commands=True) as tally:
        report = outbox.relay(100)
        outbox.backlog()
    sent = tally.sent or []
    assert report == {"applied": 0, "documents": 0, "full": 0, "busy": 0}
    assert {c["name"] for c in sent} == {"find"}
    queued = [c for c in sent if c.get("filter") == outbox_repository.QUEUED]
    assert len(queued) == len(sent) == 2 * len(outbox.COLLECTIONS)
    assert {c["find"] for c in queued} == set(outbox.COLLECTIONS)
    for command in queued:
        cursor = db[command["find"]].find(command["filter"]).sort("outbox_since", 1).limit(1)
        plan = str(cursor.explain()["queryPlanner"]["winningPlan"])
        assert "outbox_pending" in plan and "COLLSCAN" not in plan, (command["find"], plan)


def test_a_relay_told_where_entries_wait_looks_only_there(quiet, app, db):
    """The suite's drain probes once where entries wait and passes them on (`among`)."""
    quiet.submit()
    with app.app_context(), counting_commands(keep_commands=True) as tally:
        elsewhere = outbox.relay(100, among=["complaints"])
    assert elsewhere["applied"] == 0
    assert [c["find"] for c in tally.sent or [] if c["name"] == "find"] == ["complaints"]
    with app.app_context():
        assert "applications" in outbox.backlog()["collections"]
        there = outbox.relay(100, among=["applications", "complaints"])
        assert there["applied"] > 0
        assert outbox.backlog()["collections"] == {}


def test_entries_queued_while_the_relay_works_are_kept_for_its_next_pass(quiet, app, db):
    world = quiet
    case = world.submit()
    with app.app_context():
        docs = outbox_repository.pending_in(["applications"], 10)["applications"]
    # A transition queues more entries after the relay read the document...
    world.accept(case)
    with app.app_context():
        outbox_repository.in_transaction(
            lambda session: outbox_repository.clear("applications", docs, session)
        )
    left = db.applications.find_one({"_id": _oid(case)})
    # ...so the clear removes only what it read; the acceptance's entries wait.
    assert {e["type"] for e in left["outbox"]} >= {"audit", "notify"}
    assert all(e["id"] not in {x["id"] for x in docs[0]["outbox"]} for e in left["outbox"])


def test_the_relay_lag_is_reported_at_readyz(quiet, app, client):
    quiet.submit()
    details = client.get("/readyz").get_json()["checks"]["outbox"]
    assert details["collections"]["applications"]["oldest_age_seconds"] >= 0
    drain(app)
    assert client.get("/readyz").get_json()["checks"]["outbox"] == {
        "oldest_age_seconds": 0.0,
        "collections": {},
    }


def _oid(case):
    from bson import ObjectId

    return ObjectId(case["id"])
