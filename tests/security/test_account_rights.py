"""The person's rights over their data (API.md "Personal data"): an admin disables an account
with immediate effect on its live tokens, a person closes their account (anonymised where the
cases stay, removed elsewhere, tokens dead at once), and the worker erases closed complaints'
contact data after the DomainRules retention."""

from __future__ import annotations

from datetime import timedelta

import pytest
from bson import ObjectId

from app import clock
from app.accounts.erasure import ERASED_NAME
from app.messaging.push import LoggingProvider
from app.platform.worker import Worker
from tests.applications.world import APPS, build_world
from tests.complaint_helpers import HOTLINE, MEDIATION, act, dispute_body, ok, setup
from tests.conftest import PASSWORD, assert_envelope


@pytest.fixture(autouse=True)
def _thaw():
    yield
    clock.unfreeze()


def _login(client, phone: str):
    return client.post("/api/v1/auth/login", json={"phone": phone, "password": PASSWORD})


def _audit_actions(db, subject: str) -> list[str]:
    return [a["action"] for a in db.audit.find({"subject.id": subject}).sort("seq", 1)]


def test_a_disabled_users_live_access_and_refresh_tokens_stop_at_once(client, users, db):
    resident = users.resident()
    login = _login(client, resident.user["phone"]).get_json()
    assert resident.get("/api/v1/me").status_code == 200
    admin = users.admin()
    disabled = admin.post(f"/api/v1/admin/users/{resident.id}/disable")
    assert disabled.status_code == 200 and disabled.get_json()["disabled"] is True
    # The access token issued before is still unexpired: it no longer works.
    assert_envelope(resident.get("/api/v1/me"), 401)
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": login["refresh_token"]})
    assert_envelope(refreshed, 401)
    assert_envelope(_login(client, resident.user["phone"]), 401)
    enabled = admin.post(f"/api/v1/admin/users/{resident.id}/enable")
    assert enabled.status_code == 200 and enabled.get_json()["disabled"] is False
    assert _login(client, resident.user["phone"]).status_code == 200
    # Revoked at disabling, the old refresh token stays dead after enabling.
    again = client.post("/api/v1/auth/refresh", json={"refresh_token": login["refresh_token"]})
    assert_envelope(again, 401)
    assert _audit_actions(db, resident.id)[-2:] == ["user.disable", "user.enable"]


def test_only_admins_disable_and_unknown_or_own_ids_are_refused(users, db):
    resident, other = users.resident(), users.resident()
    assert_envelope(resident.post(f"/api/v1/admin/users/{other.id}/disable"), 403)
    admin = users.admin()
    assert_envelope(admin.post(f"/api/v1/admin/users/{ObjectId()}/disable"), 404)
    assert_envelope(admin.post("/api/v1/admin/users/not-an-id/disable"), 404)
    assert_envelope(admin.post(f"/api/v1/admin/users/{admin.id}/disable"), 409)
    assert not db.users.find_one({"_id": ObjectId(other.id)})["disabled"]


def test_an_admin_enabling_their_own_account_is_the_idempotent_no_op(users, db):
    # make fuzz (documented_status_code): enable answered the disable rule's 409, which
    # its responses do not list; only disabling oneself is refused.
    admin = users.admin()
    enabled = admin.post(f"/api/v1/admin/users/{admin.id}/enable")
    assert enabled.status_code == 200 and enabled.get_json()["disabled"] is False
    assert admin.get("/api/v1/me").status_code == 200


@pytest.fixture
def world(app, db, users):
    return build_world(app, db, users)


def test_a_closed_accounts_earlier_case_as_staff_now_see_it(world, client, db, users):
    applicant = world.applicant
    login = _login(client, applicant.user["phone"]).get_json()
    case = world.submit()
    assert db.notifications.count_documents({"user_id": ObjectId(applicant.id)}) >= 1
    grantee = users.resident()
    expires = clock.iso(clock.now() + timedelta(days=5))
    granted = applicant.post(
        "/api/v1/me/delegations",
        json={"grantee_phone": grantee.user["phone"], "scope": "apply", "expires_at": expires},
    )
    assert granted.status_code == 201
    inbox = "/api/v1/staff/inbox?kind=acceptance"
    (listed,) = world.staff["amr_window"].get(inbox).get_json()["items"]  # the page is kept
    assert listed["applicant"]["name"] != ERASED_NAME
    closed = applicant.delete("/api/v1/me")
    assert closed.status_code == 204
    # Tokens die at once: the live access token, the refresh token, the password.
    assert_envelope(applicant.get("/api/v1/me"), 401)
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": login["refresh_token"]})
    assert_envelope(refreshed, 401)
    assert_envelope(_login(client, applicant.user["phone"]), 401)
    # The case stays (the law's retention) without the person in it.
    seen = world.staff["amr_window"].get(f"{APPS}/{case['id']}").get_json()
    assert seen["applicant"]["name"] == ERASED_NAME
    assert seen["applicant"]["phone"] is None and seen["applicant"]["id_number"] is None
    assert "Qian" not in str(seen["timeline"])  # (the company name in the form is no person)
    stored = world.stored(case)
    assert stored["timeline"][0]["actor"]["name"] == ERASED_NAME
    assert "Qiantang Software Ltd" not in str(stored["timeline"])
    assert stored["applicant"]["id_number"] is None and stored["applicant"]["phone"] is None
    # So does the staff inbox's copy of the case (app.cases.inbox_items).
    (item,) = world.staff["amr_window"].get(inbox).get_json()["items"]
    assert item["applicant"]["name"] == ERASED_NAME and item["applicant"]["phone"] is None
    copy = db.inbox_items.find_one({"_id": ObjectId(case["id"])})
    assert copy["applicant"]["name"] == ERASED_NAME
    assert copy["applicant"]["id_number"] is None and copy["applicant"]["phone"] is None
    # The wallet's certificates keep the record of issue, not the name; the inbox is gone.
    cert = db.certificates.find_one({"_id": ObjectId(world.id_card)})
    assert cert["holder_name"] == ERASED_NAME
    assert db.notifications.count_documents({"user_id": ObjectId(applicant.id)}) == 0
    assert db.users.find_one({"_id": ObjectId(applicant.id)}) is None
    assert db.delegations.count_documents({"grantor_id": ObjectId(applicant.id)}) == 0
    on_behalf = {"On-Behalf-Of": applicant.id}
    assert_envelope(grantee.get(APPS, headers=on_behalf), 403)
    assert "user.close" in _audit_actions(db, applicant.id)
    close = db.audit.find_one({"action": "user.close", "subject.id": applicant.id})
    assert applicant.user["phone"] not in str(close) and "Qiantang" not in str(close)
    # The phone number is free again: a new person may register it.
    again = client.post(
        "/api/v1/auth/register",
        json={
            "phone": applicant.user["phone"],
            "password": PASSWORD,
            "name": "Somebody Else",
            "kind": "person",
        },
    )
    assert again.status_code == 201, again.get_json()


def test_staff_and_supervisors_may_not_close_their_account_here(users):
    assert_envelope(users.staff().delete("/api/v1/me"), 403)


@pytest.fixture
def settings_overrides():
    return {"access_token_ttl": 800 * 86400}  # the retention test moves the clock a year on


def test_the_worker_erases_closed_complaints_contact_data_after_the_retention(app, users, db):
    setup(app)
    resident = users.resident()
    hotline = users.staff(HOTLINE, ("window",), kind="hotline")
    mediator = users.staff(MEDIATION, ("reviewer",), kind="mediation")
    admin = users.admin()
    dispute = ok(resident.post("/api/v1/complaints", json=dispute_body()), 201)
    ok(act(hotline, dispute, "assign", {"mediation_org": MEDIATION}))
    ok(act(mediator, dispute, "resolve", {"resolution": "Agreed.", "outcome": "settled"}))
    ok(act(resident, dispute, "confirm"))
    stored = db.complaints.find_one({"_id": ObjectId(dispute["id"])})
    assert stored["status"] == "closed" and stored["parties"][0]["contact"] == "13912345678"
    days = app.extensions["settings"].rules.complaint_contact_retention_days
    assert days == 365
    report = admin.get("/api/v1/admin/retention").get_json()["rules"][0]
    assert report["name"] == "complaint_contact" and report["after_days"] == 365
    assert report["due"] == 0 and report["next_due_at"] is not None
    worker = Worker(app, provider=LoggingProvider())
    assert worker.run_once().retention["complaint_contacts_erased"] == 0

    clock.freeze(stored["closed_at"] + timedelta(days=days, minutes=1))
    assert admin.get("/api/v1/admin/retention").get_json()["rules"][0]["due"] == 1
    assert worker.run_once().retention["complaint_contacts_erased"] == 1
    erased = db.complaints.find_one({"_id": ObjectId(dispute["id"])})
    assert erased["parties"][0]["contact"] is None
    assert "Li Hua" not in str(erased["parties"]) and erased["contact_erased_at"] is not None
    after = admin.get("/api/v1/admin/retention").get_json()["rules"][0]
    assert after["due"] == 0 and after["erased"] == 1
    assert worker.run_once().retention["complaint_contacts_erased"] == 0  # once only
    from tests.conftest import drain

    drain(app)
    assert "complaint.contact_erased" in _audit_actions(db, dispute["id"])


def test_retention_report_is_for_admins(users):
    assert_envelope(users.resident().get("/api/v1/admin/retention"), 403)
