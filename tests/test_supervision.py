"""Supervision events: the region-scoped feed, follow-up transitions, public reports."""

from __future__ import annotations

import pytest
from bson import ObjectId

from app import page_cache
from app.oversight import repository as supervision_events
from tests.conftest import assert_envelope
from tests.oversight_helpers import case, event

FEED = "/api/v1/supervision/feed"
EVENTS = "/api/v1/supervision/events"


def _ids(response):
    assert response.status_code == 200, response.get_json()
    return [e["id"] for e in response.get_json()["items"]]


def test_a_supervisor_sees_their_region_and_below_only(app, users):
    hangzhou = users.supervisor("330100")
    province = users.supervisor("330000")
    tonglu = users.supervisor("330122")
    in_city = event(app, region="330100")
    in_county = event(app, region="330122", department="AMR-330122")
    in_ningbo = event(app, region="330200", department="AMR-330200")

    assert _ids(hangzhou.get(FEED)) == [str(in_county["_id"]), str(in_city["_id"])]
    assert _ids(tonglu.get(FEED)) == [str(in_county["_id"])]
    assert set(_ids(province.get(FEED))) == {str(e["_id"]) for e in (in_city, in_county, in_ningbo)}
    # Another region's event is simply not there, even by id.
    assert_envelope(hangzhou.get(f"{EVENTS}/{in_ningbo['_id']}"), 404)
    assert_envelope(hangzhou.post(f"{EVENTS}/{in_ningbo['_id']}/ack"), 404)


def test_region_filter_inside_scope_narrows_and_outside_is_forbidden(app, users):
    hangzhou = users.supervisor("330100")
    event(app, region="330100")
    county = event(app, region="330122", department="AMR-330122")
    assert _ids(hangzhou.get(f"{FEED}?region=330122")) == [str(county["_id"])]
    body = assert_envelope(hangzhou.get(f"{FEED}?region=330200"), 403)
    assert "region" in body["errors"]
    assert_envelope(hangzhou.get(f"{FEED}?region=330000"), 403)  # above the scope too


def test_feed_filters_by_type_state_and_department(app, users, db):
    sup = users.supervisor("330100")
    overdue = event(app, "application_overdue", department="AMR-330100")
    rating = event(app, "bad_rating", department="TAX-330100")
    warning = event(app, "sla_warning", department="AMR-330100")
    sup.post(f"{EVENTS}/{warning['_id']}/ack")

    assert _ids(sup.get(f"{FEED}?type=bad_rating")) == [str(rating["_id"])]
    assert _ids(sup.get(f"{FEED}?department=AMR-330100")) == [
        str(warning["_id"]),
        str(overdue["_id"]),
    ]
    assert _ids(sup.get(f"{FEED}?state=acknowledged")) == [str(warning["_id"])]
    assert _ids(sup.get(f"{FEED}?state=open&department=AMR-330100")) == [str(overdue["_id"])]
    assert _ids(sup.get(f"{FEED}?type=sla_warning&state=open")) == []
    assert_envelope(sup.get(f"{FEED}?type=nonsense"), 422)
    assert_envelope(sup.get(f"{FEED}?state=done"), 422)


def test_feed_pages_stay_correct_while_new_events_arrive(app, users):
    sup = users.supervisor("330100")
    old = [event(app) for _ in range(5)]
    first = sup.get(f"{FEED}?limit=2").get_json()
    event(app)  # arrives while the client reads
    event(app)
    seen = [e["id"] for e in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = sup.get(f"{FEED}?limit=2&cursor={cursor}").get_json()
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
    assert seen == [str(e["_id"]) for e in reversed(old)]


def test_every_feed_filter_combination_is_served_by_an_index(app, users, db):
    event(app)
    coll = db.supervision_events
    for extra in (
        {},
        {"type": "bad_rating"},
        {"state": "open"},
        {"department": "X"},
        {"type": "bad_rating", "state": "open"},
        {"type": "bad_rating", "department": "X"},
        {"state": "open", "department": "X"},
        {"type": "bad_rating", "state": "open", "department": "X"},
    ):
        for bound in ({}, {"_id": {"$lt": ObjectId()}}):
            query = {"region_path": "330100", **extra, **bound}
            plan = str(coll.find(query).sort("_id", -1).explain()["queryPlanner"])
            assert "COLLSCAN" not in plan, query


def test_follow_up_acknowledge_note_close_with_audit(app, users, db):
    sup = users.supervisor("330100")
    ev = event(app)
    url = f"{EVENTS}/{ev['_id']}"

    got = sup.get(url)
    assert got.headers["ETag"] == '"v1"'
    body = got.get_json()
    assert body["state"] == "open" and body["severity"] == "high"
    assert body["subject"]["kind"] == "application" and body["subject"]["tracking_no"]

    ack = sup.post(f"{url}/ack", headers={"If-Match": '"v1"'})
    assert ack.status_code == 200 and ack.get_json()["state"] == "acknowledged"
    assert ack.headers["ETag"] == '"v2"'
    note = sup.post(f"{url}/notes", json={"note": "Called the department head."})
    assert note.status_code == 200
    notes = note.get_json()["notes"]
    assert notes[0]["note"] == "Called the department head."
    assert notes[0]["author"]["id"] == sup.id and notes[0]["at"].endswith("Z")
    assert note.get_json()["state"] == "acknowledged"

    closed = sup.post(f"{url}/close", json={"finding": "Staff shortage; two clerks added."})
    assert closed.status_code == 200
    assert closed.get_json()["state"] == "closed"
    assert closed.get_json()["finding"] == "Staff shortage; two clerks added."

    actions = [a["action"] for a in db.audit.find({"subject.id": str(ev["_id"])}).sort("_id", 1)]
    assert actions == [
        "supervision_event.acknowledge",
        "supervision_event.add_note",
        "supervision_event.close",
    ]
    # Closed is final: no more notes, no second close.
    assert_envelope(sup.post(f"{url}/notes", json={"note": "late"}), 409)
    assert_envelope(sup.post(f"{url}/close", json={"finding": "again"}), 409)
    stored = db.supervision_events.find_one({"_id": ev["_id"]})
    assert len(stored["notes"]) == 1 and stored["version"] == 4


def test_close_needs_acknowledgement_and_stale_if_match_is_refused(app, users, db):
    sup = users.supervisor("330100")
    ev = event(app)
    url = f"{EVENTS}/{ev['_id']}"
    assert_envelope(sup.post(f"{url}/close", json={"finding": "too early"}), 409)
    assert_envelope(sup.post(f"{url}/ack", headers={"If-Match": '"v7"'}), 412)
    assert db.supervision_events.find_one({"_id": ev["_id"]})["state"] == "open"
    assert sup.post(f"{url}/ack").status_code == 200
    assert_envelope(sup.post(f"{url}/ack"), 409)
    assert_envelope(sup.post(f"{url}/close", json={}), 422)
    assert_envelope(sup.post(f"{url}/notes", json={"note": {"$ne": None}}), 422)


def test_two_supervisors_acknowledging_at_once_one_wins(app, users, db):
    a, b = users.supervisor("330100"), users.supervisor("330100")
    ev = event(app)
    with app.app_context():
        doc = supervision_events.get(ev["_id"])
    first = a.post(f"{EVENTS}/{ev['_id']}/ack")
    assert first.status_code == 200
    # b read the event before a's write landed: its CAS on (state, version) finds nothing.
    from app.accounts.auth import Principal
    from app.cases import engine
    from app.http.errors import Conflict

    with app.test_request_context():
        principal = Principal.from_document(db.users.find_one({"_id": ObjectId(b.id)}))
        try:
            engine.fire("supervision_event", doc["_id"], "acknowledge", principal, case=doc)
            raise AssertionError("the stale acknowledgement should have lost")
        except Conflict:
            pass
    assert db.supervision_events.find_one({"_id": ev["_id"]})["version"] == 2


def test_only_supervisors_use_the_feed(app, users, anon):
    assert_envelope(anon.get(FEED), 401)
    assert_envelope(users.resident().get(FEED), 403)
    assert_envelope(users.staff().get(FEED), 403)
    ev = event(app)
    assert_envelope(users.staff().post(f"{EVENTS}/{ev['_id']}/ack"), 403)


def test_public_report_about_a_department_raises_an_event(app, users, db):
    sup = users.supervisor("330100")
    users.staff(department="AMR-330100")  # creates the department
    resident = users.resident()
    response = resident.post(
        "/api/v1/supervision/reports",
        json={"department": "AMR-330100", "description": "The window was closed at 10am."},
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["type"] == "public_report" and body["state"] == "open"
    assert body["subject"] == {"kind": "department", "id": "AMR-330100", "tracking_no": None}
    assert body["region"] == "330100" and body["department"] == "AMR-330100"
    assert "reporter_id" not in body and resident.id not in str(body)
    # Reports are never deduplicated: a second one is a second event.
    resident.post(
        "/api/v1/supervision/reports",
        json={"department": "AMR-330100", "description": "Closed again the next day."},
    )
    assert [e["type"] for e in sup.get(FEED).get_json()["items"]] == ["public_report"] * 2
    stored = db.supervision_events.find_one({"_id": ObjectId(body["id"])})
    assert str(stored["reporter_id"]) == resident.id


def test_public_report_about_my_application_lands_in_its_region(app, users, db):
    resident = users.resident()
    other = users.resident()
    mine = case(app, region="330122", department="AMR-330122", applicant_id=ObjectId(resident.id))
    response = resident.post(
        "/api/v1/supervision/reports",
        json={"related_application_id": str(mine["_id"]), "description": "Asked to come thrice."},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["subject"]["tracking_no"] == mine["tracking_no"]
    assert body["region"] == "330122" and body["department"] == "AMR-330122"
    refused = other.post(
        "/api/v1/supervision/reports",
        json={"related_application_id": str(mine["_id"]), "description": "Not my application."},
    )
    assert "related_application_id" in assert_envelope(refused, 422)["errors"]
    assert db.supervision_events.count_documents({}) == 1


def test_public_reports_are_validated_and_rate_limited(app, users, db, anon):
    resident = users.resident()
    url = "/api/v1/supervision/reports"
    assert_envelope(anon.post(url, json={"description": "Something is wrong here."}), 401)
    assert_envelope(resident.post(url, json={"description": "short"}), 422)
    assert_envelope(resident.post(url, json={"description": "x" * 20, "extra": 1}), 422)
    unknown = resident.post(url, json={"department": "NOPE", "description": "x" * 20})
    assert "department" in assert_envelope(unknown, 422)["errors"]
    assert db.supervision_events.count_documents({}) == 0


@pytest.mark.parametrize("settings_overrides", [{"report_limit_user": "2/3600"}])
def test_public_reports_are_rate_limited_per_user(app, users, db):
    resident, neighbour = users.resident(), users.resident()
    url = "/api/v1/supervision/reports"
    body = {"region": "330100", "description": "The office ignores my calls."}
    users.supervisor("330100")  # makes the regions exist
    assert resident.post(url, json=body).status_code == 201
    assert resident.post(url, json=body).status_code == 201
    limited = resident.post(url, json=body)
    assert_envelope(limited, 429)
    assert int(limited.headers["Retry-After"]) > 0
    assert neighbour.post(url, json=body).status_code == 201  # per user, not global
    assert db.supervision_events.count_documents({}) == 3


def _feed_reads(tally) -> list[dict]:
    """The filters (without the _id range) of the feed's reads of events a tally kept."""
    return [
        {k: v for k, v in command["filter"].items() if k != "_id"}
        for command in tally.sent or []
        if command["name"] == "find"
        and command.get("find") == "supervision_events"
        and "region_path" in command.get("filter", {})
    ]


def test_a_feed_shorter_than_a_page_is_one_read_whatever_its_tail(app, users, db):
    from app.db import counting_commands

    sup = users.supervisor("330100")
    assert _ids(sup.get(FEED)) == []  # no event, no tail: one open read
    raised = [event(app, region="330122", department="AMR-330122") for _ in range(3)]
    expected = [str(e["_id"]) for e in reversed(raised)]
    # The relay recorded where each region of the events' paths begins.
    tails = {doc["_id"]: doc["at"] for doc in db.feed_tails.find()}
    assert set(tails) >= {"330000", "330100", "330122"}
    assert tails["330100"] == raised[0]["_id"].generation_time
    with app.app_context(), counting_commands(keep_commands=True) as tally:
        assert _ids(sup.get(FEED)) == expected
    assert tally.by_command is not None
    # The tail and one read of the events (six reads with every window; the test app's
    # worker pass after the request reads events too, not by region).
    assert _feed_reads(tally) == [{"region_path": "330100"}], tally.by_command
    assert tally.by_command["find feed_tails"] == 1, tally.by_command
    # A tail is a hint only: too recent, too old or gone, the pages are the same.
    too_old = raised[0]["_id"].generation_time.replace(year=2001)
    for at in (raised[-1]["_id"].generation_time, too_old, None):
        if at is None:
            db.feed_tails.delete_many({})
        else:
            db.feed_tails.update_many({}, {"$set": {"at": at}})
        page_cache.forget_all()  # (a shell's write renews no stamp)
        with app.app_context(), counting_commands(keep_commands=True) as tally:
            assert _ids(sup.get(FEED)) == expected
        assert len(_feed_reads(tally)) == (6 if at == too_old else 1)
        first = sup.get(f"{FEED}?limit=2").get_json()
        rest = sup.get(f"{FEED}?limit=2&cursor={first['next_cursor']}").get_json()
        assert [e["id"] for e in first["items"] + rest["items"]] == expected


def test_a_public_report_records_its_regions_tail(app, users, db):
    from app import outbox
    from app.oversight import feed_tails

    with app.app_context():
        doc = {"_id": ObjectId(), "region_path": ["330000", "330100"]}
        outbox.apply_now([feed_tails.entry(doc)])
        at, stamp = feed_tails.tail("330100")
        assert at == doc["_id"].generation_time and stamp is not None
        assert feed_tails.tail("330200") == (None, None)


def _reads_of_events(app, api, path: str = FEED) -> tuple[list[str], int]:
    from app.db import counting_commands

    with app.app_context(), counting_commands(keep_commands=True) as tally:
        ids = _ids(api.get(path))
    return ids, len(_feed_reads(tally))


def test_feed_pages_are_kept_until_their_regions_feed_changes(app, users, db):
    sup = users.supervisor("330100")
    first = event(app, region="330122", department="AMR-330122")
    assert _reads_of_events(app, sup) == ([str(first["_id"])], 1)
    # Read again: the page kept under the region's stamp, no read of the events.
    assert _reads_of_events(app, sup) == ([str(first["_id"])], 0)
    # A filter, a page size or a cursor of its own is a page of its own.
    assert _reads_of_events(app, sup, f"{FEED}?state=open")[1] == 1

    # An event elsewhere leaves this region's pages; one below it renews them.
    event(app, region="330200", department="AMR-330200")
    assert _reads_of_events(app, sup)[1] == 0
    second = event(app, region="330100")
    assert _reads_of_events(app, sup) == ([str(second["_id"]), str(first["_id"])], 1)

    # A follow-up renews them once the relay applied its entry (the Api client drains).
    sup.post(f"{EVENTS}/{first['_id']}/ack")
    listed = sup.get(FEED).get_json()["items"]
    assert [e["state"] for e in listed] == ["open", "acknowledged"]
    assert [e["state"] for e in sup.get(f"{FEED}?state=open").get_json()["items"]] == ["open"]
    # A public report too.
    users.resident().post(
        "/api/v1/supervision/reports",
        json={"region": "330100", "description": "The office ignores my calls."},
    )
    assert len(_reads_of_events(app, sup)[0]) == 3


def test_the_migration_stamps_the_tails_written_before_it(app, users, db):
    from app.platform import migrate

    event(app, region="330122", department="AMR-330122")
    migrate.downgrade(db, 100)
    assert db.feed_tails.count_documents({"stamp": {"$exists": True}}) == 0
    page_cache.forget_all()
    sup = users.supervisor("330100")
    # Without a stamp nothing is kept: every read reads the events.
    assert _reads_of_events(app, sup)[1] == 1
    assert _reads_of_events(app, sup)[1] == 1
    migrate.upgrade(db)
    assert db.feed_tails.count_documents({"stamp": {"$exists": False}}) == 0
    assert _reads_of_events(app, sup)[1] == 1
    assert _reads_of_events(app, sup)[1] == 0


def test_a_dense_feeds_first_window_holds_about_a_page_once_seen(app, users, db):
    """A region raising an event every 4 minutes: the first page's window starts an hour
    back (15 events fetched and sorted for 5); the next first page's holds about a page."""
    from datetime import UTC, datetime, timedelta

    from app.db import counting_commands
    from app.oversight import feed_tails

    raised = [event(app) for _ in range(30)]
    db.supervision_events.delete_many({})
    now = datetime.now(UTC)
    for k, doc in enumerate(raised):
        at = ObjectId.from_datetime(now - timedelta(seconds=240 * k + 5))
        doc["_id"] = ObjectId(at.binary[:4] + ObjectId().binary[4:])
    db.supervision_events.insert_many(raised)
    expected = [doc["_id"] for doc in raised[:5]]

    def first_window() -> datetime:
        with app.app_context(), counting_commands(keep_commands=True) as tally:
            end = feed_tails.tail("330100")[0]
            page = supervision_events.read_feed_page(
                "330100", None, None, None, 5, None, now=now, end=end
            )
        assert [doc["_id"] for doc in page.items] == expected
        (read, *_) = [c for c in tally.sent or [] if c.get("find") == "supervision_events"]
        return read["filter"]["_id"]["$gt"].generation_time

    with app.app_context():
        feed_tails.record(raised)
    assert now - first_window() >= timedelta(minutes=59)
    assert now - first_window() <= timedelta(minutes=25)  # 6 items of 4 minutes
