"""Open311 GET requests publish what a person wrote only when they chose to, with phone and
ID numbers redacted; media URLs are http/https only."""

from __future__ import annotations

import pytest

from app import clock
from tests.complaint_helpers import file, ok, setup

BASE = "/open311/v2"
PHONE = "13912345678"
RESIDENT_ID = "330106199001010018"


@pytest.fixture
def settings_overrides():
    return {"access_token_ttl": 200 * 86400}


@pytest.fixture
def key(app, users):
    setup(app)
    yield ok(users.admin().post("/api/v1/admin/open311/keys", json={"name": "City app"}), 201)
    clock.unfreeze()


def post_request(anon, key, **fields):
    data = {
        "api_key": key["api_key"],
        "service_code": "noise",
        "lat": "30.259",
        "long": "120.13",
        "address_string": "1 Beishan Rd",
        "description": f"Drilling at 2am, call me on {PHONE}",
        "phone": PHONE,
        "first_name": "Ming",
        "attribute[noise_source]": "construction",
        "media_url": "https://example.com/p.jpg",
        **fields,
    }
    return anon.post(f"{BASE}/requests.json", data=data)


def listing(anon):
    return {r["service_request_id"]: r for r in anon.get(f"{BASE}/requests.json").get_json()}


def test_a_request_without_the_opt_in_publishes_no_text_place_or_photo(anon, key):
    [created] = post_request(anon, key).get_json()
    published = listing(anon)[created["service_request_id"]]
    assert published["description"] == "Noise nuisance"  # the category, not the text
    assert published["address"] is None and published["lat"] is None
    assert published["media_url"] is None
    assert "Drilling" not in str(published) and PHONE not in str(published)


def test_an_opted_in_request_is_published_with_numbers_redacted(anon, key):
    [created] = post_request(anon, key, public="true").get_json()
    response = anon.get(f"{BASE}/requests/{created['service_request_id']}.json")
    assert response.headers["Cache-Control"] == "no-store"
    [published] = response.get_json()
    assert published["description"] == "Drilling at 2am, call me on [redacted]"
    assert published["address"] == "1 Beishan Rd" and published["lat"] == 30.259
    assert "Ming" not in response.get_data(as_text=True)


def test_a_resident_complaint_is_published_only_on_its_opt_in(anon, key, users):
    resident = users.resident()
    private = file(resident, location=None, description=f"My ID is {RESIDENT_ID}")
    public = file(resident, location=None, description=f"My ID is {RESIDENT_ID}", public=True)
    shown = listing(anon)
    assert shown[private["tracking_no"]]["description"] == "Noise nuisance"
    assert shown[public["tracking_no"]]["description"] == "My ID is [redacted]"
    assert RESIDENT_ID not in str(shown)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "//example.com/p.jpg",
        "https://",
        "https://exa mple.com/p.jpg",
        "http://example.com:99999/p.jpg",
    ],
)
def test_a_media_url_that_is_not_http_or_https_is_refused_and_nothing_stored(anon, key, db, url):
    before = db.complaints.count_documents({})
    response = post_request(anon, key, media_url=url)
    assert response.status_code == 400
    assert "media_url" in response.get_json()[0]["description"]
    assert db.complaints.count_documents({}) == before


def test_an_http_media_url_is_kept(anon, key):
    [created] = post_request(anon, key, media_url="http://example.com/a.png", public="1").get_json()
    assert listing(anon)[created["service_request_id"]]["media_url"] == "http://example.com/a.png"
