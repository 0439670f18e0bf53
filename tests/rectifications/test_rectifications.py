"""Good or bad, answered: a bad rating opens a rectification the lead department's heads
answer (call back, resolve) or appeal; the applicant may rate once more after it is resolved;
an upheld appeal takes the rating out of the KPIs, and `kpi rebuild` agrees."""

import threading
from datetime import UTC, datetime, timedelta

from bson import ObjectId

from app import clock
from app.oversight import kpi_rebuild, sla_sweep
from tests.conftest import assert_envelope, drain

APPS = "/api/v1/applications"
RECT = "/api/v1/rectifications"


def _completed(world):
    """An application received at the AMR window, approved and completed (a final state)."""
    case = world.approve_all(world.accept(world.submit()))
    return world.ok("amr_head", case, "complete")


def _rate(world, case, body, status=201):
    response = world.applicant.post(f"{APPS}/{case['id']}/rating", json=body)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def _bad(world, body=None):
    case = _completed(world)
    rated = _rate(world, case, body or {"score": 1, "comment": "跑了两趟", "target": "window"})
    drain(world.app)
    rid = rated["rating"]["rectification_id"]
    return case, rid


def _kpi_agrees_with_rebuild(world, department="AMR-330100"):
    drain(world.app)
    recorded = world.kpi(department)
    with world.app.app_context():
        kpi_rebuild.rebuild()
    rebuilt = world.kpi(department)
    keys = set(recorded) | set(rebuilt)
    for key in keys:
        a, b = recorded.get(key, 0), rebuilt.get(key, 0)
        if isinstance(a, dict) or isinstance(b, dict):
            continue
        assert abs(a - b) < 1e-6, (key, a, b)
    return rebuilt


def test_a_bad_rating_naming_the_window_opens_a_rectification_due_in_five_working_days(world, db):
    case, rid = _bad(world)
    stored = db.rectifications.find_one({"_id": ObjectId(rid)})
    assert stored["status"] == "open"
    assert stored["application_id"] == ObjectId(case["id"])
    assert stored["due_at"].replace(tzinfo=UTC) == datetime(2026, 11, 9, 2, 0, tzinfo=UTC)
    assert stored["rating"]["window"]["department"] == "AMR-330100"
    counters = world.kpi()
    assert counters["bad_ratings"] == 1 and counters["rectifications_opened"] == 1
    notes = db.notifications.find({"user_id": ObjectId(world.applicant.user["_id"])})
    assert "rectification.open" in {n["kind"] for n in notes}
    # The heads' inbox lists it; a window clerk without the head duty sees nothing.
    page = world.staff["amr_head"].get("/api/v1/staff/inbox?kind=rectification").get_json()
    assert [item["id"] for item in page["items"]] == [rid]
    assert page["items"][0]["kind"] == "rectification"
    clerk = world.staff["amr_window"].get("/api/v1/staff/inbox?kind=rectification").get_json()
    assert clerk["items"] == []


def test_a_rating_may_name_a_staff_member_of_the_case_only(world, db, users):
    case = _completed(world)
    clerk_id = world.staff["amr_window"].user["_id"]
    stranger = users.staff("AMR-330100", ("window",)).user["_id"]
    for bad in (
        {"score": 4, "target": "staff"},
        {"score": 4, "target": "staff", "staff_id": str(stranger)},
        {"score": 4, "target": "staff", "staff_id": {"$ne": None}},
        {"score": 4, "target": "boss"},
        {"score": 4, "tags": ["x" * 33]},
        {"score": 4, "tags": ["ok"] * 11},
    ):
        assert_envelope(world.applicant.post(f"{APPS}/{case['id']}/rating", json=bad), 422)
    assert db.applications.find_one({"_id": ObjectId(case["id"])})["rating"] is None
    rated = _rate(world, case, {"score": 5, "target": "staff", "staff_id": str(clerk_id)})
    assert rated["rating"]["staff"]["id"] == str(clerk_id)
    assert rated["rating"]["rectification_id"] is None
    drain(world.app)
    assert db.rectifications.count_documents({}) == 0


def test_callback_resolve_then_one_second_rating(world, db, users):
    case, rid = _bad(world)
    head = world.staff["amr_head"]
    # Not before the rectification is resolved.
    assert_envelope(world.applicant.post(f"{APPS}/{case['id']}/rating", json={"score": 5}), 409)
    # Resolve needs the call back first; the window clerk is no head.
    assert_envelope(head.post(f"{RECT}/{rid}/resolve", json={"action_taken": "fixed"}), 409)
    assert_envelope(
        world.staff["amr_window"].post(f"{RECT}/{rid}/callback", json={"note": "n"}), 403
    )
    assert_envelope(head.post(f"{RECT}/{rid}/callback", json={"note": {"$ne": None}}), 422)
    called = head.post(f"{RECT}/{rid}/callback", json={"note": "电话回访"})
    assert called.status_code == 200 and called.get_json()["status"] == "called_back"
    resolved = head.post(f"{RECT}/{rid}/resolve", json={"action_taken": "窗口已整改"})
    assert resolved.status_code == 200
    body = resolved.get_json()
    assert body["status"] == "resolved" and body["resolution"]["action_taken"] == "窗口已整改"
    drain(world.app)
    assert head.get("/api/v1/staff/inbox?kind=rectification").get_json()["items"] == []
    second = _rate(world, case, {"score": 4, "comment": "改好了"})
    assert second["rating"]["score"] == 4 and second["rating"]["round"] == 2
    assert_envelope(world.applicant.post(f"{APPS}/{case['id']}/rating", json={"score": 5}), 409)
    counters = _kpi_agrees_with_rebuild(world)
    # The re-rating replaced the first in the KPIs.
    assert counters["ratings"] == 1 and counters.get("bad_ratings", 0) == 0
    assert counters["ratings_satisfied"] == 1
    assert counters["rectifications_resolved"] == 1 and counters["rectifications_on_time"] == 1
    stats = users.supervisor("330100").get("/api/v1/stats/overview?department=AMR-330100")
    body = stats.get_json()
    assert body["rectification_rate"] == 1.0 and body["rectification_on_time_rate"] == 1.0
    assert body["avg_rectification_hours"] is not None
    actions = [a["action"] for a in db.audit.find({"subject.id": rid}).sort("seq", 1)]
    assert actions == ["rectification.submit", "rectification.callback", "rectification.resolve"]
    kinds = {n["kind"] for n in db.notifications.find({})}
    assert {"rectification.callback", "rectification.resolve"} <= kinds


def test_an_upheld_appeal_takes_the_rating_out_of_the_kpis_and_rebuild_agrees(world, db, users):
    case, rid = _bad(world)
    head = world.staff["amr_head"]
    before = world.kpi()
    assert before["ratings"] == 1 and before["bad_ratings"] == 1
    appealed = head.post(f"{RECT}/{rid}/appeal", json={"reason": "与服务无关"})
    assert appealed.status_code == 200 and appealed.get_json()["status"] == "appealed"
    assert_envelope(head.post(f"{RECT}/{rid}/appeal", json={"reason": "again"}), 409)
    # Only a supervisor of the region decides.
    decision = {"upheld": True, "note": "经核实与服务无关"}
    assert_envelope(head.post(f"{RECT}/{rid}/appeal/decision", json=decision), 403)
    other = users.supervisor("330200")
    assert_envelope(other.post(f"{RECT}/{rid}/appeal/decision", json=decision), 404)
    supervisor = users.supervisor("330100")
    assert_envelope(
        supervisor.post(f"{RECT}/{rid}/appeal/decision", json={"upheld": "yes", "note": "x"}), 422
    )
    decided = supervisor.post(f"{RECT}/{rid}/appeal/decision", json=decision)
    assert decided.status_code == 200, decided.get_json()
    assert decided.get_json()["status"] == "appeal_upheld"
    assert decided.get_json()["appeal"]["upheld"] is True
    drain(world.app)
    counters = world.kpi()
    assert counters["ratings"] == 0 and counters["bad_ratings"] == 0
    assert counters["appeals_upheld"] == 1
    assert db.applications.find_one({"_id": ObjectId(case["id"])})["rating"]["excluded"] is True
    rebuilt = _kpi_agrees_with_rebuild(world)
    assert rebuilt.get("ratings", 0) == 0 and rebuilt["appeals_upheld"] == 1
    # No re-rating after an upheld appeal (the rectification was not resolved).
    assert_envelope(world.applicant.post(f"{APPS}/{case['id']}/rating", json={"score": 5}), 409)
    stats = supervisor.get("/api/v1/stats/overview?department=AMR-330100").get_json()
    assert stats["appeals_upheld"] == 1 and stats["rectification_rate"] is None


def test_a_rejected_appeal_sends_the_rectification_back(world, users):
    _, rid = _bad(world)
    head = world.staff["amr_head"]
    head.post(f"{RECT}/{rid}/callback", json={"note": "回访"})
    head.post(f"{RECT}/{rid}/appeal", json={"reason": "不公"})
    supervisor = users.supervisor("330100")
    back = supervisor.post(
        f"{RECT}/{rid}/appeal/decision", json={"upheld": False, "note": "评价属实"}
    )
    assert back.status_code == 200 and back.get_json()["status"] == "called_back"
    counters = _kpi_agrees_with_rebuild(world)
    assert counters["bad_ratings"] == 1 and counters.get("appeals_upheld", 0) == 0


def test_who_may_read_a_rectification(world, users):
    _, rid = _bad(world)
    assert world.applicant.get(f"{RECT}/{rid}").status_code == 200
    assert world.staff["amr_window"].get(f"{RECT}/{rid}").status_code == 200
    assert users.supervisor("330100").get(f"{RECT}/{rid}").status_code == 200
    applicant_view = world.applicant.get(f"{RECT}/{rid}").get_json()
    assert applicant_view["rating"]["window"]["name"] is None
    for stranger in (users.resident(), world.staff["tax"], users.supervisor("330200")):
        assert_envelope(stranger.get(f"{RECT}/{rid}"), 404)
    assert_envelope(world.applicant.get(f"{RECT}/{'0' * 24}"), 404)
    assert_envelope(world.applicant.get(f"{RECT}/not-an-id"), 404)
    # Another department's head can neither act on it nor see it.
    other_head = users.staff("TAX-330100", ("reviewer", "head"))
    assert_envelope(other_head.post(f"{RECT}/{rid}/callback", json={"note": "n"}), 404)


def test_an_overdue_rectification_raises_its_supervision_event_once(world, db):
    _, rid = _bad(world)
    with world.app.app_context():
        sla_sweep.sweep(100)
    drain(world.app)
    assert db.supervision_events.count_documents({"type": "rectification_overdue"}) == 0
    clock.advance(timedelta(days=7, hours=1))  # past Monday 2026-11-09 10:00 CST
    with world.app.app_context():
        sla_sweep.sweep(100)
        sla_sweep.sweep(100)
    drain(world.app)
    events = list(db.supervision_events.find({"type": "rectification_overdue"}))
    assert len(events) == 1 and events[0]["subject"]["id"] == rid
    assert events[0]["department"] == "AMR-330100"
    page = world.staff["amr_head"].get("/api/v1/staff/inbox?kind=rectification").get_json()
    assert page["items"][0]["overdue"] is True


def test_rankings_best_first_for_supervisors_and_public_without_names(world, users):
    # AMR: one bad rating at its window, resolved. TAX (no ratings) ranks after it.
    _, rid = _bad(world)
    head = world.staff["amr_head"]
    head.post(f"{RECT}/{rid}/callback", json={"note": "回访"})
    head.post(f"{RECT}/{rid}/resolve", json={"action_taken": "整改"})
    good = _completed(world)
    _rate(world, good, {"score": 5, "target": "window"})
    drain(world.app)
    supervisor = users.supervisor("330100")
    ranked = supervisor.get("/api/v1/stats/rankings?region=330100").get_json()
    assert ranked["by"] == "department"
    first = ranked["items"][0]
    assert first["unit"] == "AMR-330100" and first["rank"] == 1
    assert first["ratings"] == 2 and first["satisfaction_rate"] == 0.5
    assert first["bad_ratings"] == 1 and first["rectification_rate"] == 1.0
    assert all(row["satisfaction_rate"] is None for row in ranked["items"][1:])
    windows = supervisor.get("/api/v1/stats/rankings?region=330100&by=window").get_json()
    assert len(windows["items"]) == 1
    window = windows["items"][0]
    assert window["window"]["department"] == "AMR-330100" and window["ratings"] == 2
    assert window["rectification_rate"] == 1.0
    # Another region's supervisor, a resident: refused; a bad `by`: 422.
    assert_envelope(users.supervisor("330200").get("/api/v1/stats/rankings?region=330100"), 403)
    assert_envelope(world.applicant.get("/api/v1/stats/rankings"), 403)
    assert_envelope(supervisor.get("/api/v1/stats/rankings?by=person"), 422)
    public = world.app.test_client().get(
        "/api/v1/public/stats/rankings?region=330100&month=2026-11"
    )
    assert public.status_code == 200
    body = public.get_json()
    assert body["month"] == "2026-11" and body["items"][0]["unit"] == "AMR-330100"
    assert "window" not in body["items"][0]
    assert "Staff" not in public.get_data(as_text=True)
    for bad in ("2026-13", "2026-1", "x"):
        response = world.app.test_client().get(f"/api/v1/public/stats/rankings?month={bad}")
        assert_envelope(response, 422)
    october = world.app.test_client().get(
        "/api/v1/public/stats/rankings?region=330100&month=2026-10"
    )
    assert all(row["ratings"] == 0 for row in october.get_json()["items"])


def test_two_bad_ratings_at_once_open_one_rectification(world, app, db):
    case = _completed(world)
    barrier = threading.Barrier(2)
    results: list[int] = []

    def race(score: int) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(
            f"{APPS}/{case['id']}/rating",
            json={"score": score},
            headers={"Authorization": f"Bearer {world.applicant.token}"},
        )
        results.append(response.status_code)

    threads = [threading.Thread(target=race, args=(score,)) for score in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [201, 409]
    drain(world.app)
    assert db.rectifications.count_documents({}) == 1
    assert world.kpi()["bad_ratings"] == 1
