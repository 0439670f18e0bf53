"""Public catalogue reads: paged like every list, cacheable by anyone, revalidated with
ETag / If-None-Match; personal data never cacheable (issue 13, item 3 and "Also")."""

from tests.conftest import assert_envelope, create_region


def _regions(app):
    with app.app_context():
        for code in ("330000", "330100", "330106"):
            create_region(code)


def test_regions_come_a_page_at_a_time_in_code_order(app, client):
    _regions(app)
    whole = client.get("/api/v1/regions").get_json()
    codes = [r["code"] for r in whole["items"]]
    assert codes == sorted(codes) and whole["next_cursor"] is None
    first = client.get("/api/v1/regions?limit=2").get_json()
    assert [r["code"] for r in first["items"]] == codes[:2]
    rest = client.get(f"/api/v1/regions?limit=2&cursor={first['next_cursor']}").get_json()
    assert [r["code"] for r in rest["items"]] == codes[2:4]
    assert_envelope(client.get("/api/v1/regions?limit=101"), 422)


def test_an_anonymous_catalogue_read_is_publicly_cacheable_and_revalidates_with_304(app, client):
    _regions(app)
    first = client.get("/api/v1/regions")
    assert first.headers["Cache-Control"] == "public, max-age=300"
    etag = first.headers["ETag"]
    again = client.get("/api/v1/regions", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag
    assert client.get("/api/v1/regions", headers={"If-None-Match": '"stale"'}).status_code == 200
    with app.app_context():
        create_region("330108")
    changed = client.get("/api/v1/regions", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_the_catalogue_read_by_a_signed_in_caller_is_not_stored_but_still_revalidates(
    app, client, users
):
    _regions(app)
    resident = users.resident()
    signed_in = resident.get("/api/v1/regions")
    assert signed_in.headers["Cache-Control"] == "no-store"
    revalidated = resident.get(
        "/api/v1/regions", headers={"If-None-Match": signed_in.headers["ETag"]}
    )
    assert revalidated.status_code == 304


def test_personal_data_is_never_cacheable(users):
    resident = users.resident()
    me = resident.get("/api/v1/me")
    assert me.status_code == 200
    assert me.headers["Cache-Control"] == "no-store"


def test_the_document_declares_caching_on_public_reads(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in (
        "/api/v1/matters",
        "/api/v1/matters/{code}",
        "/api/v1/regions",
        "/api/v1/departments",
        "/api/v1/complaint-categories",
        "/api/v1/complaint-categories/{code}",
    ):
        op = spec["paths"][path]["get"]
        assert "304" in op["responses"], path
        assert {"ETag", "Cache-Control"} <= set(op["responses"]["200"]["headers"]), path
        assert any(p["name"] == "If-None-Match" for p in op["parameters"]), path


def test_an_if_none_match_beyond_its_documented_bound_is_refused(app, client):
    # make fuzz (negative_data_rejection): the document bounds If-None-Match, so an overlong
    # one is invalid data; answering 200 to it "accepted a schema-violating request".
    _regions(app)
    spec = client.get("/api/v1/openapi.json").get_json()
    (param,) = [
        p
        for p in spec["paths"]["/api/v1/regions"]["get"]["parameters"]
        if p["name"] == "If-None-Match"
    ]
    bound = param["schema"]["maxLength"]
    etag = client.get("/api/v1/regions").headers["ETag"]
    padded = etag + "," + " " * (bound - len(etag) - 1)
    assert client.get("/api/v1/regions", headers={"If-None-Match": padded}).status_code == 304
    long = client.get("/api/v1/regions", headers={"If-None-Match": "Y" * (bound + 1)})
    assert assert_envelope(long, 400)["errors"] == {
        "If-None-Match": [f"At most {bound} characters."]
    }
