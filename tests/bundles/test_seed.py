"""The demo bundles: real life events over the demo catalogue, through the admin API's rules."""

import json

from app.seed import DATA, seed_demo

NAMES = {
    "ZJ-BUNDLE-BIRTH": "出生一件事",
    "ZJ-BUNDLE-COMPANY": "开办企业一件事",
    "ZJ-BUNDLE-RETIREMENT": "退休一件事",
    "ZJ-BUNDLE-REAL-ESTATE": "不动产登记一件事",
    "ZJ-BUNDLE-AFTER-DEATH": "身后一件事",
}


def test_the_demo_bundles_load_with_their_real_names(app, anon):
    with app.app_context():
        assert seed_demo() is True
    zh = {"Accept-Language": "zh-CN"}
    listed = anon.get("/api/v1/bundles?limit=100", headers=zh).get_json()["items"]
    assert {b["code"]: b["name"] for b in listed} == NAMES
    source = json.loads((DATA / "bundles.json").read_text(encoding="utf-8"))
    assert len(source) == len(NAMES)
    real_estate = anon.get("/api/v1/bundles/ZJ-BUNDLE-REAL-ESTATE").get_json()
    # registration, tax and the utilities transfer fed by the new property certificate
    assert [i["matter_code"] for i in real_estate["items"]] == [
        "ZJ-RE-DEED-TAX",
        "ZJ-RE-TRANSFER",
        "ZJ-UTILITY-TRANSFER",
    ]
    assert real_estate["items"][2]["feeds"] == [
        {"material_key": "property_cert", "from_matter": "ZJ-RE-TRANSFER"}
    ]
    company = anon.get("/api/v1/bundles?audience=enterprise").get_json()["items"]
    assert [b["code"] for b in company] == ["ZJ-BUNDLE-COMPANY"]
    for code in ("ZJ-UTILITY-TRANSFER", "ZJ-DEATH-CERT", "ZJ-HUKOU-CANCEL"):
        assert anon.get(f"/api/v1/matters/{code}").status_code == 200


def test_the_demo_resident_has_a_bundle_application_waiting_at_the_health_window(app, client):
    from app.seed import DEMO_PASSWORD

    with app.app_context():
        seed_demo()
    token = client.post(
        "/api/v1/auth/login", json={"phone": "13800000001", "password": DEMO_PASSWORD}
    ).get_json()["access_token"]
    listed = client.get(
        "/api/v1/bundle-applications", headers={"Authorization": f"Bearer {token}"}
    ).get_json()["items"]
    (case,) = listed
    assert case["bundle_code"] == "ZJ-BUNDLE-AFTER-DEATH"
    assert {c["matter_code"]: c["status"] for c in case["children"]} == {
        "ZJ-DEATH-CERT": "submitted",
        "ZJ-HUKOU-CANCEL": "waiting",
        "ZJ-FUNERAL-SUBSIDY": "waiting",
    }
