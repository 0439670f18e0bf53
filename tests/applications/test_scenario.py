"""One company set-up, end to end, across National Day 2026: submitted on the last working
day before the holiday, reviewed by AMR, TAX and SI in parallel with one supplement round
returned on the adjusted working Saturday (10 October), completed with the business licence
in the enterprise's wallet. Times below are Hangzhou local time (UTC+8)."""

from datetime import UTC, datetime

import pytest
from bson import ObjectId

from app import clock
from tests.applications.world import APPS
from tests.files import upload_id


def at(day: int, hour: int, minute: int = 0, month: int = 10) -> datetime:
    """Hangzhou local time on 2026-MONTH-DAY, as UTC."""
    return datetime(2026, month, day, hour - 8, minute, tzinfo=UTC)


@pytest.mark.frozen(at(30, 10, month=9))  # Wednesday 30 September, 10:00
def test_company_setup_through_three_departments_across_national_day(world, db):
    applicant, staff = world.applicant, world.staff

    # Submitted on the morning before the holiday.
    case = world.submit()
    assert case["status"] == "submitted"
    assert case["tracking_no"].startswith("ZJ20260930")

    # Accepted at 16:00: one working day of 24 working hours: 8 left on 30 Sep, the week of
    # 1-7 Oct is a public holiday, the other 16 on Thursday 8 Oct → due 8 Oct 16:00.
    clock.freeze(at(30, 16, month=9))
    case = world.ok("amr_window", case, "accept")
    assert case["due_at"] == "2026-10-08T08:00:00.000Z"
    stored = world.stored(case)
    # The 80 % warning: 19.2 working hours after acceptance → 8 Oct 11:12.
    assert stored["warn_at"] == at(8, 11, 12)
    assert stored["overdue_at"] == at(8, 16)

    # 8 Oct 09:00: TAX approves its task; the other two are pending.
    clock.freeze(at(8, 9))
    case = world.ok("tax", case, "reviews/TAX-330100", {"decision": "approve", "opinion": "OK"})
    assert case["status"] == "in_review"

    # 8 Oct 10:00: SI needs the articles signed: the clock pauses with 6 hours left.
    clock.freeze(at(8, 10))
    case = world.ok(
        "si",
        case,
        "request-supplement",
        {"materials": ["articles"], "reason": "Articles must be signed by all shareholders"},
    )
    assert case["status"] == "needs_supplement"
    assert world.stored(case)["warn_at"] is None
    seen_by_owner = applicant.get(f"{APPS}/{case['id']}").get_json()
    assert seen_by_owner["supplement_request"]["materials"] == ["articles"]
    assert staff["si"].get("/api/v1/staff/inbox?kind=review").get_json()["items"] == []

    # Saturday 10 Oct 10:00, an adjusted working day: the applicant hands the articles in.
    # Paused working time: 14 h on 8 Oct + 24 h on 9 Oct + 10 h on 10 Oct = 48 h, so the 6 h
    # left run from 10:00 to 16:00 the same Saturday (a plain weekend would push to Monday).
    clock.freeze(at(10, 10))
    signed = upload_id(applicant)
    response = applicant.post(
        f"{APPS}/{case['id']}/supplements",
        json={"materials": [{"key": "articles", "attachment_id": signed}], "note": "Signed"},
        headers={"If-Match": f'"v{case["version"]}"'},
    )
    assert response.status_code == 200, response.get_json()
    case = response.get_json()
    assert case["status"] == "in_review"
    assert case["due_at"] == "2026-10-10T08:00:00.000Z"
    assert case["overdue"] is False
    stored = world.stored(case)
    assert stored["warn_at"] == at(10, 11, 12)  # the warning point moved by the same 48 h
    assert stored["overdue_at"] == at(10, 16)
    inbox = staff["si"].get("/api/v1/staff/inbox?kind=review").get_json()["items"]
    assert [i["id"] for i in inbox] == [case["id"]]

    # 11:00: SI checks the legal representative's ID card from the wallet, then approves;
    # 11:30: AMR approves → approved.
    clock.freeze(at(10, 11))
    certificate = staff["si"].get(f"{APPS}/{case['id']}/materials/legal_rep_id/certificate")
    assert certificate.status_code == 200
    case = world.ok("si", case, "reviews/SI-330100", {"decision": "approve"})
    clock.freeze(at(10, 11, 30))
    case = world.ok("amr_head", case, "reviews/AMR-330100", {"decision": "approve"})
    assert case["status"] == "approved"

    # 15:00: AMR completes, on time; the business licence goes into the wallet.
    clock.freeze(at(10, 15))
    case = world.ok("amr_head", case, "complete")
    assert case["status"] == "completed"
    assert case["completed_at"] == "2026-10-10T07:00:00.000Z"
    assert case["overdue"] is False
    licence = db.certificates.find_one({"_id": ObjectId(case["certificate_id"])})
    assert licence["type"] == "business_licence"
    assert licence["holder_id"] == applicant.user["_id"]
    assert licence["issued_at"] == at(10, 15)
    wallet = applicant.get("/api/v1/me/certificates").get_json()["items"]
    assert [(c["type"], c["id"]) for c in wallet] == [
        ("business_licence", case["certificate_id"]),
        ("resident_id_card", world.id_card),
    ]
    assert wallet[0]["source"]["tracking_no"] == case["tracking_no"]
    assert wallet[0]["issuer"] == "AMR-330100"

    # The timeline tells the whole story, in order.
    steps = [(e["action"], e["from_status"], e["to_status"]) for e in case["timeline"]]
    assert steps == [
        ("submit", None, "submitted"),
        ("accept", "submitted", "in_review"),
        ("review", "in_review", "in_review"),
        ("request_supplement", "in_review", "needs_supplement"),
        ("supplement", "needs_supplement", "in_review"),
        ("review", "in_review", "in_review"),
        ("review", "in_review", "approved"),
        ("complete", "approved", "completed"),
    ]
    assert [e["actor"]["department"] for e in case["timeline"][1:4]] == [
        "AMR-330100",
        "TAX-330100",
        "SI-330100",
    ]
    assert case["timeline"][3]["note"] == "Articles must be signed by all shareholders"
    # Eight commands, eight versions: the certificate is issued in the completing write.
    assert case["version"] == 8

    # The audit log has every transition, with before/after and the acting user.
    audit = list(db.audit.find({"subject.id": case["id"]}).sort("_id"))
    assert [a["action"] for a in audit] == [
        "application.submit",
        "application.accept",
        "application.review",
        "application.request_supplement",
        "application.supplement",
        "application.review",
        "application.review",
        "application.complete",
    ]
    assert audit[1]["actor"]["id"] == staff["amr_window"].id
    assert audit[1]["before"] == {"status": "submitted", "version": 1}
    assert audit[1]["after"] == {"status": "in_review", "version": 2}
    assert all(a["request_id"] for a in audit)
    assert (
        db.audit.count_documents({"action": "certificate.issue", "subject.id": str(licence["_id"])})
        == 1
    )

    # The holder sees who read the ID card, when, for which case.
    log = applicant.get(f"/api/v1/me/certificates/{world.id_card}/access-log").get_json()
    assert [
        (r["reader"]["department"], r["at"], r["case"]["tracking_no"]) for r in log["items"]
    ] == [("SI-330100", "2026-10-10T03:00:00.000Z", case["tracking_no"])]

    # The applicant was told at every step.
    notes = db.notifications.find({"user_id": applicant.user["_id"]}).sort("_id")
    assert [n["kind"] for n in notes] == [
        "application.submit",
        "application.accept",
        "application.request_supplement",
        "application.supplement",
        "application.approved",
        "application.complete",
    ]

    # KPIs: received and completed online, on time; 14 + 24 + 24 + 15 = 77 working hours
    # from submission (the holiday week counts for nothing).
    counters = db.kpi_daily.find_one({"_id": "AMR-330100|2026-10-10"})["m"]
    assert counters["applications_completed"] == 1
    assert counters["completed_online"] == 1
    assert counters["completed_on_time"] == 1
    assert counters["processing_hours_sum"] == pytest.approx(77.0)
    assert counters["processing_hours_hist"] == {"le_96": 1}
    received = db.kpi_daily.find_one({"_id": "AMR-330100|2026-09-30"})["m"]
    assert received["applications_received"] == 1

    # Finally the applicant rates the service.
    rated = applicant.post(f"{APPS}/{case['id']}/rating", json={"score": 5, "comment": "Fast"})
    assert rated.status_code == 201
    assert rated.get_json()["rating"]["score"] == 5
