"""Staff are told when work reaches their inbox (issue 18): window staff of a new case, the
deciding staff of each review task, the staff member who asked for materials when they are
back; at most one notification per person per interval, summarising what arrived."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId

from app import clock, outbox_repository
from app.messaging import push_outbox_repository, work_rules
from app.platform.worker import Worker
from tests.applications.world import APPS
from tests.conftest import assert_envelope, drain
from tests.files import upload_id

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 09:00 in Hangzhou
INTERVAL = timedelta(seconds=300)  # DomainRules.work_digest_interval_seconds' default


def work_told(db, api) -> list[dict]:
    """API's staff work notifications, oldest first."""
    query = {"user_id": ObjectId(api.id), "kind": "staff_work"}
    return list(db.notifications.find(query).sort("_id", 1))


def worker_pass(app) -> None:
    Worker(app).run_once(force_housekeeping=False)


def everyone(world):
    return {who: world.staff[who] for who in ("amr_window", "amr_head", "tax", "si")}


@pytest.mark.frozen(T0)
def test_each_kind_of_work_is_told_to_the_staff_who_must_act_and_nobody_else(world, db, users):
    staff = everyone(world)
    elsewhere = users.staff("AMR-330200", ("window", "reviewer"), region="330200")
    world.staff["amr_window"].post(
        "/api/v1/me/devices", json={"platform": "fcm", "token": "window-phone-1"}
    )

    case = world.submit()
    worker_pass(world.app)
    told = work_told(db, staff["amr_window"])
    assert [(n["title"], n["body"]) for n in told] == [("待办提醒", "受理队列新增 1 件。")]
    assert told[0]["subject"] == {
        "kind": "application",
        "id": case["id"],
        "tracking_no": case["tracking_no"],
    }
    # The push copy goes through the delivery outbox like every notification.
    assert db.push_outbox.count_documents({"notification_id": told[0]["_id"]}) == 1
    for who in ("amr_head", "tax", "si"):
        assert work_told(db, staff[who]) == [], who
    assert work_told(db, elsewhere) == []  # another region's window
    assert work_told(db, world.applicant) == []

    world.accept(case)  # by amr_window: a review task for AMR, TAX and SI
    worker_pass(world.app)
    for who in ("amr_head", "tax", "si"):
        assert [n["body"] for n in work_told(db, staff[who])] == ["新的审查任务 1 项。"], who
    assert len(work_told(db, staff["amr_window"])) == 1  # who accepted is not told of it

    body = {"materials": ["articles"], "reason": "The articles are unsigned"}
    case = world.ok("tax", case, "request-supplement", body)
    supplement = {"materials": [{"key": "articles", "attachment_id": upload_id(world.applicant)}]}
    response = world.applicant.post(f"{APPS}/{case['id']}/supplements", json=supplement)
    assert response.status_code == 200
    clock.advance(INTERVAL)
    worker_pass(world.app)
    assert [n["body"] for n in work_told(db, staff["tax"])][1:] == ["补正材料交回 1 件。"]
    # The case is back in every review queue, but only the one who asked is told.
    for who in ("amr_head", "si"):
        assert len(work_told(db, staff[who])) == 1, who
    assert work_told(db, elsewhere) == []


@pytest.mark.frozen(T0)
def test_work_arriving_within_the_interval_waits_and_is_told_in_one_summary(world, db):
    window, head = world.staff["amr_window"], world.staff["amr_head"]
    world.submit()
    worker_pass(world.app)
    assert len(work_told(db, window)) == 1  # the first work of a quiet spell: at once

    clock.advance(timedelta(seconds=10))
    world.submit()
    third = world.submit()
    world.ok(head, third, "accept")  # a review task for AMR: the window staff review too
    worker_pass(world.app)
    clock.advance(INTERVAL - timedelta(seconds=11))
    worker_pass(world.app)
    assert len(work_told(db, window)) == 1  # still within the interval

    clock.advance(timedelta(seconds=1))
    worker_pass(world.app)
    told = work_told(db, window)
    assert [n["body"] for n in told] == [
        "受理队列新增 1 件。",
        "受理队列新增 2 件，新的审查任务 1 项。",
    ]
    assert told[1]["subject"] == {"kind": "inbox", "counts": {"acceptance": 2, "review": 1}}
    listed = window.get("/api/v1/me/notifications").get_json()["items"][0]
    assert listed["kind"] == "staff_work"
    assert listed["subject"] == {"kind": "inbox", "counts": {"acceptance": 2, "review": 1}}

    worker_pass(world.app)
    clock.advance(INTERVAL * 2)
    worker_pass(world.app)
    assert len(work_told(db, window)) == 2  # nothing new arrived: nothing to tell


@pytest.mark.frozen(T0)
def test_a_retried_command_tells_no_one_twice(world, db):
    window, tax = world.staff["amr_window"], world.staff["tax"]
    headers = {"Idempotency-Key": "staff-told-once"}
    first = world.applicant.post(APPS, json=world.body(), headers=headers)
    again = world.applicant.post(APPS, json=world.body(), headers=headers)
    assert again.get_json()["id"] == first.get_json()["id"]
    case = first.get_json()
    accept = {"Idempotency-Key": "accept-once"}
    assert world.act("amr_window", case, "accept", headers=accept).status_code == 200
    assert world.act("amr_window", case, "accept", headers=accept).status_code == 200
    worker_pass(world.app)
    clock.advance(INTERVAL)
    worker_pass(world.app)
    assert [n["body"] for n in work_told(db, window)] == ["受理队列新增 1 件。"]
    assert [n["body"] for n in work_told(db, tax)] == ["新的审查任务 1 项。"]


@pytest.mark.frozen(T0)
def test_a_kind_turned_off_is_not_told_and_the_others_still_are(world, db):
    window, head = world.staff["amr_window"], world.staff["amr_head"]
    response = window.patch("/api/v1/me", json={"staff_notifications": {"acceptance": False}})
    assert response.status_code == 200, response.get_json()
    expected = {"acceptance": False, "review": True, "supplement": True, "complaint": True}
    assert response.get_json()["staff_notifications"] == expected
    window.patch("/api/v1/me", json={"staff_notifications": {"complaint": False}})
    expected["complaint"] = False  # one kind changed, the others kept
    assert window.get("/api/v1/me").get_json()["staff_notifications"] == expected

    case = world.submit()
    worker_pass(world.app)
    assert work_told(db, window) == []
    world.ok(head, case, "accept")
    worker_pass(world.app)
    assert [n["body"] for n in work_told(db, window)] == ["新的审查任务 1 项。"]


@pytest.mark.frozen(T0)
def test_a_kind_turned_off_before_its_digest_is_due_is_dropped_from_it(world, db):
    window = world.staff["amr_window"]
    world.submit()
    worker_pass(world.app)
    world.submit()  # waits in the digest for the interval
    window.patch("/api/v1/me", json={"staff_notifications": {"acceptance": False}})
    clock.advance(INTERVAL)
    worker_pass(world.app)
    assert len(work_told(db, window)) == 1
    digest = db.work_digests.find_one({"_id": ObjectId(window.id)})
    assert digest["pending"] is False and digest["counts"] == {}


def test_only_staff_choose_and_the_setting_is_validated(world, db):
    applicant, window = world.applicant, world.staff["amr_window"]
    body = assert_envelope(
        applicant.patch("/api/v1/me", json={"staff_notifications": {"review": False}}), 422
    )
    assert "staff_notifications" in body["errors"]
    assert "staff_notifications" not in db.users.find_one({"_id": ObjectId(applicant.id)})
    assert applicant.get("/api/v1/me").get_json()["staff_notifications"] is None
    for bad in ({"lunch": False}, {"review": "no"}, {"review": None}, ["review"]):
        assert_envelope(window.patch("/api/v1/me", json={"staff_notifications": bad}), 422)
    assert "staff_notifications" not in db.users.find_one({"_id": ObjectId(window.id)})


@pytest.mark.frozen(T0)
def test_a_relay_dying_before_its_commit_counts_the_work_once_when_rerun(world, db, monkeypatch):
    window = world.staff["amr_window"]
    world.applicant.relay = False
    world.submit()

    def crash(*args, **kwargs):
        raise RuntimeError("worker killed")

    with monkeypatch.context() as patch:
        patch.setattr(outbox_repository, "clear", crash)
        with pytest.raises(RuntimeError):
            drain(world.app)
    assert db.work_digests.count_documents({}) == 0  # the transaction took it back
    drain(world.app)
    drain(world.app)
    assert db.work_digests.find_one({"_id": ObjectId(window.id)})["counts"] == {"acceptance": 1}


@pytest.mark.frozen(T0)
def test_a_worker_dying_while_flushing_leaves_the_digest_to_be_told_once(world, db, monkeypatch):
    window = world.staff["amr_window"]
    window.post("/api/v1/me/devices", json={"platform": "fcm", "token": "window-phone-2"})
    world.submit()

    def crash(*args, **kwargs):
        raise RuntimeError("worker killed")

    with monkeypatch.context() as patch:
        patch.setattr(push_outbox_repository, "insert_many", crash)
        worker_pass(world.app)  # the step fails; the worker logs it and goes on
    assert work_told(db, window) == []
    assert db.work_digests.find_one({"_id": ObjectId(window.id)})["pending"] is True

    worker_pass(world.app)
    worker_pass(world.app)
    told = work_told(db, window)
    assert [n["body"] for n in told] == ["受理队列新增 1 件。"]
    assert db.push_outbox.count_documents({"user_id": ObjectId(window.id)}) == 1


@pytest.mark.frozen(T0)
def test_the_interval_is_the_configured_one(world, db):
    settings = world.app.extensions["settings"]
    rules = replace(settings.rules, work_digest_interval_seconds=60)
    world.app.extensions["settings"] = replace(settings, rules=rules)
    window = world.staff["amr_window"]
    world.submit()
    worker_pass(world.app)
    world.submit()
    clock.advance(timedelta(seconds=59))
    worker_pass(world.app)
    assert len(work_told(db, window)) == 1
    clock.advance(timedelta(seconds=1))
    worker_pass(world.app)
    assert len(work_told(db, window)) == 2


@pytest.mark.parametrize(("raw", "ok"), [("60", True), ("0", True), ("-1", False), ("x", False)])
def test_the_interval_comes_from_the_environment(monkeypatch, raw, ok):
    from app.config import ConfigError, Settings
    from tests.conftest import TEST_KEYS

    monkeypatch.setenv("ONEVISIT_WORK_DIGEST_INTERVAL_SECONDS", raw)
    if ok:
        settings = Settings.from_env(env="test", jwt_keys=TEST_KEYS)
        assert settings.rules.work_digest_interval_seconds == int(raw)
    else:
        with pytest.raises(ConfigError, match="ONEVISIT_WORK_DIGEST_INTERVAL_SECONDS"):
            Settings.from_env(env="test", jwt_keys=TEST_KEYS)


def test_the_setting_is_documented_in_openapi(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    update = schemas["ProfileUpdate"]["properties"]["staff_notifications"]
    assert "ONEVISIT_WORK_DIGEST_INTERVAL_SECONDS" in update["description"]
    kinds = schemas["StaffNotifications"]["properties"]
    assert set(kinds) == {"acceptance", "review", "supplement", "complaint"}
    assert all(kind["description"] for kind in kinds.values())
    shown = schemas["User"]["properties"]["staff_notifications"]
    assert set(shown["properties"]) == set(kinds)


@pytest.mark.frozen(T0)
def test_a_disabled_account_is_not_told(world, db):
    window = world.staff["amr_window"]
    db.users.update_one({"_id": ObjectId(window.id)}, {"$set": {"disabled": True}})
    world.submit()
    worker_pass(world.app)
    assert work_told(db, window) == []


def test_every_audience_is_found_through_an_index(app, db):
    from app.accounts.repository import staff_query

    selectors = [
        work_rules.department_staff("AMR-330100", ["window"]),
        work_rules.department_staff("AMR-330100", ["reviewer", "head"]),
        work_rules.department_staff("AMR-330100"),
        work_rules.region_window("330100"),
        work_rules.person(ObjectId()),
    ]
    for selector in selectors:
        plan = str(db.users.find(staff_query(selector)).explain()["queryPlanner"])
        assert "COLLSCAN" not in plan and ("IXSCAN" in plan or "IDHACK" in plan), selector
    due = db.work_digests.find({"pending": True, "not_before": {"$lte": T0}}).sort("not_before", 1)
    assert "'indexName': 'due'" in str(due.explain()["queryPlanner"])
