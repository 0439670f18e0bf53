"""Open311 GeoReport v2 under /open311/v2, in JSON and XML, with the spec's error format."""

from datetime import timedelta
from xml.etree import ElementTree as ET

import pytest
from bson import ObjectId

from app import clock
from app.complaints import open311 as open311_service
from tests.complaint_helpers import AMR, HOTLINE, act, dispute_body, file, ok
from tests.conftest import assert_envelope

BASE = "/open311/v2"


@pytest.fixture
def api_key(world, users, db):
    admin = users.admin()
    issued = ok(admin.post("/api/v1/admin/open311/keys", json={"name": "FixMyCity"}), 201)
    assert issued["name"] == "FixMyCity" and issued["api_key"].startswith("o311_")
    stored = db.open311_keys.find_one({"_id": ObjectId(issued["id"])})
    assert issued["api_key"] not in str(stored)  # only a hash is kept
    return issued


def post_request(anon, key, fmt="json", **fields):
    data = {
        "api_key": key["api_key"],
        "service_code": "noise",
        "lat": "30.259",
        "long": "120.13",
        "address_string": "1 Beishan Rd",
        "description": "Drilling at 2am",
        "email": "reporter@example.com",
        "first_name": "Ming",
        "last_name": "Zhou",
        "phone": "13912345678",
        "attribute[noise_source]": "construction",
        "media_url": "https://example.com/p.jpg",
    }
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}
    return anon.post(f"{BASE}/requests.{fmt}", data=data)


def xml(response) -> ET.Element:
    assert response.headers["Content-Type"].startswith("text/xml")
    assert response.data.startswith(b"<?xml")
    return ET.fromstring(response.data)


def spec_error(response, code: int, fmt: str = "json") -> str:
    assert response.status_code == code, response.data
    if fmt == "xml":
        root = xml(response)
        assert root.tag == "errors"
        assert root.find("error/code").text == str(code)
        return root.find("error/description").text
    body = response.get_json()
    assert isinstance(body, list) and body[0]["code"] == code
    assert set(body[0]) == {"code", "description"}
    return body[0]["description"]


def test_services_in_json_and_xml(world, anon):
    services = anon.get(f"{BASE}/services.json").get_json()
    noise = next(s for s in services if s["service_code"] == "noise")
    assert noise == {
        "service_code": "noise",
        "service_name": "Noise nuisance",
        "description": "Noise at night",
        "metadata": True,
        "type": "realtime",
        "keywords": "",
        "group": "",
    }
    root = xml(anon.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    codes = [s.find("service_code").text for s in root.findall("service")]
    assert sorted(codes) == ["neighbour_dispute", "noise"]
    assert root.find("service/metadata").text in ("true", "false")


def test_service_definition_in_json_and_xml(world, anon):
    definition = anon.get(f"{BASE}/services/noise.json").get_json()
    assert definition["service_code"] == "noise"
    first = definition["attributes"][0]
    assert first == {
        "variable": True,
        "code": "noise_source",
        "datatype": "singlevaluelist",
        "required": True,
        "datatype_description": "",
        "order": 1,
        "description": "Source of the noise",
        "values": [
            {"key": "construction", "name": "Construction site"},
            {"key": "bar", "name": "Bar"},
        ],
    }
    assert "values" not in definition["attributes"][1]
    root = xml(anon.get(f"{BASE}/services/noise.xml"))
    assert root.tag == "service_definition"
    attribute = root.find("attributes/attribute")
    assert attribute.find("code").text == "noise_source"
    assert attribute.find("required").text == "true"
    assert [v.find("key").text for v in attribute.findall("values/value")] == [
        "construction",
        "bar",
    ]


def test_unknown_service_is_404_in_both_formats(world, anon):
    assert "parking" in spec_error(anon.get(f"{BASE}/services/parking.json"), 404)
    spec_error(anon.get(f"{BASE}/services/parking.xml"), 404, "xml")


def test_post_a_request_creates_an_ordinary_complaint(world, anon, api_key, db):
    response = post_request(anon, api_key)
    assert response.status_code == 200
    [created] = response.get_json()
    assert set(created) == {"service_request_id", "service_notice", "account_id"}
    assert created["account_id"] is None
    doc = db.complaints.find_one({"tracking_no": created["service_request_id"]})
    assert doc["source"] == "open311" and doc["complainant_id"] is None
    assert doc["contact"] == {
        "first_name": "Ming",
        "last_name": "Zhou",
        "email": "reporter@example.com",
        "phone": "13912345678",
    }
    assert doc["answers"] == {"noise_source": "construction"}
    assert doc["location"]["coordinates"] == [120.13, 30.259]
    assert doc["region"] == "330100" and doc["department"] == HOTLINE
    assert doc["status"] == "submitted" and doc["due_at"] is not None
    assert doc["open311"]["key_id"] == ObjectId(api_key["id"])
    # Ordinary in every other respect: the hotline routes it, the staff see the contact.
    hotline, amr = world["hotline"], world["amr"]
    ok(act(hotline, str(doc["_id"]), "assign", {"department": AMR}))
    seen = ok(amr.get(f"/api/v1/complaints/{doc['_id']}"))
    assert seen["contact"]["phone"] == "13912345678" and seen["source"] == "open311"
    supervisor_view = ok(world["supervisor"].get(f"/api/v1/complaints/{doc['_id']}"))
    assert supervisor_view["contact"]["phone"] == "139****5678"


def test_post_in_xml_and_a_nearby_repeat_is_detected(world, anon, api_key, db):
    first = file(world["resident"])
    root = xml(post_request(anon, api_key, fmt="xml"))
    assert root.tag == "service_requests"
    number = root.find("request/service_request_id").text
    assert root.find("request/service_notice").text
    doc = db.complaints.find_one({"tracking_no": number})
    assert doc["repeat_of"] == ObjectId(first["id"])


def test_post_errors_use_the_spec_format(world, anon, api_key, db):
    assert "api_key" in spec_error(post_request(anon, api_key, api_key="wrong"), 403)
    assert "api_key" in spec_error(post_request(anon, api_key, api_key=None), 403)
    spec_error(post_request(anon, api_key, "xml", api_key="wrong"), 403, "xml")
    assert "service_code" in spec_error(post_request(anon, api_key, service_code=None), 400)
    spec_error(post_request(anon, api_key, service_code="parking"), 404)
    missing_location = post_request(anon, api_key, lat=None, long=None, address_string=None)
    assert "location" in spec_error(missing_location, 400)
    assert "lat" in spec_error(post_request(anon, api_key, lat="north"), 400)
    no_answer = post_request(anon, api_key, **{"attribute[noise_source]": None})
    assert "noise_source" in spec_error(no_answer, 400)
    wrong_answer = post_request(anon, api_key, **{"attribute[noise_source]": "volcano"})
    spec_error(wrong_answer, 400, "json")
    unknown = post_request(anon, api_key, **{"attribute[colour]": "red"})
    assert "colour" in spec_error(unknown, 400)
    as_json = anon.post(f"{BASE}/requests.json", json={"api_key": api_key["api_key"]})
    spec_error(as_json, 415)
    assert db.complaints.count_documents({}) == 0


def test_an_address_alone_is_enough(world, anon, api_key, db):
    response = post_request(anon, api_key, lat=None, long=None)
    [created] = response.get_json()
    doc = db.complaints.find_one({"tracking_no": created["service_request_id"]})
    assert "location" not in doc and doc["address"] == "1 Beishan Rd"


def test_a_revoked_key_stops_working(world, anon, api_key, users, db):
    admin = users.admin()
    assert admin.delete(f"/api/v1/admin/open311/keys/{api_key['id']}").status_code == 204
    assert_envelope(admin.delete(f"/api/v1/admin/open311/keys/{api_key['id']}"), 404)
    spec_error(post_request(anon, api_key), 403)
    assert db.complaints.count_documents({}) == 0
    assert_envelope(world["resident"].post("/api/v1/admin/open311/keys", json={"name": "x"}), 403)


def test_get_requests_lists_public_complaints_with_filters(world, anon, api_key, users):
    resident, hotline, amr = world["resident"], world["hotline"], world["amr"]
    [via311] = post_request(anon, api_key, public="true").get_json()
    app_made = file(resident, location=None, title="Bar noise")
    file(users.resident(), **dispute_body(location=None))  # never published
    ok(act(hotline, app_made, "assign", {"department": AMR}))
    ok(act(amr, app_made, "resolve", {"resolution": "Fined."}))

    listing = anon.get(f"{BASE}/requests.json").get_json()
    numbers = [r["service_request_id"] for r in listing]
    assert set(numbers) == {via311["service_request_id"], app_made["tracking_no"]}
    by_no = {r["service_request_id"]: r for r in listing}
    published = by_no[app_made["tracking_no"]]
    assert published["status"] == "closed" and published["service_code"] == "noise"
    # Not opted in to publication: the category stands for what the resident wrote.
    assert published["description"] == "Noise nuisance"
    assert published["agency_responsible"] == AMR
    assert by_no[via311["service_request_id"]]["description"] == "Drilling at 2am"
    assert by_no[via311["service_request_id"]]["lat"] == 30.259
    for request in listing:
        assert "Ming" not in str(request) and "13912345678" not in str(request)

    open_only = anon.get(f"{BASE}/requests.json?status=open").get_json()
    assert [r["service_request_id"] for r in open_only] == [via311["service_request_id"]]
    closed = anon.get(f"{BASE}/requests.json?status=closed").get_json()
    assert [r["service_request_id"] for r in closed] == [app_made["tracking_no"]]
    assert anon.get(f"{BASE}/requests.json?service_code=neighbour_dispute").get_json() == []
    picked = anon.get(
        f"{BASE}/requests.json?service_request_id={app_made['tracking_no']},RX0&status=open"
    ).get_json()
    assert [r["service_request_id"] for r in picked] == [app_made["tracking_no"]]

    root = xml(anon.get(f"{BASE}/requests.xml?status=closed"))
    assert root.find("request/service_request_id").text == app_made["tracking_no"]
    assert root.find("request/zipcode").text is None


def test_get_requests_defaults_to_the_last_90_days_and_takes_a_date_range(world, anon):
    old = file(world["resident"], location=None, title="Old")
    clock.advance(timedelta(days=91))
    new = file(world["resident"], location=None, title="New")
    recent = anon.get(f"{BASE}/requests.json").get_json()
    assert [r["service_request_id"] for r in recent] == [new["tracking_no"]]
    ranged = anon.get(
        f"{BASE}/requests.json?start_date=2026-11-01T00:00:00Z&end_date=2026-11-30T00:00:00Z"
    ).get_json()
    assert [r["service_request_id"] for r in ranged] == [old["tracking_no"]]
    assert "start_date" in spec_error(anon.get(f"{BASE}/requests.json?start_date=yesterday"), 400)
    spec_error(anon.get(f"{BASE}/requests.xml?status=pending"), 400, "xml")


def test_get_requests_returns_at_most_the_maximum(world, anon, monkeypatch):
    for n in range(3):
        file(world["resident"], location=None, title=f"N{n}")
    monkeypatch.setattr(open311_service, "MAX_REQUESTS", 2)
    assert len(anon.get(f"{BASE}/requests.json").get_json()) == 2


def test_get_one_request_and_a_token(world, anon, api_key, db):
    [created] = post_request(anon, api_key).get_json()
    number = created["service_request_id"]
    [one] = anon.get(f"{BASE}/requests/{number}.json").get_json()
    assert one["service_request_id"] == number and one["status"] == "open"
    root = xml(anon.get(f"{BASE}/requests/{number}.xml"))
    assert root.find("request/status").text == "open"
    spec_error(anon.get(f"{BASE}/requests/RX0.json"), 404)
    spec_error(anon.get(f"{BASE}/requests/RX0.xml"), 404, "xml")
    token = db.complaints.find_one({"tracking_no": number})["open311"]["token"]
    assert anon.get(f"{BASE}/tokens/{token}.json").get_json() == [
        {"service_request_id": number, "token": token}
    ]
    assert xml(anon.get(f"{BASE}/tokens/{token}.xml")).find("request/token").text == token
    spec_error(anon.get(f"{BASE}/tokens/nope.json"), 404)


def test_disputes_are_never_published(world, anon):
    dispute = file(world["resident"], **dispute_body())
    spec_error(anon.get(f"{BASE}/requests/{dispute['tracking_no']}.json"), 404)


def test_unknown_paths_and_formats_answer_in_the_spec_format(world, anon):
    spec_error(anon.get(f"{BASE}/services.csv"), 404)
    spec_error(anon.get(f"{BASE}/nothing-here.json"), 404)
    spec_error(anon.get(f"{BASE}/nothing-here.xml"), 404, "xml")


def test_open311_is_not_in_the_api_v1_openapi_document(world, anon):
    spec = anon.get("/api/v1/openapi.json").get_json()
    assert not [path for path in spec["paths"] if "open311/v2" in path]
    assert "/api/v1/admin/open311/keys" in spec["paths"]


def test_post_as_multipart_form_data_works_too(world, anon, api_key, db):
    response = anon.post(
        f"{BASE}/requests.json",
        data={
            "api_key": api_key["api_key"],
            "service_code": "noise",
            "address_string": "2 Beishan Rd",
            "attribute[noise_source]": "bar",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.data
    assert db.complaints.count_documents({"address": "2 Beishan Rd"}) == 1
