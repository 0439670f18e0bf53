"""The staff inbox reads slim copies of the cases in its queues (app.cases.inbox_items): each
write of a case refreshes its copy through the case's outbox, a case in no queue has none,
and `inbox rebuild` makes them all anew."""

from bson import ObjectId

from app import pagination, store
from app.applications import repository as repo
from app.cases import inbox_items
from app.platform import migrate
from tests.conftest import drain

INBOX = "/api/v1/staff/inbox"
SHOWN = set(repo.INBOX_FIELDS) | {"_id", "matter", "supplements", "case_collection"}


def _copy(db, case):
    return db.inbox_items.find_one({"_id": ObjectId(case["id"])})


def test_a_copy_follows_its_case_from_queue_to_queue_and_goes_when_it_leaves(world, db):
    case = world.submit()
    copy = _copy(db, case)
    stored = world.stored(case)
    # Only what an item shows: no timeline, form answers or materials.
    assert set(copy) <= SHOWN | {"inbox_keys", "inbox_at"}
    assert "timeline" not in copy and "form" not in copy and "materials" not in copy
    assert copy["inbox_keys"] == stored["inbox_keys"] and copy["inbox_at"] == stored["inbox_at"]
    assert copy["matter"] == {k: stored["matter"][k] for k in ("code", "version", "name")}
    assert len(str(copy)) * 2 < len(str(stored))
    accepted = world.accept(case)
    copy = _copy(db, case)
    assert copy["status"] == "in_review" and copy["version"] == accepted["version"]
    assert sorted(copy["inbox_keys"]) == [
        "review:AMR-330100",
        "review:SI-330100",
        "review:TAX-330100",
    ]
    assert copy["inbox_at"] == world.stored(case)["due_at"]
    world.ok("tax", case, "reviews/TAX-330100", {"decision": "approve"})
    assert "review:TAX-330100" not in _copy(db, case)["inbox_keys"]
    for who, dept in (("amr_head", "AMR"), ("si", "SI")):
        world.ok(who, case, f"reviews/{dept}-330100", {"decision": "approve"})
    assert _copy(db, case) is None  # completed: in no queue


def test_a_write_outside_the_engine_refreshes_the_copy_too(world, app, db):
    case = world.submit()
    with app.app_context():
        # Any write through app.store (a payment, a visit, a delivery event) bumps the version.
        assert store.update(
            repo.coll(), {"_id": ObjectId(case["id"])}, {"$inc": {"version": 1}}, []
        )
    assert _copy(db, case)["version"] == 1  # the relay has not run yet
    drain(app)
    assert _copy(db, case)["version"] == 2
    (item,) = world.staff["amr_window"].get(f"{INBOX}?kind=acceptance").get_json()["items"]
    assert item["version"] == 2


def test_the_inbox_reads_the_copies_not_the_cases(world, db, monkeypatch):
    cases = [world.submit() for _ in range(3)]
    read = pagination._Reader.read
    collections: list[str] = []

    def spy(self, filter_, want):
        collections.append(self.collection.name)
        return read(self, filter_, want)

    monkeypatch.setattr(pagination._Reader, "read", spy)
    page = world.staff["amr_window"].get(f"{INBOX}?kind=acceptance").get_json()
    assert [i["id"] for i in page["items"]] == [c["id"] for c in cases]
    assert collections and set(collections) == {"inbox_items"}
    item = page["items"][0]
    assert item["tracking_no"] == cases[0]["tracking_no"] and item["title"]
    assert item["applicant"]["name"] != world.applicant.user["name"]  # masked as before


def test_a_page_is_kept_under_its_queues_stamps_until_what_they_list_changes(
    world, db, users, monkeypatch
):
    window = world.staff["amr_window"]
    first = world.submit()
    reads: list[str] = []
    read = pagination._Reader.read

    def spy(self, filter_, want):
        reads.append(filter_["inbox_keys"])
        return read(self, filter_, want)

    monkeypatch.setattr(pagination._Reader, "read", spy)
    assert [i["id"] for i in window.get(f"{INBOX}?kind=acceptance").get_json()["items"]] == [
        first["id"]
    ]
    assert reads
    reads.clear()
    again = window.get(f"{INBOX}?kind=acceptance").get_json()
    assert reads == [] and [i["id"] for i in again["items"]] == [first["id"]]
    # Another staff member of the same queues is answered from the same page.
    other = users.staff("AMR-330100", ("window",)).get(f"{INBOX}?kind=acceptance").get_json()
    assert reads == [] and [i["id"] for i in other["items"]] == [first["id"]]
    # A new case renews the queues' stamps: it shows at once (after the relay's pass).
    second = world.submit()
    ids = [i["id"] for i in window.get(f"{INBOX}?kind=acceptance").get_json()["items"]]
    assert ids == [first["id"], second["id"]] and reads
    # So does a case leaving them.
    world.accept(first)
    ids = [i["id"] for i in window.get(f"{INBOX}?kind=acceptance").get_json()["items"]]
    assert ids == [second["id"]]
    # An overdue filter is a range on the clock: never kept.
    reads.clear()
    for _ in range(2):
        window.get(f"{INBOX}?kind=review&overdue=false")
    assert len(reads) >= 2


def test_rebuild_makes_every_copy_anew_and_removes_strays(world, app, db):
    waiting, done = world.submit(), world.submit()
    world.approve_all(world.accept(done))
    window = world.staff["amr_window"]
    assert len(window.get(f"{INBOX}?kind=acceptance").get_json()["items"]) == 1  # kept
    before = {doc["_id"]: doc for doc in db.inbox_items.find({})}
    db.inbox_items.delete_many({})
    db.inbox_items.insert_one(
        {
            "_id": ObjectId(),
            "case_collection": "applications",
            "inbox_keys": ["x"],
            "inbox_at": None,
        }
    )
    with app.app_context():
        assert inbox_items.rebuild() == 1
    after = {doc["_id"]: doc for doc in db.inbox_items.find({})}
    assert set(after) == {ObjectId(waiting["id"])} == set(before)
    rebuilt = after[ObjectId(waiting["id"])]
    rebuilt.pop("rebuilt_by")
    assert rebuilt == before[ObjectId(waiting["id"])]
    # The rebuild renewed every stamp: the page kept before it is not answered.
    db.inbox_items.update_one({"_id": ObjectId(waiting["id"])}, {"$set": {"tracking_no": "X"}})
    with app.app_context():
        inbox_items.rebuild()
    (item,) = window.get(f"{INBOX}?kind=acceptance").get_json()["items"]
    assert item["tracking_no"] == waiting["tracking_no"]


def test_the_cli_rebuilds_the_copies(world, app, db):
    case = world.submit()
    db.inbox_items.delete_many({})
    result = app.test_cli_runner().invoke(args=["inbox", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "1 cases in a queue" in result.output
    assert _copy(db, case)["tracking_no"] == case["tracking_no"]


def test_the_migration_copies_the_cases_already_in_a_queue(world, app, db):
    waiting = world.submit()
    world.submit(delivery="electronic")
    before = {doc["_id"]: doc for doc in db.inbox_items.find({})}
    with app.app_context():
        migrate.downgrade(db, 98)
        assert "inbox_items" not in db.list_collection_names()
        migrate.upgrade(db)
    after = {doc["_id"]: doc for doc in db.inbox_items.find({})}
    assert after == before and ObjectId(waiting["id"]) in after
