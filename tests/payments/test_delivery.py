"""Delivery of results by post (API.md "The visit avoided: delivery and fees"): the address at
submission and its masking, dispatch by the lead department after completion, the carrier's
signed reports (forged, replayed, racing) and the KPI of results delivered without a visit."""

from app.oversight import kpi_rebuild
from tests.applications.world import APPS
from tests.conftest import assert_envelope, drain
from tests.payments.conftest import post_at_once, post_callback, signed

ADDRESS = {
    "name": "林小青",
    "phone": "13800000001",
    "address": "浙江省杭州市西湖区文三路 90 号 3 幢 501 室",
    "region": "330106",
}


def _free(world):
    world.db.matters.update_one({"_id": world.matter["_id"]}, {"$set": {"fee": 0}})


def _completed_post_case(world):
    _free(world)
    case = world.submit(delivery="post", delivery_address=ADDRESS)
    world.accept(case)
    world.approve_all(case)
    return world.ok("amr_head", case, "complete")


def _report(waybill, event_id, status="delivered"):
    return {"event_id": event_id, "waybill_no": waybill, "status": status, "note": "签收"}


def test_postal_delivery_needs_an_address_at_submission(world):
    _free(world)
    response = world.applicant.post(APPS, json=world.body(delivery="post"))
    body = assert_envelope(response, 422)
    assert body["errors"]["delivery_address"] == ["A postal delivery needs an address."]
    bad = world.applicant.post(
        APPS, json=world.body(delivery="post", delivery_address={**ADDRESS, "phone": "123"})
    )
    assert_envelope(bad, 422)
    case = world.submit(delivery="post", delivery_address=ADDRESS)
    assert case["delivery_address"] == ADDRESS
    electronic = world.submit(delivery_address=ADDRESS)
    assert electronic["delivery_address"] is None


def test_the_address_is_masked_for_all_but_the_applicant_and_the_lead_department(world, users):
    _free(world)
    case = world.submit(delivery="post", delivery_address=ADDRESS)
    path = f"{APPS}/{case['id']}"
    assert world.applicant.get(path).get_json()["delivery_address"] == ADDRESS
    assert world.staff["amr_window"].get(path).get_json()["delivery_address"] == ADDRESS
    masked = world.staff["tax"].get(path).get_json()["delivery_address"]
    assert masked["phone"] != ADDRESS["phone"] and "****" in masked["phone"]
    assert masked["address"] == "浙江省杭州市****" and masked["name"] != ADDRESS["name"]
    supervisor = users.supervisor("330100")
    assert supervisor.get(path).get_json()["delivery_address"]["address"] == "浙江省杭州市****"
    world.accept(case)
    delivery = world.staff["tax"].get(f"{path}/delivery").get_json()
    assert delivery["address"]["address"] == "浙江省杭州市****"
    assert delivery["status"] == "pending" and delivery["method"] == "post"
    assert world.applicant.get(f"{path}/delivery").get_json()["address"] == ADDRESS


def test_dispatch_is_for_the_lead_department_after_completion(world):
    _free(world)
    case = world.submit(delivery="post", delivery_address=ADDRESS)
    body = {"carrier": "sandbox", "waybill_no": "SBX0001"}
    assert_envelope(world.act("amr_window", case, "dispatch", body), 409)
    world.accept(case)
    world.approve_all(case)
    world.ok("amr_head", case, "complete")
    assert_envelope(world.act("tax", case, "dispatch", body), 403)
    unknown = world.act("amr_head", case, "dispatch", {**body, "carrier": "nosuch"})
    assert_envelope(unknown, 422)
    done = world.ok("amr_head", case, "dispatch", body)
    assert done["timeline"][-1]["action"] == "dispatch"
    assert_envelope(world.act("amr_head", case, "dispatch", body), 409)
    delivery = world.applicant.get(f"{APPS}/{case['id']}/delivery").get_json()
    assert delivery["carrier"] == "sandbox" and delivery["waybill_no"] == "SBX0001"
    assert delivery["status"] == "dispatched"


def test_an_electronic_result_is_not_dispatched(world):
    _free(world)
    case = world.submit()
    world.accept(case)
    world.approve_all(case)
    world.ok("amr_head", case, "complete")
    body = {"carrier": "sandbox", "waybill_no": "SBX0002"}
    assert_envelope(world.act("amr_head", case, "dispatch", body), 409)


def test_carrier_reports_forged_replayed_and_counted(world, app, anon, db):
    case = _completed_post_case(world)
    world.ok("amr_head", case, "dispatch", {"carrier": "sandbox", "waybill_no": "SBX0003"})
    forged = post_callback(anon, app, "delivery", _report("SBX0003", "E1"), secret="wrong")
    assert_envelope(forged, 401)
    raw, headers = signed(app, "delivery", _report("SBX0003", "E1"))
    unsigned = anon.post(
        "/api/v1/callbacks/delivery/sandbox", data=raw, headers={"Content-Type": "application/json"}
    )
    assert_envelope(unsigned, 401)
    assert_envelope(post_callback(anon, app, "delivery", _report("NOPE", "E1")), 404)
    for _ in range(2):
        response = post_callback(anon, app, "delivery", _report("SBX0003", "E1"))
        assert response.status_code == 200, response.get_json()
    delivery = world.applicant.get(f"{APPS}/{case['id']}/delivery").get_json()
    assert delivery["status"] == "delivered" and delivery["delivered_at"]
    assert [e["status"] for e in delivery["events"]] == ["dispatched", "delivered"]
    assert db.notifications.count_documents({"kind": "delivery.delivered"}) == 1
    assert world.kpi()["results_remote"] == 1
    with app.app_context():
        rebuilt = {d["_id"]: d["m"].get("results_remote", 0) for d in kpi_rebuild.compute()}
    assert sum(rebuilt.values()) == 1
    stats = world.users.supervisor("330100").get("/api/v1/stats/overview?region=330100").get_json()
    assert stats["remote_delivery_rate"] == 1.0


def test_two_reports_of_one_event_at_once_add_one_event(world, app):
    case = _completed_post_case(world)
    world.ok("amr_head", case, "dispatch", {"carrier": "sandbox", "waybill_no": "SBX0004"})
    raw, headers = signed(app, "delivery", _report("SBX0004", "E9"))
    statuses = post_at_once(app, "delivery", raw, headers)
    drain(app)
    assert statuses == [200] * 4
    events = world.stored(case)["shipment"]["events"]
    assert [e["id"] for e in events].count("E9") == 1
    assert world.kpi()["results_remote"] == 1


def test_an_electronic_result_counts_as_delivered_without_a_visit(world, app):
    _free(world)
    case = world.submit()
    world.accept(case)
    world.approve_all(case)
    world.ok("amr_head", case, "complete")
    assert world.kpi()["results_remote"] == 1
    counter = world.kpi().get("results_remote")
    with app.app_context():
        rebuilt = sum(d["m"].get("results_remote", 0) for d in kpi_rebuild.compute())
    assert rebuilt == counter


def test_a_closed_account_takes_its_postal_address_with_it(world, app):
    _free(world)
    case = world.submit(delivery="post", delivery_address=ADDRESS)
    world.submit()  # and a case without an address is left as it is
    assert world.applicant.delete("/api/v1/me").status_code == 204
    drain(app)
    stored = world.stored(case)["delivery_address"]
    assert stored["phone"] is None and stored["address"] is None
    assert stored["name"] != ADDRESS["name"] and stored["region"] == ADDRESS["region"]
