"""The staff inbox: what my department must act on, most urgent first, read by index."""

from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId

from app import clock
from app.accounts.auth import Principal
from app.applications import repository as repo
from app.cases import inbox, inbox_heads
from app.pagination import Page
from tests.applications.world import APPS
from tests.conftest import assert_envelope

INBOX = "/api/v1/staff/inbox"
T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 09:00 in Hangzhou


def _ids(api, query: str) -> list[str]:
    response = api.get(f"{INBOX}?{query}")
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


def test_acceptance_inbox_of_the_lead_department_and_of_the_regions_window(world, users):
    first, second = world.submit(), world.submit()
    expected = [first["id"], second["id"]]  # oldest waiting first
    assert _ids(world.staff["amr_head"], "kind=acceptance") == expected
    assert _ids(users.staff("PSB-330100", ("window",)), "kind=acceptance") == expected
    assert (
        _ids(users.staff("CA-330000", ("window",), region="330000"), "kind=acceptance") == expected
    )
    # Co-departments review later; they do not accept; other regions see nothing.
    assert _ids(world.staff["tax"], "kind=acceptance") == []
    assert _ids(users.staff("PSB-330200", ("window",), region="330200"), "kind=acceptance") == []
    world.accept(first)
    assert _ids(world.staff["amr_head"], "kind=acceptance") == [second["id"]]


def test_inbox_items_mask_personal_data(world):
    world.submit()
    item = world.staff["amr_head"].get(f"{INBOX}?kind=acceptance").get_json()["items"][0]
    assert item["kind"] == "application"
    assert item["applicant"]["id_number"] == "330106********0018"
    assert "****" in item["applicant"]["phone"]
    assert item["title"] == "Company establishment registration"
    assert item["overdue"] is False


@pytest.mark.frozen(T0)
def test_review_inbox_most_urgent_first_and_the_overdue_filter(world, db):
    late = world.submit()
    clock.advance(timedelta(hours=1))
    world.accept(late)
    # A second case accepted earlier would be due earlier: make it so by hours.
    db.matters.update_one(
        {"_id": world.matter["_id"]}, {"$set": {"time_limit": {"value": 2, "unit": "hours"}}}
    )
    urgent = world.accept(world.submit())
    assert _ids(world.staff["tax"], "kind=review") == [urgent["id"], late["id"]]
    assert _ids(world.staff["tax"], "kind=review&overdue=true") == []
    clock.advance(timedelta(hours=3))
    assert _ids(world.staff["tax"], "kind=review&overdue=true") == [urgent["id"]]
    assert _ids(world.staff["tax"], "kind=review&overdue=false") == [late["id"]]
    item = world.staff["tax"].get(f"{INBOX}?kind=review&overdue=true").get_json()["items"][0]
    assert item["overdue"] is True
    assert item["task"] == {
        "department": "TAX-330100",
        "status": "pending",
        "opinion": None,
        "decided_at": None,
    }
    # Decided tasks leave my inbox; other departments still have theirs.
    world.ok("tax", urgent, "reviews/TAX-330100", {"decision": "approve"})
    assert _ids(world.staff["tax"], "kind=review") == [late["id"]]
    assert urgent["id"] in _ids(world.staff["si"], "kind=review")
    # Nothing waiting for acceptance is overdue: the clock starts at acceptance.
    world.submit()
    assert _ids(world.staff["amr_head"], "kind=acceptance&overdue=true") == []
    assert len(_ids(world.staff["amr_head"], "kind=acceptance&overdue=false")) == 1


def test_a_returned_supplement_is_review_work_again(world):
    case = world.accept(world.submit())
    world.ok("si", case, "request-supplement", {"materials": ["articles"], "reason": "unsigned"})
    assert _ids(world.staff["si"], "kind=review") == []
    materials = [{"key": "articles", "attachment_id": world.articles}]
    world.applicant.post(f"{APPS}/{case['id']}/supplements", json={"materials": materials})
    items = world.staff["si"].get(f"{INBOX}?kind=review").get_json()["items"]
    assert [i["id"] for i in items] == [case["id"]]
    assert items[0]["supplement_returned_at"] is not None


def test_inbox_pages_with_a_cursor_across_its_queues(world, db):
    cases = [world.submit() for _ in range(3)]
    # AMR's window staff see these cases twice over (lead department and region window):
    # each case is listed once, in order, across pages.
    window = world.staff["amr_window"]
    first = window.get(f"{INBOX}?kind=acceptance&limit=2").get_json()
    assert [i["id"] for i in first["items"]] == [c["id"] for c in cases[:2]]
    rest = window.get(f"{INBOX}?kind=acceptance&limit=2&cursor={first['next_cursor']}")
    assert [i["id"] for i in rest.get_json()["items"]] == [cases[2]["id"]]
    assert rest.get_json()["next_cursor"] is None
    assert_envelope(window.get(f"{INBOX}?kind=acceptance&cursor=garbage"), 422)


def test_complaints_kind_is_an_empty_page_until_a_provider_registers(world, monkeypatch):
    assert world.staff["tax"].get(f"{INBOX}?kind=complaints").get_json() == {
        "items": [],
        "next_cursor": None,
    }
    seen = {}

    def provider(user, overdue, limit, cursor):
        seen.update(department=user.department, overdue=overdue, limit=limit)
        return Page([], None)

    monkeypatch.setitem(inbox._providers, "complaints", provider)
    world.staff["tax"].get(f"{INBOX}?kind=complaints&overdue=true&limit=5")
    assert seen == {"department": "TAX-330100", "overdue": True, "limit": 5}


def test_inbox_needs_a_known_kind_and_a_staff_member(world, users):
    assert "kind" in assert_envelope(world.staff["tax"].get(INBOX), 422)["errors"]
    assert "kind" in assert_envelope(world.staff["tax"].get(f"{INBOX}?kind=all"), 422)["errors"]
    assert_envelope(world.applicant.get(f"{INBOX}?kind=review"), 403)
    assert_envelope(users.supervisor().get(f"{INBOX}?kind=review"), 403)


def test_every_inbox_query_is_answered_by_an_index(world, db):
    case = world.submit()
    world.accept(world.submit())
    window = Principal(
        id=world.staff["amr_window"].id,
        role="staff",
        department="AMR-330100",
        duties=("window",),
        region="330100",
    )
    from app.applications import rules as wf

    now = clock.now()
    for key in wf.acceptance_keys(window) + wf.review_keys(window):
        for overdue in (None, True, False):
            query = repo.inbox_query(key, overdue, now)
            # A following page narrows the same range from the cursor.
            for bound in ({}, {"inbox_at": {**query.get("inbox_at", {}), "$gte": now}}):
                cursor = db.applications.find({**query, **bound}).sort(
                    [("inbox_at", 1), ("_id", 1)]
                )
                plan = cursor.explain()["queryPlanner"]["winningPlan"]
                assert "COLLSCAN" not in str(plan), (key, overdue, plan)
    # The SLA sweeps of the oversight worker read by index too.
    for field in ("warn_at", "overdue_at"):
        plan = db.applications.find({field: {"$lte": now}}).explain()["queryPlanner"]
        assert "COLLSCAN" not in str(plan["winningPlan"])
    assert case["id"]


def test_a_registered_kind_must_be_known():
    with pytest.raises(ValueError):
        inbox.register_provider("everything", lambda *a: Page([], None))


def test_each_queue_remembers_its_head_and_a_wrong_head_costs_no_case(world, db):
    cases = [world.submit() for _ in range(3)]
    world.accept(cases[0])
    head = world.staff["amr_head"]
    expected = [c["id"] for c in cases[1:]]
    before = {doc["_id"]: doc for doc in db.inbox_heads.find()}
    assert _ids(head, "kind=acceptance") == expected
    # Reading the queue writes nothing (a GET never writes); the submissions told the head
    # where their queue begins, and the worker moves it up to the queue's first case.
    assert {doc["_id"]: doc for doc in db.inbox_heads.find()} == before
    first = db.applications.find_one({"_id": ObjectId(cases[0]["id"])})
    assert before["accept:dept:AMR-330100"]["at"] == first["submitted_at"]
    with world.app.app_context():
        assert inbox_heads.advance_all() >= 1
    oldest = db.applications.find_one({"_id": ObjectId(cases[1]["id"])})
    marks = {doc["_id"]: doc for doc in db.inbox_heads.find()}
    assert marks["accept:dept:AMR-330100"]["at"] == oldest["inbox_at"]
    # The head is a hint only: far too early, far too late or gone, the page is the same.
    for at in (datetime(2001, 1, 1, tzinfo=UTC), datetime(2090, 1, 1, tzinfo=UTC), None):
        if at is None:
            db.inbox_heads.delete_many({})
        else:
            db.inbox_heads.update_many({}, {"$set": {"at": at, "width": 1.0}})
        assert _ids(head, "kind=acceptance") == expected
        assert _ids(head, "kind=acceptance&limit=1") == expected[:1]
        assert _ids(head, "kind=acceptance&overdue=false") == expected


def test_a_queue_shorter_than_a_page_is_one_read_and_a_wrong_last_costs_no_case(world, db):
    from app.db import counting_commands

    cases = [world.submit() for _ in range(3)]
    head = world.staff["amr_head"]
    expected = [c["id"] for c in cases]
    # The submissions told the queue's head where its last case sits, too.
    newest = db.applications.find_one({"_id": ObjectId(cases[-1]["id"])})
    assert (
        db.inbox_heads.find_one({"_id": "accept:dept:AMR-330100"})["last"] == (newest["inbox_at"])
    )
    with world.app.app_context(), counting_commands() as tally:
        assert _ids(head, "kind=acceptance") == expected
    assert tally.by_command is not None
    queues = db.inbox_heads.count_documents({"_id": {"$regex": "^accept:"}})
    # One read per queue (six each when the windows had no end).
    assert tally.by_command["find applications"] <= queues, tally.by_command
    # `last` is a hint only: far too early, far too late or gone, the pages are the same.
    for last in (datetime(2001, 1, 1, tzinfo=UTC), datetime(2090, 1, 1, tzinfo=UTC), None):
        if last is None:
            db.inbox_heads.update_many({}, {"$unset": {"last": ""}})
        else:
            db.inbox_heads.update_many({}, {"$set": {"last": last}})
        assert _ids(head, "kind=acceptance") == expected
        assert _ids(head, "kind=acceptance&limit=1") == expected[:1]
        assert _ids(head, "kind=acceptance&overdue=false") == expected


def test_a_later_queue_is_read_only_up_to_the_earlier_queues_page(world, db, monkeypatch):
    from app import pagination

    cases = [world.submit() for _ in range(5)]
    # The oldest case is in the region window's queue only; the rest in both queues.
    db.inbox_items.update_one(
        {"_id": ObjectId(cases[0]["id"])}, {"$pull": {"inbox_keys": "accept:dept:AMR-330100"}}
    )
    reads: list[dict] = []
    read = pagination._Reader.read

    def spy(self, filter_, want):
        reads.append(filter_)
        return read(self, filter_, want)

    monkeypatch.setattr(pagination._Reader, "read", spy)
    window = world.staff["amr_window"]
    first = window.get(f"{INBOX}?kind=acceptance&limit=2").get_json()
    assert [i["id"] for i in first["items"]] == [c["id"] for c in cases[:2]]
    # The lead department's queue filled its page of two at cases[2]: the window's queue is
    # read no further (without the bound it would be read up to a page of its own).
    end = db.applications.find_one({"_id": ObjectId(cases[2]["id"])})["inbox_at"]
    later = [f for f in reads if f["inbox_keys"] == "accept:window:330100"]
    assert later and all(f["inbox_at"]["$lte"] == end for f in later), later
    seen = [i["id"] for i in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = window.get(f"{INBOX}?kind=acceptance&limit=2&cursor={cursor}").get_json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
    assert seen == [c["id"] for c in cases]
