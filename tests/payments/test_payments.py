"""Fees and online payment (API.md "The visit avoided: delivery and fees"): the fee on the
application, opening a payment, the provider's signed confirmation (forged, replayed, racing,
with the wrong amount), acceptance waiting for payment, refunds, the sandbox and the daily
reconciliation."""

import dataclasses
import json
from datetime import datetime, timedelta

from bson import ObjectId

from app import clock
from app.cases.workcalendar import CHINA_TZ
from app.oversight import sla_sweep
from tests.applications.world import APPS
from tests.conftest import assert_envelope, drain
from tests.matters import definition
from tests.payments.conftest import FEE, post_at_once, post_callback, signed


def _pay_order(world, case):
    response = world.applicant.post(f"{APPS}/{case['id']}/payments")
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _notice(payment, **overrides):
    return {"payment_id": payment["id"], "amount": payment["amount"], "status": "paid", **overrides}


def _timeline_actions(world, case):
    return [e["action"] for e in world.stored(case)["timeline"]]


def test_an_application_of_an_item_with_a_fee_carries_it_and_waits_for_it(world):
    case = world.submit()
    assert case["payment"] == {"amount": FEE, "currency": "CNY", "status": "due"}
    body = assert_envelope(world.act("amr_window", case, "accept"), 409)
    assert body["errors"] == {"payment": ["Expected status paid."]}
    assert world.stored(case)["status"] == "submitted"


def test_a_free_item_has_no_payment_and_nothing_to_pay(world, db):
    db.matters.update_one({"_id": world.matter["_id"]}, {"$set": {"fee": 0}})
    case = world.submit()
    assert case["payment"] is None
    assert_envelope(world.applicant.post(f"{APPS}/{case['id']}/payments"), 409)
    assert world.accept(case)["status"] == "in_review"


def test_paying_through_the_sandbox_lets_the_window_accept(world, anon):
    case = world.submit()
    payment = _pay_order(world, case)
    assert payment["status"] == "pending" and payment["amount"] == FEE
    assert payment["provider"] == "sandbox" and payment["expires_at"]
    assert payment["pay_payload"]["order_no"] == payment["id"]
    # Asking again while the order is open answers the same order.
    assert _pay_order(world, case)["id"] == payment["id"]

    paid = anon.post(f"/api/v1/sandbox/payments/{payment['id']}/pay")
    assert paid.status_code == 200, paid.get_json()
    assert paid.get_json()["status"] == "paid"
    view = world.applicant.get(f"{APPS}/{case['id']}").get_json()
    assert view["payment"]["status"] == "paid"
    assert world.accept(case)["status"] == "in_review"
    assert_envelope(world.applicant.post(f"{APPS}/{case['id']}/payments"), 409)
    kinds = [n["kind"] for n in world.applicant.get("/api/v1/me/notifications").get_json()["items"]]
    assert "payment.paid" in kinds


def test_opening_a_payment_is_idempotent_and_only_for_the_owner(world, users):
    case = world.submit()
    key = {"Idempotency-Key": "pay-1"}
    first = world.applicant.post(f"{APPS}/{case['id']}/payments", headers=key)
    again = world.applicant.post(f"{APPS}/{case['id']}/payments", headers=key)
    assert first.status_code == again.status_code == 201
    assert first.get_json()["id"] == again.get_json()["id"]
    stranger = users.enterprise()
    assert_envelope(stranger.post(f"{APPS}/{case['id']}/payments"), 404)
    assert_envelope(world.staff["amr_window"].post(f"{APPS}/{case['id']}/payments"), 403)


def test_a_forged_callback_is_401_and_changes_nothing(world, app, anon):
    case = world.submit()
    payment = _pay_order(world, case)
    forged = post_callback(anon, app, "payments", _notice(payment), secret="not-the-secret")
    assert_envelope(forged, 401)
    raw, _ = signed(app, "payments", _notice(payment))
    unsigned = anon.post(
        "/api/v1/callbacks/payments/sandbox",
        data=raw,
        headers={"Content-Type": "application/json"},
    )
    assert_envelope(unsigned, 401)
    raw, headers = signed(app, "payments", _notice(payment))
    tampered = raw.replace(b"paid", b"paid ", 1)
    assert_envelope(
        anon.post("/api/v1/callbacks/payments/sandbox", data=tampered, headers=headers), 401
    )
    unknown = anon.post("/api/v1/callbacks/payments/nosuch", data=raw, headers=headers)
    assert_envelope(unknown, 404)
    assert world.stored(case)["payment"]["status"] == "pending"


def test_a_replayed_callback_answers_200_without_a_second_effect(world, app, anon, db):
    case = world.submit()
    payment = _pay_order(world, case)
    for _ in range(3):
        response = post_callback(anon, app, "payments", _notice(payment))
        assert response.status_code == 200, response.get_json()
    assert _timeline_actions(world, case).count("payment_confirmed") == 1
    assert db.notifications.count_documents({"kind": "payment.paid"}) == 1
    assert db.audit.count_documents({"action": "application.payment_confirmed"}) == 1


def test_an_amount_that_differs_is_422_and_the_payment_stays_pending(world, app, anon):
    case = world.submit()
    payment = _pay_order(world, case)
    response = post_callback(anon, app, "payments", _notice(payment, amount=FEE - 1))
    assert_envelope(response, 422)
    assert world.stored(case)["payment"]["status"] == "pending"
    assert_envelope(world.act("amr_window", case, "accept"), 409)


def test_two_callbacks_at_once_have_one_effect(world, app, db):
    case = world.submit()
    payment = _pay_order(world, case)
    raw, headers = signed(app, "payments", _notice(payment))
    statuses = post_at_once(app, "payments", raw, headers)
    drain(app)
    assert statuses == [200] * 4
    stored = world.stored(case)
    assert [e["action"] for e in stored["timeline"]].count("payment_confirmed") == 1
    assert stored["version"] == 3  # submitted, payment opened, paid: one write each
    assert db.notifications.count_documents({"kind": "payment.paid"}) == 1


def test_withdrawal_after_payment_refunds_once(world, anon, app, db):
    case = world.submit()
    payment = _pay_order(world, case)
    anon.post(f"/api/v1/sandbox/payments/{payment['id']}/pay")
    withdrawn = world.applicant.post(f"{APPS}/{case['id']}/withdraw")
    assert withdrawn.status_code == 200, withdrawn.get_json()
    drain(app)
    drain(app)
    stored = world.stored(case)
    assert stored["payment"]["status"] == "refunded"
    assert [e["action"] for e in stored["timeline"]].count("payment_refunded") == 1
    sandbox = db.payment_sandbox.find_one({"_id": payment["id"]})
    assert sandbox["refunded"] == FEE and len(sandbox["refunds"]) == 1
    view = world.applicant.get(f"{APPS}/{case['id']}").get_json()
    assert view["payment"]["status"] == "refunded"
    # The provider's late replay of the confirmation changes nothing.
    assert post_callback(anon, app, "payments", _notice(payment)).status_code == 200
    assert world.stored(case)["payment"]["status"] == "refunded"


def test_rejection_after_payment_refunds(world, anon, db):
    case = world.submit()
    payment = _pay_order(world, case)
    anon.post(f"/api/v1/sandbox/payments/{payment['id']}/pay")
    world.ok("amr_window", case, "reject", {"reason": "材料与所办事项不符"})
    assert world.stored(case)["payment"]["status"] == "refunded"
    assert db.payment_sandbox.find_one({"_id": payment["id"]})["status"] == "refunded"


def test_a_case_terminated_for_a_lapsed_promise_refunds_its_fee_once(world, anon, app, db):
    db.matters.update_one({"_id": world.matter["_id"]}, {"$set": {"materials.0.deferrable": True}})
    body = world.body()
    body["materials"] = [m for m in body["materials"] if m["key"] != "articles"]
    case = world.submit(**body)
    payment = _pay_order(world, case)
    anon.post(f"/api/v1/sandbox/payments/{payment['id']}/pay")
    world.accept(case)
    clock.freeze(clock.now() + timedelta(days=30))  # well past the promised hand-in
    for _ in range(2):  # a second pass changes nothing
        with app.app_context():
            sla_sweep.sweep(100)
        drain(app)
    stored = world.stored(case)
    assert stored["status"] == "terminated"
    assert stored["payment"]["status"] == "refunded"
    assert [e["action"] for e in stored["timeline"]].count("payment_refunded") == 1
    sandbox = db.payment_sandbox.find_one({"_id": payment["id"]})
    assert sandbox["refunded"] == FEE and len(sandbox["refunds"]) == 1


def test_a_payment_confirmed_after_withdrawal_goes_straight_back(world, app, anon, db):
    case = world.submit()
    payment = _pay_order(world, case)
    world.ok(world.applicant, case, "withdraw")
    assert post_callback(anon, app, "payments", _notice(payment)).status_code == 200
    drain(app)
    assert world.stored(case)["payment"]["status"] == "refunded"


def test_the_sandbox_is_404_in_production_and_for_unknown_orders(world, app, anon):
    case = world.submit()
    payment = _pay_order(world, case)
    assert_envelope(anon.post(f"/api/v1/sandbox/payments/{ObjectId()}/pay"), 404)
    settings = app.extensions["settings"]
    app.extensions["settings"] = dataclasses.replace(settings, env="production")
    try:
        assert_envelope(anon.post(f"/api/v1/sandbox/payments/{payment['id']}/pay"), 404)
    finally:
        app.extensions["settings"] = settings
    assert world.stored(case)["payment"]["status"] == "pending"


def test_the_daily_reconciliation_reports_payments_refunds_and_mismatches(world, app, anon, db):
    paid = world.submit()
    refunded = world.submit()
    for case in (paid, refunded):
        anon.post(f"/api/v1/sandbox/payments/{_pay_order(world, case)['id']}/pay")
    world.ok(world.applicant, refunded, "withdraw")
    day = clock.now().astimezone(CHINA_TZ).strftime("%Y-%m-%d")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["payments", "reconcile", "--date", day])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["totals"] == {"paid": 2 * FEE, "refunded": FEE, "net": FEE}
    assert len(report["payments"]) == 2 and len(report["refunds"]) == 1
    assert report["mismatches"] == []

    # The provider's record says otherwise: reported, and the command fails.
    payment_id = str(world.stored(paid)["payment"]["id"])
    db.payment_sandbox.update_one({"_id": payment_id}, {"$set": {"amount": FEE + 100}})
    result = runner.invoke(args=["payments", "reconcile", "--date", day])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["mismatches"][0]["payment_id"] == payment_id
    assert report["mismatches"][0]["provider_amount"] == FEE + 100
    empty = runner.invoke(args=["payments", "reconcile", "--date", "2020-01-01"])
    assert json.loads(empty.output)["totals"]["paid"] == 0


def test_a_fee_is_integer_fen(world, users):
    admin = users.admin()
    body = definition(code="ZJ-FEE-TEST", fee=12.5)
    body["name"] = {"zh-CN": "收费事项", "en": "A paid item"}
    body.pop("name_zh", None)
    response = admin.post("/api/v1/admin/matters", json=body)
    assert_envelope(response, 422)
    assert "fee" in json.dumps(response.get_json()["errors"])
    body["fee"] = 1250
    response = admin.post("/api/v1/admin/matters", json=body)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["fee"] == 1250


def test_the_migration_converts_stored_fees_to_fen(db):
    from app.platform import migrate

    migrate.downgrade(db, 83)
    doc_id = ObjectId()
    db.matters.insert_one(
        {
            **definition(),
            "_id": doc_id,
            "name": {"zh-CN": "企业开办"},
            "fee": 12.5,
            "region_path": ["330000", "330100"],
            "version": 1,
            "current": True,
            "created_at": datetime.now(CHINA_TZ),
        }
    )
    migrate.upgrade(db)
    assert db.matters.find_one({"_id": doc_id})["fee"] == 1250
