"""Bundles in the catalogue: versioned, public, and refused when they do not hold together."""

from tests.bundles.conftest import ADMIN, BUNDLES, CERT, HUKOU, SSCARD, definition
from tests.conftest import assert_envelope


def test_a_bundle_is_public_versioned_and_searchable(bw, anon):
    one = anon.get(f"{BUNDLES}/T-BIRTH-BUNDLE")
    assert one.status_code == 200
    body = one.get_json()
    assert body["version"] == 1 and body["audience"] == "person"
    assert body["items"][1] == {
        "matter_code": HUKOU,
        "depends_on": [CERT],
        "feeds": [{"material_key": "birth_medical_cert", "from_matter": CERT}],
    }
    assert body["time_limit"] == {"value": 5, "unit": "working_days"}
    assert "public" in one.headers["Cache-Control"]
    zh = anon.get(f"{BUNDLES}/T-BIRTH-BUNDLE", headers={"Accept-Language": "zh-CN"})
    assert zh.get_json()["name"] == "出生一件事（测试）"

    changed = definition(time_limit={"value": 3, "unit": "working_days"})
    saved = bw.admin.put(f"{ADMIN}/T-BIRTH-BUNDLE", json=changed)
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["version"] == 2
    assert anon.get(f"{BUNDLES}/T-BIRTH-BUNDLE").get_json()["time_limit"]["value"] == 3
    stale = bw.admin.put(f"{ADMIN}/T-BIRTH-BUNDLE", json=changed, headers={"If-Match": '"v1"'})
    assert_envelope(stale, 412)
    old = anon.get(f"{BUNDLES}/T-BIRTH-BUNDLE?version=1").get_json()
    assert old["time_limit"]["value"] == 5 and old["current"] is False

    listed = anon.get(f"{BUNDLES}?q=出生&audience=person").get_json()["items"]
    assert [b["code"] for b in listed] == ["T-BIRTH-BUNDLE"]
    assert anon.get(f"{BUNDLES}?audience=enterprise").get_json()["items"] == []
    assert anon.get(f"{BUNDLES}?q=baby").get_json()["items"][0]["code"] == "T-BIRTH-BUNDLE"
    assert_envelope(anon.get(f"{BUNDLES}/NOPE"), 404)


def test_a_bundle_that_does_not_hold_together_is_refused(bw):
    unknown = definition(code="T-B2", items=[{"matter_code": CERT}, {"matter_code": "NO-SUCH"}])
    errors = assert_envelope(bw.admin.post(ADMIN, json=unknown), 422)["errors"]
    assert "NO-SUCH" in errors["items"]

    wrong_audience = definition(code="T-B3", audience="enterprise")
    errors = assert_envelope(bw.admin.post(ADMIN, json=wrong_audience), 422)["errors"]
    assert set(errors["items"]) == {CERT, HUKOU, SSCARD}

    cyclic = definition(
        code="T-B4",
        items=[
            {"matter_code": CERT, "depends_on": [SSCARD]},
            {"matter_code": SSCARD, "depends_on": [HUKOU]},
            {"matter_code": HUKOU, "depends_on": [CERT]},
        ],
    )
    errors = assert_envelope(bw.admin.post(ADMIN, json=cyclic), 422)["errors"]
    assert "cycle" in errors["items"]["_schema"][0]

    fed_from_outside = definition(
        code="T-B5",
        items=[
            {
                "matter_code": HUKOU,
                "feeds": [{"material_key": "birth_medical_cert", "from_matter": CERT}],
            },
            {"matter_code": SSCARD},
        ],
    )
    errors = assert_envelope(bw.admin.post(ADMIN, json=fed_from_outside), 422)["errors"]
    assert HUKOU in errors["items"]

    wrong_certificate = definition(
        code="T-B6",
        items=[
            {"matter_code": SSCARD},
            {
                "matter_code": HUKOU,
                "feeds": [{"material_key": "birth_medical_cert", "from_matter": SSCARD}],
            },
        ],
    )
    assert_envelope(bw.admin.post(ADMIN, json=wrong_certificate), 422)
    # a cycle is refused on a new version too, and the current version stays
    assert_envelope(
        bw.admin.put(f"{ADMIN}/T-BIRTH-BUNDLE", json=cyclic | {"code": "T-BIRTH-BUNDLE"}), 422
    )
    assert (
        bw.db.bundles.count_documents({"code": {"$in": ["T-B2", "T-B3", "T-B4", "T-B5", "T-B6"]}})
        == 0
    )
    assert_envelope(bw.admin.post(ADMIN, json=definition()), 409)
    assert_envelope(bw.resident.post(ADMIN, json=definition(code="T-B7")), 403)
