"""Instant approval (秒批): a submission that satisfies its service item's rules is completed
in the same request by the system, with the decision and its inputs recorded; one that does
not goes to review as usual; rule sets are checked when saved; admins test a set without
filing anything."""

from typing import Any

from bson import ObjectId

from app.oversight import kpi_rebuild
from app.wallet import certificates
from tests.applications.world import APPS
from tests.conftest import assert_envelope, drain
from tests.matters import definition

ADMIN_MATTERS = "/api/v1/admin/matters"

# The world's applicant: ID number 330106199001010018 (Xihu district, Hangzhou; born 1990).
APPROVING = {
    "version": 3,
    "rules": [
        {"id": "adult", "fact": "age", "op": "ge", "value": 18},
        {"id": "hangzhou", "fact": "region", "op": "in", "value": ["330100"]},
        {"id": "id_card", "fact": "holds_certificate", "certificate_type": "resident_id_card"},
        {
            "id": "capital",
            "fact": "form",
            "key": "registered_capital",
            "op": "ge",
            "value": 100000,
        },
        {
            "id": "scope",
            "any": [
                {"fact": "form", "key": "business_scope", "op": "eq", "value": "retail"},
                {"fact": "form", "key": "business_scope", "op": "eq", "value": "software"},
            ],
        },
    ],
}


def with_rules(world, auto_approval: dict[str, Any]) -> None:
    world.db.matters.update_one(
        {"_id": world.matter["_id"]}, {"$set": {"auto_approval": auto_approval}}
    )


def test_a_submission_that_satisfies_every_rule_is_completed_in_the_same_request(world, app, db):
    with_rules(world, APPROVING)
    response = world.applicant.post(APPS, json=world.body())
    assert response.status_code == 201, response.get_json()
    case = response.get_json()
    assert case["status"] == "completed"
    assert case["certificate_id"] is not None
    assert case["reviews"] == []
    last = case["timeline"][-1]
    assert last["actor"]["role"] == "system"
    assert (last["action"], last["from_status"], last["to_status"]) == (
        "auto_approve",
        "submitted",
        "completed",
    )
    decision = case["decision"]
    assert decision["mode"] == "automatic"
    assert decision["rules_version"] == 3
    read = {(i["rule"], i["fact"]): i["value"] for i in decision["inputs"]}
    assert read[("adult", "age")] >= 36
    assert read[("hangzhou", "region")] == "330106"
    assert read[("capital", "form.registered_capital")] == 1000000
    # The certificate reaches the wallet through the outbox, and the counters agree with a
    # rebuild from the case documents.
    drain(app)
    wallet = world.applicant.get("/api/v1/me/certificates").get_json()["items"]
    assert case["certificate_id"] in [c["id"] for c in wallet]
    counted = world.kpi()
    assert counted["applications_received"] == 1
    assert counted["applications_completed"] == 1
    assert counted["completed_instantly"] == 1
    before = {d["_id"]: d["m"] for d in db.kpi_daily.find({})}
    with app.app_context():
        kpi_rebuild.rebuild()
    assert {d["_id"]: d["m"] for d in db.kpi_daily.find({})} == before


def test_a_submission_that_fails_a_rule_goes_to_review_as_usual(world, app):
    with_rules(world, APPROVING)
    body = world.body()
    body["form"]["registered_capital"] = 5000
    case = world.applicant.post(APPS, json=body).get_json()
    assert case["status"] == "submitted"
    assert case["decision"] is None
    assert case["certificate_id"] is None
    drain(app)
    assert world.kpi().get("completed_instantly", 0) == 0


def test_a_revoked_certificate_is_no_wallet_fact(world, db):
    with_rules(world, APPROVING)
    db.certificates.update_many({}, {"$set": {"status": "revoked"}})
    # The ID card is also a cited material: cite a file instead so only the rule decides.
    body = world.body()
    body["materials"] = [{"key": "articles", "attachment_id": world.articles}]
    db.matters.update_one({"_id": world.matter["_id"]}, {"$set": {"materials.1.required": False}})
    case = world.applicant.post(APPS, json=body).get_json()
    assert case["status"] == "submitted"


def test_stats_show_the_share_of_instant_approvals(world, app, users):
    with_rules(world, APPROVING)
    world.submit()
    drain(app)
    stats = users.supervisor().get("/api/v1/stats/overview").get_json()
    assert stats["instant_approval_rate"] == 1.0


# ---------------------------------------------------------------- the rule test


def test_admins_see_which_rules_fail_and_why(world, users):
    with_rules(world, APPROVING)
    admin = users.admin()
    path = f"{ADMIN_MATTERS}/ZJ-COMPANY-SETUP/auto-approval/test"
    form = {**world.body()["form"], "registered_capital": 10, "business_scope": "catering"}
    response = admin.post(path, json={"form": form, "applicant_id": world.applicant.id})
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    assert result["approved"] is False
    assert result["rules_version"] == 3
    assert [f["id"] for f in result["failed_rules"]] == ["capital", "scope"]
    assert result["failed_rules"][0]["checks"][0]["reason"] == "the comparison does not hold"
    passing = admin.post(
        path, json={"form": world.body()["form"], "applicant_id": world.applicant.id}
    ).get_json()
    assert passing == {**passing, "approved": True, "failed_rules": []}
    assert world.db.applications.count_documents({}) == 0  # nothing filed


def test_the_rule_test_is_for_admins_and_checks_the_form(world, users):
    with_rules(world, APPROVING)
    path = f"{ADMIN_MATTERS}/ZJ-COMPANY-SETUP/auto-approval/test"
    body = {"form": world.body()["form"], "applicant_id": world.applicant.id}
    assert_envelope(world.applicant.post(path, json=body), 403)
    admin = users.admin()
    bad = admin.post(path, json={**body, "form": {"registered_capital": "a lot"}})
    assert "registered_capital" in assert_envelope(bad, 422)["errors"]["form"]
    nobody = admin.post(path, json={**body, "applicant_id": str(ObjectId())})
    assert "applicant_id" in assert_envelope(nobody, 422)["errors"]
    missing = admin.post(f"{ADMIN_MATTERS}/ZJ-NOTHING/auto-approval/test", json=body)
    assert_envelope(missing, 404)
    injected = admin.post(path, json={**body, "applicant_id": {"$ne": None}})
    assert_envelope(injected, 422)


# ---------------------------------------------------------------- saving a rule set


def test_an_admin_saves_a_rule_set_with_the_service_item(world, users):
    admin = users.admin()
    body = definition(code="ZJ-INSTANT", auto_approval=APPROVING)
    response = admin.post(ADMIN_MATTERS, json=body)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["auto_approval"] == APPROVING
    public = world.applicant.get("/api/v1/matters/ZJ-INSTANT").get_json()
    assert public["auto_approval"] == APPROVING
    plain = world.applicant.get("/api/v1/matters/ZJ-COMPANY-SETUP").get_json()
    assert plain["auto_approval"] is None


def _refused(users, auto_approval: Any) -> dict[str, Any]:
    admin = users.admin()
    response = admin.post(
        ADMIN_MATTERS, json=definition(code="ZJ-BAD", auto_approval=auto_approval)
    )
    body = assert_envelope(response, 422)
    assert admin.get("/api/v1/matters/ZJ-BAD").status_code == 404
    return (
        body["errors"]["json"]["auto_approval"]
        if "json" in body["errors"]
        else body["errors"]["auto_approval"]
    )


def test_a_rule_on_an_unknown_form_field_is_refused(world, users):
    rule = {"id": "r", "fact": "form", "key": "turnover", "op": "ge", "value": 1}
    errors = _refused(users, {"version": 1, "rules": [rule]})
    assert "turnover" in str(errors)


def test_a_rule_with_a_value_of_the_wrong_type_is_refused(world, users):
    rule = {"id": "r", "fact": "form", "key": "registered_capital", "op": "ge", "value": "many"}
    assert "type" in str(_refused(users, {"version": 1, "rules": [rule]}))


def test_a_rule_on_an_unknown_certificate_type_is_refused(world, users):
    rule = {"id": "r", "fact": "holds_certificate", "certificate_type": "dragon_licence"}
    assert "certificate_type" in str(_refused(users, {"version": 1, "rules": [rule]}))


def test_an_unknown_fact_or_op_or_key_is_refused(world, users):
    assert "fact" in str(_refused(users, {"version": 1, "rules": [{"id": "r", "fact": "mood"}]}))
    rule = {"id": "r", "fact": "age", "op": "about", "value": 1}
    assert "op" in str(_refused(users, {"version": 1, "rules": [rule]}))
    rule = {"id": "r", "fact": "age", "op": "ge", "value": 1, "code": "x"}
    assert "code" in str(_refused(users, {"version": 1, "rules": [rule]}))


def test_a_rule_set_is_bounded(world, users):
    rule = {"id": "r", "fact": "age", "op": "ge", "value": 18}
    many = [{**rule, "id": f"r{i}"} for i in range(21)]
    assert "rules" in str(_refused(users, {"version": 1, "rules": many}))
    values = {"id": "r", "fact": "region", "op": "in", "value": ["330100"] * 51}
    assert "value" in str(_refused(users, {"version": 1, "rules": [values]}))
    nested = {"id": "r", "any": [{"fact": "age", "any": [rule]}]}
    assert "any" in str(_refused(users, {"version": 1, "rules": [nested]}))


def test_the_openapi_document_describes_the_rule_language_and_the_test(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/admin/matters/{code}/auto-approval/test"]["post"]
    assert operation["operationId"] == "testAutoApproval"
    schemas = spec["components"]["schemas"]
    rules_doc = schemas["AutoApproval"]["properties"]["rules"]
    assert "holds_certificate" in rules_doc["description"]
    assert "rules never reject" in rules_doc["description"]
    assert set(schemas["RuleCheck"]["properties"]["fact"]["enum"]) == {
        "form",
        "holds_certificate",
        "certificate_field",
        "age",
        "region",
    }
    assert "decision" in schemas["Application"]["properties"]


def test_a_certificate_field_rule_reads_the_wallet_certificate(world, app):
    with app.app_context():
        certificates.issue(
            ObjectId(world.applicant.id),
            "Qiantang Software Ltd",
            "tax_registration_certificate",
            "PSB-330100",
            {"taxpayer_class": "general"},
            None,
        )
    rule = {
        "id": "general_taxpayer",
        "fact": "certificate_field",
        "certificate_type": "tax_registration_certificate",
        "field": "taxpayer_class",
        "op": "eq",
        "value": "general",
    }
    with_rules(world, {"version": 1, "rules": [rule]})
    assert world.submit()["status"] == "completed"
    with_rules(world, {"version": 2, "rules": [{**rule, "value": "small"}]})
    assert world.submit()["status"] == "submitted"


def test_the_demo_social_security_card_is_approved_instantly_for_the_demo_resident(app, users):
    from app import seed
    from app.accounts import repository as users_repo

    with app.app_context():
        seed.seed_demo()
        resident = users_repo.find_by_phone("13800000001")
    admin = users.admin()
    form = {
        "cooperating_bank": "icbc",
        "reason": "first_issue",
        "mailing_address": "No. 18 Wensan Road, Xihu District, Hangzhou",
        "mailing_postcode": "310012",
    }
    path = f"{ADMIN_MATTERS}/ZJ-SSCARD/auto-approval/test"
    body = {"form": form, "applicant_id": str(resident["_id"])}
    result = admin.post(path, json=body).get_json()
    assert result["approved"] is True, result
    lost = admin.post(path, json={**body, "form": {**form, "reason": "replacement_lost"}})
    assert [f["id"] for f in lost.get_json()["failed_rules"]] == ["first_issue"]


def test_a_retried_instant_submission_files_one_case_and_one_certificate(world, app, db):
    with_rules(world, APPROVING)
    headers = {"Idempotency-Key": "instant-retry-1"}
    first = world.applicant.post(APPS, json=world.body(), headers=headers)
    again = world.applicant.post(APPS, json=world.body(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json()["id"] == again.get_json()["id"]
    drain(app)
    assert db.applications.count_documents({}) == 1
    assert db.certificates.count_documents({"type": "business_licence"}) == 1
