"""The demo catalogue and demo wallets load through the same rules as the admin API."""

import dataclasses
import json

import pytest

from app.seed import DATA, DEMO_PASSWORD, DEMO_RESIDENTS, seed_demo


def login(client, phone):
    response = client.post("/api/v1/auth/login", json={"phone": phone, "password": DEMO_PASSWORD})
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def test_demo_data_loads_the_whole_catalogue_and_both_demo_wallets(app, client, db):
    with app.app_context():
        assert seed_demo() is True
    expected = json.loads((DATA / "matters.json").read_text(encoding="utf-8"))
    for_bundles = json.loads((DATA / "bundle_matters.json").read_text(encoding="utf-8"))
    assert len(expected) == 44
    assert db.matters.count_documents({"current": True, "version": 1}) == 44 + len(for_bundles)
    company = client.get("/api/v1/matters/ZJ-COMPANY-SETUP").get_json()
    source = next(m for m in expected if m["code"] == "ZJ-COMPANY-SETUP")
    for key, value in source.items():
        assert company[key] == (value["en"] if key == "name" else value), key
    # the seed names everything in both languages, with the real Chinese names
    zh = {"Accept-Language": "zh-CN"}
    assert client.get("/api/v1/matters/ZJ-COMPANY-SETUP", headers=zh).get_json()["name"] == (
        "企业开办（设立登记）一件事"
    )
    regions = client.get("/api/v1/regions?limit=100", headers=zh).get_json()["items"]
    assert {r["code"]: r["name"] for r in regions}["330106"] == "西湖区"
    departments = client.get("/api/v1/departments?region=330100", headers=zh).get_json()
    assert {d["code"]: d["name"] for d in departments["items"]}["AMR-330100"] == (
        "杭州市市场监督管理局"
    )
    assert company["region"] == "330100"
    assert company["time_limit"] == {"value": 1, "unit": "working_days"}

    resident, enterprise = (login(client, r["phone"]) for r in DEMO_RESIDENTS)
    held = client.get("/api/v1/me/certificates", headers=resident).get_json()["items"]
    # The ID card, and the residence permit the demo completed and posted (issue 15).
    assert sorted(c["type"] for c in held) == ["residence_permit", "resident_id_card"]
    (id_card,) = [c for c in held if c["type"] == "resident_id_card"]
    assert id_card["data"]["id_number"] == DEMO_RESIDENTS[0]["id_number"]
    assert id_card["valid_until"] is not None
    (licence,) = client.get("/api/v1/me/certificates", headers=enterprise).get_json()["items"]
    assert licence["type"] == "business_licence"
    assert licence["data"]["credit_code"] == DEMO_RESIDENTS[1]["enterprise"]["credit_code"]


def test_demo_catalogue_is_browsable_by_region_and_visits(app, client):
    with app.app_context():
        seed_demo()
    tonglu = client.get("/api/v1/matters?region=330122&limit=100").get_json()["items"]
    assert {m["region"] for m in tonglu} == {"330000", "330100", "330122"}
    online = client.get("/api/v1/matters?max_visits=0&limit=100").get_json()["items"]
    assert len(online) >= 22 and all(m["max_visits"] == 0 for m in online)


def test_demo_data_is_refused_in_production(app, db, monkeypatch):
    # The demo pays and posts through the development sandboxes, which production refuses.
    production = dataclasses.replace(app.extensions["settings"], env="production")
    monkeypatch.setitem(app.extensions, "settings", production)
    with app.app_context(), pytest.raises(RuntimeError, match="development sandboxes"):
        seed_demo()
    assert db.matters.count_documents({}) == 0
