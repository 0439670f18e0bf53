"""Open311 POSTs are rate-limited per API key, answered in the spec's error format."""

import pytest

from tests.complaint_helpers import ok


@pytest.fixture
def settings_overrides():
    return {"access_token_ttl": 3600, "open311_limit_key": "2/3600"}


def test_a_key_over_its_limit_gets_429_with_retry_after(world, users, anon, db):
    admin = users.admin()
    key = ok(admin.post("/api/v1/admin/open311/keys", json={"name": "Busy"}), 201)["api_key"]
    other = ok(admin.post("/api/v1/admin/open311/keys", json={"name": "Calm"}), 201)["api_key"]
    form = {
        "service_code": "noise",
        "address_string": "1 Beishan Rd",
        "attribute[noise_source]": "bar",
    }
    for _ in range(2):
        assert (
            anon.post("/open311/v2/requests.json", data=form | {"api_key": key}).status_code == 200
        )
    refused = anon.post("/open311/v2/requests.xml", data=form | {"api_key": key})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert b"<code>429</code>" in refused.data
    assert db.complaints.count_documents({}) == 2
    assert anon.post("/open311/v2/requests.json", data=form | {"api_key": other}).status_code == 200
