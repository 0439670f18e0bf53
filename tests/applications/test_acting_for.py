"""Acting for someone else (API.md "Verifiable e-certificates and acting for someone else"):
delegations with a scope, items and an expiry, the On-Behalf-Of header on the calls the
contract names, revocation at once, grants that wait for an account, and dependants acted for
by their guardian."""

from __future__ import annotations

from datetime import timedelta

import pytest
from bson import ObjectId

from app import clock
from app.accounts.identity import _resident_id_check_char
from app.wallet import certificates
from tests.applications.world import APPS, build_world
from tests.conftest import PASSWORD, Api, assert_envelope, next_phone
from tests.matters import store_matter

DELEGATIONS = "/api/v1/me/delegations"
WALLET = "/api/v1/me/certificates"


@pytest.fixture(autouse=True)
def _thaw():
    yield
    clock.unfreeze()


@pytest.fixture
def world(app, db, users):
    return build_world(app, db, users)


def resident_id(birth: str, serial: str = "001") -> str:
    first17 = "330106" + birth + serial
    return first17 + _resident_id_check_char(first17)


def delegate(grantor: Api, grantee_phone: str, scope: str = "apply", **extra):
    expires = clock.iso(clock.now() + timedelta(days=30))
    body = {"grantee_phone": grantee_phone, "scope": scope, "expires_at": expires, **extra}
    response = grantor.post(DELEGATIONS, json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def on_behalf(of: Api | str) -> dict[str, str]:
    return {"On-Behalf-Of": of if isinstance(of, str) else of.id}


def test_a_grantee_applies_for_the_grantor_and_the_timeline_names_both(world, users, db):
    grantor, grantee = world.applicant, users.resident(name="Li Na")
    grant = delegate(grantor, grantee.user["phone"])
    assert grant["status"] == "live" and grant["direction"] == "granted"
    assert grant["grantee_phone"] != grantee.user["phone"]  # masked
    response = grantee.post(APPS, json=world.body(), headers=on_behalf(grantor))
    assert response.status_code == 201, response.get_json()
    case = response.get_json()
    stored = world.stored(case)
    assert str(stored["applicant_id"]) == grantor.id
    assert stored["applicant"]["name"] == "Qiantang Software Ltd"
    first = stored["timeline"][0]
    assert first["actor"]["id"] == grantee.id and first["on_behalf_of"]["id"] == grantor.id
    shown = case["timeline"][0]
    assert shown["actor"]["id"] == grantee.id and shown["on_behalf_of"]["id"] == grantor.id
    audit = db.audit.find_one({"action": "application.submit", "subject.id": case["id"]})
    assert audit["actor"]["id"] == grantee.id and audit["actor"]["on_behalf_of"] == grantor.id
    # The grantor owns it; the grantee sees it only when acting for the grantor.
    assert [a["id"] for a in grantor.get(APPS).get_json()["items"]] == [case["id"]]
    assert grantee.get(APPS).get_json()["items"] == []
    acting = grantee.get(APPS, headers=on_behalf(grantor)).get_json()["items"]
    assert [a["id"] for a in acting] == [case["id"]]
    assert grantee.get(f"{APPS}/{case['id']}", headers=on_behalf(grantor)).status_code == 200
    assert_envelope(grantee.get(f"{APPS}/{case['id']}"), 404)
    received = grantee.get(DELEGATIONS).get_json()["items"]
    assert received[0]["direction"] == "received" and received[0]["grantor"]["id"] == grantor.id


def test_without_a_live_grant_the_header_answers_403(world, users):
    grantor, stranger = world.applicant, users.resident()
    assert_envelope(stranger.post(APPS, json=world.body(), headers=on_behalf(grantor)), 403)
    assert_envelope(stranger.get(APPS, headers=on_behalf(grantor)), 403)
    assert_envelope(stranger.get(APPS, headers=on_behalf("not-an-id")), 403)
    assert_envelope(stranger.get(APPS, headers=on_behalf(str(ObjectId()))), 403)
    assert world.db.applications.count_documents({}) == 0


def test_revocation_takes_effect_at_once(world, users, db):
    grantor, grantee = world.applicant, users.resident()
    grant = delegate(grantor, grantee.user["phone"])
    assert grantee.get(APPS, headers=on_behalf(grantor)).status_code == 200
    assert grantor.delete(f"{DELEGATIONS}/{grant['id']}").status_code == 204
    assert_envelope(grantee.get(APPS, headers=on_behalf(grantor)), 403)
    assert_envelope(grantee.post(APPS, json=world.body(), headers=on_behalf(grantor)), 403)
    listed = grantor.get(DELEGATIONS).get_json()["items"][0]
    assert listed["status"] == "revoked"
    assert_envelope(users.resident().delete(f"{DELEGATIONS}/{grant['id']}"), 404)
    actions = [a["action"] for a in db.audit.find({"subject.id": grant["id"]}).sort("seq", 1)]
    assert actions == ["delegation.grant", "delegation.revoke"]


def test_a_delegation_used_after_its_expiry_is_refused(world, users):
    grantor, grantee = world.applicant, users.resident()
    grant = delegate(grantor, grantee.user["phone"])
    assert grantee.get(APPS, headers=on_behalf(grantor)).status_code == 200
    clock.freeze(clock.now() + timedelta(days=31))
    assert_envelope(grantee.post(APPS, json=world.body(), headers=on_behalf(grantor)), 403)
    clock.unfreeze()
    assert grantor.get(DELEGATIONS).get_json()["items"][0]["id"] == grant["id"]


def test_a_grantee_reaching_beyond_its_scope(world, users, db):
    grantor, grantee = world.applicant, users.resident()
    delegate(grantor, grantee.user["phone"], "apply")
    # apply: no wallet.
    assert_envelope(grantee.get(WALLET, headers=on_behalf(grantor)), 403)
    assert_envelope(grantee.get(f"{WALLET}/{world.id_card}", headers=on_behalf(grantor)), 403)
    # apply_and_wallet: the grantor's wallet, read-only through the contract's calls.
    wallet_grantee = users.resident()
    delegate(grantor, wallet_grantee.user["phone"], "apply_and_wallet")
    seen = wallet_grantee.get(WALLET, headers=on_behalf(grantor)).get_json()["items"]
    assert [c["id"] for c in seen] == [world.id_card]
    # Items: a grant for another service item neither files nor shows this one.
    other = store_matter(db, code="ZJ-OTHER-ITEM")
    limited = users.resident()
    delegate(grantor, limited.user["phone"], "apply", matters=[other["code"]])
    assert_envelope(limited.post(APPS, json=world.body(), headers=on_behalf(grantor)), 403)
    case = world.submit()  # the grantor's own
    assert limited.get(APPS, headers=on_behalf(grantor)).get_json()["items"] == []
    assert_envelope(limited.get(f"{APPS}/{case['id']}", headers=on_behalf(grantor)), 404)
    # Staff never act on behalf of anyone.
    staff = world.staff["amr_window"]
    assert_envelope(staff.get(f"{APPS}/{case['id']}", headers=on_behalf(grantor)), 403)


def test_the_grantee_supplements_and_rates_for_the_grantor(world, users):
    grantor, grantee = world.applicant, users.resident()
    delegate(grantor, grantee.user["phone"])
    case = grantee.post(APPS, json=world.body(), headers=on_behalf(grantor)).get_json()
    world.ok("amr_window", case, "reject", {"reason": "Incomplete articles."})
    rated = grantee.post(
        f"{APPS}/{case['id']}/rating", json={"score": 4}, headers=on_behalf(grantor)
    )
    assert rated.status_code == 201, rated.get_json()
    last = rated.get_json()["timeline"][-1]
    assert last["actor"]["id"] == grantee.id and last["on_behalf_of"]["id"] == grantor.id
    other = grantee.post(APPS, json=world.body(), headers=on_behalf(grantor)).get_json()
    world.accept(other)
    world.ok("amr_head", other, "request-supplement", {"materials": ["articles"], "reason": "x"})
    supplied = grantee.post(
        f"{APPS}/{other['id']}/supplements",
        json={"materials": [{"key": "articles", "attachment_id": world.articles}]},
        headers=on_behalf(grantor),
    )
    assert supplied.status_code == 200, supplied.get_json()
    last = supplied.get_json()["timeline"][-1]
    assert last["action"] == "supplement" and last["on_behalf_of"]["id"] == grantor.id


def test_a_grant_to_a_phone_without_an_account_waits_for_that_account(world, client):
    grantor = world.applicant
    phone = next_phone()
    delegate(grantor, phone)
    registered = client.post(
        "/api/v1/auth/register",
        json={"phone": phone, "password": PASSWORD, "name": "Later", "kind": "person"},
    )
    assert registered.status_code == 201, registered.get_json()
    token = client.post(
        "/api/v1/auth/login", json={"phone": phone, "password": PASSWORD}
    ).get_json()["access_token"]
    newcomer = Api(client, token, registered.get_json())
    assert newcomer.get(APPS, headers=on_behalf(grantor)).status_code == 200
    assert newcomer.get(DELEGATIONS).get_json()["items"][0]["direction"] == "received"


def test_delegation_input_is_checked(world, users):
    grantor = world.applicant
    past = clock.iso(clock.now() - timedelta(days=1))
    for body, field in (
        ({"grantee_phone": "123", "scope": "apply", "expires_at": past}, "grantee_phone"),
        ({"grantee_phone": next_phone(), "scope": "all", "expires_at": past}, "scope"),
        ({"grantee_phone": next_phone(), "scope": "apply", "expires_at": past}, "expires_at"),
        (
            {
                "grantee_phone": grantor.user["phone"],
                "scope": "apply",
                "expires_at": clock.iso(clock.now() + timedelta(days=1)),
            },
            "grantee_phone",
        ),
        (
            {
                "grantee_phone": next_phone(),
                "scope": "apply",
                "matters": ["NO-SUCH"],
                "expires_at": clock.iso(clock.now() + timedelta(days=1)),
            },
            "matters",
        ),
    ):
        body_ = assert_envelope(grantor.post(DELEGATIONS, json=body), 422)
        assert field in str(body_["errors"]), body_
    assert_envelope(world.staff["amr_window"].post(DELEGATIONS, json={}), 403)


def test_a_guardian_registers_a_minor_and_acts_for_them(app, world, users, db):
    guardian = users.resident(name="Wang Fang")
    child_id = resident_id("20150601")
    made = guardian.post("/api/v1/me/dependants", json={"name": "Wang Xiao", "id_number": child_id})
    assert made.status_code == 201, made.get_json()
    child = made.get_json()
    assert child["birth_date"] == "2015-06-01" and child["id_number"] != child_id
    assert_envelope(
        guardian.post("/api/v1/me/dependants", json={"name": "Again", "id_number": child_id}),
        409,
    )
    assert [d["id"] for d in guardian.get("/api/v1/me/dependants").get_json()["items"]] == [
        child["id"]
    ]
    with app.app_context():
        cert = certificates.issue(
            ObjectId(child["id"]), "Wang Xiao", "household_register", "PSB-330100", {}, None
        )
    seen = guardian.get(WALLET, headers=on_behalf(child["id"])).get_json()["items"]
    assert [c["id"] for c in seen] == [str(cert["_id"])]
    assert guardian.get(APPS, headers=on_behalf(child["id"])).status_code == 200
    # Nobody else acts for the child.
    assert_envelope(users.resident().get(WALLET, headers=on_behalf(child["id"])), 403)


def test_a_dependant_must_be_a_minor_with_a_valid_id_number(users):
    guardian = users.resident()
    bad_checksum = resident_id("20150601")[:-1] + (
        "0" if resident_id("20150601")[-1] != "0" else "1"
    )
    for id_number in (bad_checksum, resident_id("19900101"), "33010620150601001"):
        response = guardian.post(
            "/api/v1/me/dependants", json={"name": "Child", "id_number": id_number}
        )
        assert_envelope(response, 422)


def test_both_names_in_a_delegated_case_are_masked_by_role(world, users):
    grantor, grantee = world.applicant, users.resident(name="Li Na")
    delegate(grantor, grantee.user["phone"])
    case = grantee.post(APPS, json=world.body(), headers=on_behalf(grantor)).get_json()
    own = grantor.get(f"{APPS}/{case['id']}").get_json()["timeline"][0]
    assert own["on_behalf_of"]["name"] == "Qiantang Software Ltd"  # the grantor, themselves
    assert own["actor"]["name"] != "Li Na" and own["actor"]["name"].startswith("L")
    staff = world.staff["amr_window"].get(f"{APPS}/{case['id']}").get_json()["timeline"][0]
    assert "Li Na" not in str(staff) and "Qiantang Software Ltd" not in str(staff)
    supervisor = users.supervisor().get(f"{APPS}/{case['id']}").get_json()
    assert "Li Na" not in str(supervisor["timeline"])
    mine = grantee.get(f"{APPS}/{case['id']}", headers=on_behalf(grantor)).get_json()
    assert mine["timeline"][0]["actor"]["name"] == "Li Na"  # the grantee, themselves
