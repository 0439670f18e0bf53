"""Personal data in every corner: timelines, the audit log, supervision events, Open311 and
public reports are masked by one policy (app/privacy.py), by who reads; responses that carry
personal data are never cached."""

from __future__ import annotations

from typing import Any

import pytest

from app import clock
from app.privacy import redact_text
from tests.applications.world import APPS, build_world
from tests.complaint_helpers import AMR, HOTLINE, act, file, ok, setup
from tests.conftest import assert_envelope

RESIDENT_ID = "330106199001010018"
PHONE = "13912345678"


@pytest.fixture
def settings_overrides():
    return {"access_token_ttl": 200 * 86400}  # complaint scenarios run on a frozen clock


@pytest.fixture(autouse=True)
def _thaw():
    yield
    clock.unfreeze()


@pytest.fixture
def world(app, db, users):
    return build_world(app, db, users)


def names_in(value: Any) -> list[str]:
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "name" and isinstance(item, str):
                found.append(item)
            else:
                found.extend(names_in(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(names_in(item))
    return found


def test_a_supervisor_reads_timeline_actors_masked_and_staff_see_their_colleagues(world, users):
    case = world.submit()
    window = world.staff["amr_window"]
    accepted = world.act(window, case, "accept").get_json()
    staff_entry = accepted["timeline"][-1]["actor"]
    assert staff_entry["name"] == "Staff"  # the window clerk reads their own name
    supervisor = users.supervisor()
    seen = supervisor.get(f"{APPS}/{case['id']}").get_json()
    actors = [e["actor"] for e in seen["timeline"]]
    assert [a["name"][0] for a in actors] == ["Q", "S"]
    assert all(set(a["name"][1:]) == {"*"} for a in actors)
    colleague = world.staff["amr_head"].get(f"{APPS}/{case['id']}").get_json()
    assert colleague["timeline"][-1]["actor"]["name"] == "Staff"
    assert colleague["timeline"][0]["actor"]["name"].endswith("*")  # the applicant


def test_a_complaint_timeline_read_by_a_supervisor_shows_no_full_name(app, users):
    setup(app)
    resident = users.resident(name="Wang Xiaoming")
    hotline = users.staff(HOTLINE, ("window",), kind="hotline")
    complaint = file(resident)
    ok(act(hotline, complaint, "assign", {"department": AMR}))
    seen = users.supervisor().get(f"/api/v1/complaints/{complaint['id']}").get_json()
    assert "Wang Xiaoming" not in str(seen)
    assert names_in(seen["timeline"]) and all(n.endswith("*") for n in names_in(seen["timeline"]))
    own = resident.get(f"/api/v1/complaints/{complaint['id']}").get_json()
    assert own["timeline"][0]["actor"]["name"] == "Wang Xiaoming"
    assert own["timeline"][-1]["actor"]["name"].endswith("*")  # the hotline clerk, to a resident


def test_the_audit_log_masks_id_numbers_and_phones_in_before_and_after(app, users, db):
    resident = users.resident(name="Li Na")
    response = resident.patch("/api/v1/me", json={"name": "Li Nana"})
    assert response.status_code == 200, response.get_json()
    db.audit.insert_one(
        {
            "at": db.audit.find_one({})["at"],
            "action": "user.update",
            "subject": {"kind": "user", "id": resident.id},
            "actor": {"id": resident.id, "role": "resident"},
            "before": {"id_number": RESIDENT_ID, "phone": PHONE, "password_hash": "$argon2"},
            "after": {"contact": {"address": "浙江省杭州市西湖区文三路 1 号", "phone": PHONE}},
            "detail": {"note": f"call {PHONE}"},
        }
    )
    log = users.admin().get("/api/v1/admin/audit?limit=100")
    assert log.headers["Cache-Control"] == "no-store"
    text = log.get_data(as_text=True)
    for secret in (RESIDENT_ID, PHONE, "文三路", "$argon2", "Li Nana"):
        assert secret not in text
    assert "330106********0018" in text and "139****5678" in text


def test_a_public_report_cannot_reveal_the_tracking_number_of_a_case_its_author_cannot_see(
    world, users, db
):
    case = world.submit()
    other_staff = users.staff("TAX-330200", ("reviewer",), region="330100")
    stranger = users.resident()
    for author in (stranger, other_staff):
        before = db.supervision_events.count_documents({})
        response = author.post(
            "/api/v1/supervision/reports",
            json={"related_application_id": case["id"], "description": "This case is slow."},
        )
        error = assert_envelope(response, 422)
        assert case["tracking_no"] not in str(error)
        assert db.supervision_events.count_documents({}) == before


def test_public_report_text_has_phone_and_id_numbers_redacted_for_supervisors(world, users):
    report = world.applicant.post(
        "/api/v1/supervision/reports",
        json={
            "department": "AMR-330100",
            "description": f"The clerk asked me to call {PHONE} and to bring {RESIDENT_ID}.",
        },
    )
    assert report.status_code == 201, report.get_json()
    assert PHONE not in report.get_data(as_text=True)
    feed = users.supervisor().get("/api/v1/supervision/feed?type=public_report").get_json()
    [event] = feed["items"]
    assert PHONE not in event["description"] and RESIDENT_ID not in event["description"]
    assert event["description"].count("[redacted]") == 2


def test_a_public_report_is_never_published_to_the_public_nor_names_its_reporter(
    world, users, anon
):
    text = "The window clerk at AMR asked for a fee that is not listed."
    report = world.applicant.post(
        "/api/v1/supervision/reports", json={"department": "AMR-330100", "description": text}
    )
    assert report.status_code == 201, report.get_json()
    [event] = users.supervisor().get("/api/v1/supervision/feed").get_json()["items"]
    assert world.applicant.id not in str(event) and "Qiantang" not in str(event)
    assert anon.get("/api/v1/supervision/feed").status_code == 401
    assert world.applicant.get("/api/v1/supervision/feed").status_code == 403
    assert text not in anon.get("/open311/v2/requests.json").get_data(as_text=True)
    assert text not in anon.get("/api/v1/public/stats").get_data(as_text=True)


@pytest.mark.parametrize(
    "text",
    [
        "138 1234 5678",
        "+86-138-1234-5678",
        "１３８１２３４５６７８",
        "0571-87654321",
        "33010619900101001X",
        "91330100MA2H1234X5",
    ],
)
def test_phone_and_id_numbers_are_redacted_in_any_common_writing(text):
    assert redact_text(f"contact {text} please") == "contact [redacted] please"


def test_dates_amounts_and_tracking_numbers_are_not_redacted():
    text = "On 2026-11-02 I paid 1000000 CNY for case A330100-20261102-0001."
    assert redact_text(text) == text


def test_cache_control_no_store_on_personal_responses_and_not_on_the_public_catalogue(world, anon):
    case = world.submit()
    for response in (
        world.applicant.get(f"{APPS}/{case['id']}"),
        world.applicant.get("/api/v1/me"),
        anon.post("/api/v1/auth/login", json={"phone": "13500000000", "password": "x" * 10}),
    ):
        assert response.headers["Cache-Control"] == "no-store"
    # The public catalogue may be kept by shared caches (app/http/api.py public_cache).
    assert anon.get("/api/v1/matters").headers["Cache-Control"].startswith("public")
