"""Bundle applications through HTTP: all errors at once, one transaction, the fed child filed by
the worker citing the certificate, roll-up, Idempotency-Key retry, access, KPIs."""

import threading

from bson import ObjectId

from app.accounts.erasure import ERASED_NAME
from app.oversight import kpi_rebuild
from tests.bundles.conftest import APPS, CASES, CERT, HUKOU, SSCARD
from tests.conftest import assert_envelope


def test_every_error_of_every_item_is_answered_at_once_and_nothing_is_filed(bw):
    body = bw.body(
        form={"child_name": "", "birth_weight_g": "heavy", "mailing_postcode": "31", "x": 1},
        materials=[{"key": "parent_id", "certificate_id": str(ObjectId())}],
    )
    response = bw.resident.post(CASES, json=body)
    errors = assert_envelope(response, 422)["errors"]
    assert set(errors["form"]) == {"child_name", "x"}  # the shared field, and a field nobody asks
    assert set(errors["items"][CERT]) >= {"birth_weight_g", "materials"}
    assert errors["items"][CERT]["materials"] == {"mother_id": ["This material is required."]}
    assert "hukou_with" in errors["items"][HUKOU]
    # the fed material is not asked of the applicant
    assert "birth_medical_cert" not in errors["items"][HUKOU]["materials"]
    assert errors["items"][HUKOU]["materials"]["parent_id"] == [
        "No such certificate in your wallet."
    ]
    assert "mailing_postcode" in errors["items"][SSCARD]
    assert bw.db.bundle_applications.count_documents({}) == 0
    assert bw.db.applications.count_documents({}) == 0

    unknown = bw.resident.post(CASES, json=bw.body(bundle_code="NOPE"))
    assert assert_envelope(unknown, 422)["errors"] == {"bundle_code": ["No such bundle."]}
    injected = bw.resident.post(CASES, json=bw.body(bundle_code={"$ne": None}))
    assert_envelope(injected, 422)


def test_enterprises_are_refused_a_person_bundle(bw, users):
    enterprise = users.enterprise()
    errors = assert_envelope(enterprise.post(CASES, json=bw.body()), 422)["errors"]
    assert "bundle_code" in errors
    assert_envelope(bw.staff["PSB-330100"].post(CASES, json=bw.body()), 403)


def test_the_fed_child_is_filed_by_the_worker_citing_the_certificate(bw):
    case = bw.submit()
    assert case["status"] == "in_progress"
    assert case["tracking_no"].startswith("YJ")
    assert {c["matter_code"]: c["status"] for c in case["children"]} == {
        CERT: "submitted",
        HUKOU: "waiting",
        SSCARD: "submitted",
    }
    assert bw.child(case, HUKOU)["application_id"] is None
    assert case["due_at"] is not None
    # one transaction filed the bundle and both independent children, each its own case
    stored = bw.db.applications.find({"bundle.id": ObjectId(case["id"])})
    assert sorted(doc["matter"]["code"] for doc in stored) == [CERT, SSCARD]

    done = bw.complete(bw.child(case, CERT)["application_id"], "HEALTH-330100")
    certificate_id = done["certificate_id"]
    assert certificate_id
    # the resident's Api drains the outbox after each request, as the worker would
    now = bw.resident.get(f"{CASES}/{case['id']}").get_json()
    hukou = bw.child(now, HUKOU)
    assert hukou["status"] == "submitted" and hukou["application_id"]
    application = bw.resident.get(f"{APPS}/{hukou['application_id']}").get_json()
    cited = {m["key"]: m for m in application["materials"]}
    assert cited["birth_medical_cert"]["certificate_id"] == certificate_id
    assert application["form"] == {"child_name": "王小明", "hukou_with": "father"}
    assert application["timeline"][0]["actor"]["role"] == "system"
    # the staff of the fed item read the certificate it cites, as for any application
    read = bw.staff["PSB-330100"].get(
        f"{APPS}/{hukou['application_id']}/materials/birth_medical_cert/certificate"
    )
    assert read.status_code == 200, read.get_json()

    bw.complete(hukou["application_id"], "PSB-330100")
    assert bw.resident.get(f"{CASES}/{case['id']}").get_json()["status"] == "in_progress"
    bw.complete(bw.child(case, SSCARD)["application_id"], "SI-330100")
    final = bw.resident.get(f"{CASES}/{case['id']}").get_json()
    assert final["status"] == "completed" and final["completed_at"]
    assert {c["status"] for c in final["children"]} == {"completed"}
    actions = [(e["matter_code"], e["action"]) for e in final["timeline"]]
    assert actions[0] == (None, "submit") and actions[-1] == (None, "close")
    assert (HUKOU, "complete") in actions and (CERT, "accept") in actions

    counters = {}
    for doc in bw.db.kpi_daily.find({"department": "HEALTH-330100"}):
        for name, value in doc["m"].items():
            if not isinstance(value, dict):
                counters[name] = counters.get(name, 0) + value
    assert counters["bundles_received"] == 1
    assert counters["bundles_closed"] == 1 and counters["bundles_completed"] == 1
    assert counters["bundles_on_time"] == 1 and counters["bundle_hours_sum"] >= 0
    supervisor = bw.users.supervisor("330100")
    stats = supervisor.get("/api/v1/stats/departments").get_json()["items"]
    health = next(row for row in stats if row["department"] == "HEALTH-330100")
    assert health["bundles_completed"] == 1 and health["bundle_on_time_rate"] == 1.0
    assert health["avg_bundle_hours"] is not None
    # kpi rebuild agrees with the counters the transitions recorded
    with bw.app.app_context():
        rebuilt = {d["_id"]: d["m"] for d in kpi_rebuild.compute()}
    for doc in bw.db.kpi_daily.find():
        assert rebuilt[doc["_id"]] == doc["m"], doc["_id"]


ADDRESS = {
    "name": "王大明",
    "phone": "13800000077",
    "address": "浙江省杭州市西湖区文三路 90 号 3 幢 501 室",
    "region": "330106",
}


def test_a_posted_bundle_sends_every_result_to_its_one_address(bw):
    # One address for the whole bundle: missing, it is the bundle's error, once.
    errors = assert_envelope(bw.resident.post(CASES, json=bw.body(delivery="post")), 422)["errors"]
    assert errors == {"delivery_address": ["A postal delivery needs an address."]}
    assert bw.db.bundle_applications.count_documents({}) == 0
    assert bw.db.applications.count_documents({}) == 0

    case = bw.submit(delivery="post", delivery_address=ADDRESS)
    for code in (CERT, SSCARD):
        stored = bw.db.applications.find_one(
            {"_id": ObjectId(bw.child(case, code)["application_id"])}
        )
        assert stored["delivery"] == "post" and stored["delivery_address"] == ADDRESS
    # The child filed later by the worker is posted to the same address.
    bw.complete(bw.child(case, CERT)["application_id"], "HEALTH-330100")
    hukou = bw.child(bw.resident.get(f"{CASES}/{case['id']}").get_json(), HUKOU)
    shown = bw.resident.get(f"{APPS}/{hukou['application_id']}").get_json()
    assert shown["delivery"] == "post" and shown["delivery_address"] == ADDRESS


def test_a_closed_account_leaves_its_bundle_cases_without_the_person(bw):
    case = bw.submit(delivery="post", delivery_address=ADDRESS)
    waiting = bw.db.bundle_applications.find_one({"_id": ObjectId(case["id"])})
    assert waiting["children"][1]["plan"]["delivery_address"] == ADDRESS
    assert bw.resident.delete("/api/v1/me").status_code == 204
    stored = bw.db.bundle_applications.find_one({"_id": ObjectId(case["id"])})
    assert stored["applicant"]["name"] == ERASED_NAME
    assert stored["applicant"]["phone"] is None and stored["applicant"]["id_number"] is None
    assert stored["timeline"][0]["actor"]["name"] == ERASED_NAME
    plan = bw.child(stored, HUKOU)["plan"]
    assert plan["delivery_address"] == {
        "name": ERASED_NAME,
        "phone": None,
        "address": None,
        "region": "330106",
    }
    assert "王大明" not in str(stored) and "13800000077" not in str(stored)
    # Its filed children, as any application of the account.
    child = bw.db.applications.find_one({"_id": ObjectId(bw.child(case, CERT)["application_id"])})
    assert child["applicant"]["name"] == ERASED_NAME
    assert child["delivery_address"]["address"] is None


def test_a_rejected_item_leaves_its_dependants_unfiled_and_the_bundle_partial(bw):
    case = bw.submit()
    bw.reject(bw.child(case, CERT)["application_id"], "HEALTH-330100")
    now = bw.resident.get(f"{CASES}/{case['id']}").get_json()
    assert bw.child(now, HUKOU)["status"] == "not_filed"
    assert now["status"] == "in_progress"  # the social security card is still open
    bw.complete(bw.child(case, SSCARD)["application_id"], "SI-330100")
    assert bw.resident.get(f"{CASES}/{case['id']}").get_json()["status"] == "partially_completed"

    other = bw.submit()
    bw.reject(bw.child(other, CERT)["application_id"], "HEALTH-330100")
    bw.reject(bw.child(other, SSCARD)["application_id"], "SI-330100")
    assert bw.resident.get(f"{CASES}/{other['id']}").get_json()["status"] == "rejected"


def test_a_retry_with_the_same_idempotency_key_answers_the_same_bundle(bw):
    headers = {"Idempotency-Key": "bundle-retry-0001"}
    first = bw.resident.post(CASES, json=bw.body(), headers=headers)
    again = bw.resident.post(CASES, json=bw.body(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json()["id"] == again.get_json()["id"]
    assert first.get_json()["tracking_no"] == again.get_json()["tracking_no"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert bw.db.bundle_applications.count_documents({}) == 1
    assert bw.db.applications.count_documents({}) == 2
    assert bw.db.applications.count_documents({"idempotency_key": {"$exists": True}}) == 0
    # the same key with another body is refused, and files nothing
    other = bw.body(form={**bw.body()["form"], "child_name": "王小红"})
    assert_envelope(bw.resident.post(CASES, json=other, headers=headers), 422)
    assert bw.db.bundle_applications.count_documents({}) == 1


def test_who_reads_a_bundle_application(bw, users):
    case = bw.submit()
    path = f"{CASES}/{case['id']}"
    assert bw.resident.get(path).status_code == 200
    # staff of a department involved in any item, even one not filed yet
    assert bw.staff["PSB-330100"].get(path).status_code == 200
    assert users.supervisor("330100").get(path).status_code == 200
    assert_envelope(users.resident().get(path), 404)
    assert_envelope(users.staff("AMR-330100").get(path), 404)
    assert_envelope(users.supervisor("330200").get(path), 404)
    assert_envelope(bw.resident.get(f"{CASES}/nonsense"), 404)

    mine = bw.resident.get(CASES).get_json()["items"]
    assert [c["id"] for c in mine] == [case["id"]]
    assert [c["id"] for c in bw.staff["SI-330100"].get(CASES).get_json()["items"]] == [case["id"]]
    assert users.resident().get(CASES).get_json()["items"] == []
    assert users.staff("AMR-330100").get(CASES).get_json()["items"] == []


def test_requests_racing_with_one_key_file_one_bundle(bw):
    barrier = threading.Barrier(3)
    answers: list[tuple[int, dict]] = []
    body = bw.body()

    def post() -> None:
        client = bw.app.test_client()
        barrier.wait()
        response = client.post(
            CASES,
            json=body,
            headers={"Authorization": f"Bearer {bw.resident.token}", "Idempotency-Key": "race-b"},
        )
        answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=post) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [status for status, _ in answers] == [201] * 3, answers
    assert len({answer["id"] for _, answer in answers}) == 1
    assert bw.db.bundle_applications.count_documents({}) == 1
    assert bw.db.applications.count_documents({}) == 2
