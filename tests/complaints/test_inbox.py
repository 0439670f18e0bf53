"""The staff inbox provider for kind=complaints: open complaints my department holds, most
urgent first (the staff inbox endpoint of the applications feature serves it)."""

from datetime import timedelta

from app import clock
from app.accounts.auth import Principal
from app.complaints import service as complaints_service
from tests.complaint_helpers import AMR, act, file, ok


def inbox(app, api, overdue=None, limit=20, cursor=None):
    principal = Principal(
        id=api.id, role="staff", department=api.user["department"], duties=("reviewer",)
    )
    with app.test_request_context():
        page = complaints_service.inbox(principal, overdue, limit, cursor)
    return page


def numbers(page) -> list[str]:
    return [item["tracking_no"] for item in page.items]


def test_my_departments_open_complaints_earliest_due_first(world, app):
    resident, hotline, amr = world["resident"], world["hotline"], world["amr"]
    first = file(resident, location=None, title="First")
    clock.advance(timedelta(hours=1))
    second = file(resident, location=None, title="Second")
    third = file(
        resident,
        kind="dispute",
        category="neighbour_dispute",
        location=None,
        parties=[{"name": "Wang", "role": "respondent"}],
    )
    assert numbers(inbox(app, hotline)) == [
        first["tracking_no"],
        second["tracking_no"],
        third["tracking_no"],
    ]
    for created in (second, first):
        ok(act(hotline, created, "assign", {"department": AMR}))
    page = inbox(app, amr)
    assert numbers(page) == [first["tracking_no"], second["tracking_no"]]
    item = page.items[0]
    assert item["kind"] == "complaint" and item["complaint_kind"] == "complaint"
    assert item["overdue"] is False and item["submitted_at"] == item["created_at"]
    assert numbers(inbox(app, hotline)) == [third["tracking_no"]]
    ok(act(amr, first, "resolve", {"resolution": "Done."}))
    assert numbers(inbox(app, amr)) == [second["tracking_no"]]
    assert world["tax"].user["department"] != AMR
    assert numbers(inbox(app, world["tax"])) == []


def test_overdue_filter_and_paging(world, app):
    resident, hotline = world["resident"], world["hotline"]
    old = file(resident, location=None, title="Old")
    clock.advance(timedelta(days=5))
    new = file(resident, location=None, title="New")
    assert numbers(inbox(app, hotline, overdue=True)) == [old["tracking_no"]]
    assert numbers(inbox(app, hotline, overdue=False)) == [new["tracking_no"]]
    first = inbox(app, hotline, limit=1)
    assert numbers(first) == [old["tracking_no"]] and first.next_cursor
    assert numbers(inbox(app, hotline, limit=1, cursor=first.next_cursor)) == [new["tracking_no"]]


def test_staff_inbox_endpoint_serves_kind_complaints(world):
    resident, hotline, amr = world["resident"], world["hotline"], world["amr"]
    created = file(resident)
    ok(act(hotline, created, "assign", {"department": AMR}))
    page = ok(amr.get("/api/v1/staff/inbox?kind=complaints"))
    assert [i["tracking_no"] for i in page["items"]] == [created["tracking_no"]]
    item = page["items"][0]
    assert item["kind"] == "complaint" and item["id"] == created["id"]
    assert item["due_at"] == created["due_at"] and item["overdue"] is False
    assert ok(amr.get("/api/v1/staff/inbox?kind=complaints&overdue=true"))["items"] == []
    assert ok(hotline.get("/api/v1/staff/inbox?kind=complaints"))["items"] == []
    assert resident.get("/api/v1/staff/inbox?kind=complaints").status_code == 403


def test_a_departments_complaint_queue_is_read_from_its_head(world, app, db):
    resident, hotline = world["resident"], world["hotline"]
    filed = [file(resident, location=None, title=f"Case {n}") for n in range(3)]
    expected = [c["tracking_no"] for c in filed]
    assert numbers(inbox(app, hotline)) == expected
    key = f"complaints:{hotline.user['department']}"
    head = db.inbox_heads.find_one({"_id": key})
    first = db.complaints.find_one({"tracking_no": expected[0]})
    assert head["at"] == first["due_at"]
    # Only a hint: wrong in either direction, the queue reads the same.
    for at in (first["due_at"] - timedelta(days=900), first["due_at"] + timedelta(days=900)):
        db.inbox_heads.update_one({"_id": key}, {"$set": {"at": at, "width": 1.0}})
        assert numbers(inbox(app, hotline)) == expected
        assert numbers(inbox(app, hotline, limit=2)) == expected[:2]
