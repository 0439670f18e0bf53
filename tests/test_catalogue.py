"""The service catalogue: admins define versioned service items, anyone browses them."""

import pytest

from tests.conftest import assert_envelope, create_region, ensure_department
from tests.matters import definition

CODE = "ZJ-COMPANY-SETUP"


@pytest.fixture
def world(app):
    """Hangzhou's AMR/TAX/SI, a Tonglu county office, a province office, a Ningbo office and
    a hotline: enough to test which departments a service item may name."""
    with app.app_context():
        for code, region in (
            ("AMR-330100", "330100"),
            ("TAX-330100", "330100"),
            ("SI-330100", "330100"),
            ("AMR-330122", "330122"),
            ("AMR-330000", "330000"),
            ("TAX-330200", "330200"),
        ):
            ensure_department(code, region)
        ensure_department("HOTLINE-330100", "330100", kind="hotline")
        create_region("330106")


@pytest.fixture
def admin(users, world):
    return users.admin()


def create(admin, **overrides):
    response = admin.post("/api/v1/admin/matters", json=definition(**overrides))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# ---------------------------------------------------------------- creating


def test_admin_adds_a_service_item_and_anyone_reads_it_back(admin, anon, db):
    response = admin.post("/api/v1/admin/matters", json=definition())
    assert response.status_code == 201
    assert response.headers["ETag"] == '"v1"'
    body = response.get_json()
    assert body["version"] == 1 and body["current"] is True
    assert body["created_at"].endswith("Z")
    shown = anon.get(f"/api/v1/matters/{CODE}")
    assert shown.status_code == 200
    assert shown.headers["ETag"] == '"v1"'
    read = shown.get_json()
    for key, value in definition().items():
        assert read[key] == value, key
    assert "search_keys" not in read and "facets" not in read and "created_by" not in read
    stored = db.matters.find_one({"code": CODE})
    assert stored["region_path"] == ["330000", "330100"]
    assert stored["created_by"] == admin.id
    audit = db.audit.find_one({"action": "matter.create"})
    assert audit["subject"] == {"kind": "matter", "id": CODE}
    assert audit["actor"]["id"] == admin.id
    assert audit["after"]["version"] == 1


def test_adding_an_existing_code_is_409_and_keeps_the_first(admin, db):
    create(admin)
    response = admin.post("/api/v1/admin/matters", json=definition(name="Impostor"))
    body = assert_envelope(response, 409)
    assert body["errors"] == {"code": ["Already exists."]}
    assert db.matters.count_documents({}) == 1
    assert db.matters.find_one({})["name"]["en"] == definition()["name"]


def test_retrying_a_create_with_its_idempotency_key_answers_the_first_response(admin, db):
    headers = {"Idempotency-Key": "5f0c6f1e-8d7b-4a5e-9c11-2b7a4d1f0e01"}
    first = admin.post("/api/v1/admin/matters", json=definition(), headers=headers)
    again = admin.post("/api/v1/admin/matters", json=definition(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    assert db.matters.count_documents({}) == 1


def test_only_admins_add_service_items(users, world, anon, db):
    assert_envelope(anon.post("/api/v1/admin/matters", json=definition()), 401)
    for caller in (users.resident(), users.staff(duties=("window", "head")), users.supervisor()):
        assert_envelope(caller.post("/api/v1/admin/matters", json=definition()), 403)
    assert db.matters.count_documents({}) == 0


def test_a_county_item_handled_by_the_countys_own_office_is_accepted(admin):
    body = create(admin, region="330122", lead_department="AMR-330122", co_departments=[])
    assert (body["region"], body["lead_department"]) == ("330122", "AMR-330122")


def test_a_province_item_may_be_handled_by_city_departments(admin):
    body = create(admin, region="330000")
    assert body["region"] == "330000" and body["lead_department"] == "AMR-330100"


# ---------------------------------------------------------------- refusals of a definition


def field(**overrides):
    return {"key": "f", "label": "F", "type": "string", "required": False, **overrides}


def with_form(*fields):
    return {"form": list(fields)}


REFUSED = [
    ("unknown top-level field", {"owner": "me"}, "owner"),
    ("operator object for a string", {"name": {"$ne": None}}, "name"),
    ("operator object for an integer", {"max_visits": {"$gt": 0}}, "max_visits"),
    ("operator object for a department", {"lead_department": {"$ne": None}}, "lead_department"),
    ("operator object inside the form", with_form(field(type={"$ne": None})), "form"),
    ("lowercase code", {"code": "zj-company"}, "code"),
    ("unknown category", {"category": "astrology"}, "category"),
    ("empty audience", {"audience": []}, "audience"),
    ("unknown audience", {"audience": ["alien"]}, "audience"),
    ("repeated audience", {"audience": ["person", "person"]}, "audience"),
    ("region not a code", {"region": "Hangzhou"}, "region"),
    ("time limit of zero", {"time_limit": {"value": 0, "unit": "hours"}}, "time_limit"),
    ("time limit unit", {"time_limit": {"value": 1, "unit": "days"}}, "time_limit"),
    ("negative visits", {"max_visits": -1}, "max_visits"),
    ("visits as a string", {"max_visits": "0"}, "max_visits"),
    ("negative fee", {"fee": -1}, "fee"),
    ("fee as a boolean", {"fee": False}, "fee"),
    ("unknown delivery", {"delivery": ["pigeon"]}, "delivery"),
    ("unknown issued certificate", {"issues_certificate": "gold_star"}, "issues_certificate"),
    (
        "unknown material certificate",
        {"materials": [{"key": "id", "name": "ID", "required": True, "certificate_type": "x"}]},
        "materials",
    ),
    (
        "repeated material key",
        {
            "materials": [
                {"key": "id", "name": "ID", "required": True},
                {"key": "id", "name": "ID again", "required": False},
            ]
        },
        "materials",
    ),
    (
        "material key not snake_case",
        {"materials": [{"key": "ID Card", "name": "x", "required": True}]},
        "materials",
    ),
    ("repeated form key", with_form(field(), field(label="again")), "form"),
    ("unknown field type", with_form(field(type="file")), "form"),
    ("min on a string", with_form(field(min=1)), "form"),
    ("max_length on a number", with_form(field(type="number", max_length=3)), "form"),
    ("pattern on an integer", with_form(field(type="integer", pattern="^1$")), "form"),
    ("pattern that does not compile", with_form(field(pattern="^(unclosed$")), "form"),
    ("pattern with a backreference", with_form(field(pattern="^(a)\\1$")), "form"),
    ("pattern with lookahead", with_form(field(pattern="^(?=a).*$")), "form"),
    ("min above max", with_form(field(type="number", min=10, max=1)), "form"),
    ("fractional bound on an integer", with_form(field(type="integer", min=1.5)), "form"),
    ("choice without choices", with_form(field(type="choice")), "form"),
    ("choices on a string", with_form(field(choices=["a", "b"])), "form"),
    ("repeated choices", with_form(field(type="choice", choices=["a", "a"])), "form"),
    ("unknown key in a form field", with_form(field(placeholder="x")), "form"),
    ("lead also a co-department", {"co_departments": ["AMR-330100"]}, "co_departments"),
]


@pytest.mark.parametrize(
    ("overrides", "error_key"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_a_malformed_definition_is_refused_field_by_field_and_nothing_stored(
    admin, db, overrides, error_key
):
    response = admin.post("/api/v1/admin/matters", json=definition(**overrides))
    body = assert_envelope(response, 422)
    assert error_key in body["errors"], body["errors"]
    assert db.matters.count_documents({}) == 0


def test_form_field_errors_name_the_field_and_the_constraint(admin):
    response = admin.post(
        "/api/v1/admin/matters",
        json=definition(form=[field(), field(key="n", type="number", min=5, max=1)]),
    )
    body = assert_envelope(response, 422)
    assert body["errors"]["form"] == {"1": {"min": ["min must not exceed max."]}}


DEPARTMENT_REFUSALS = [
    (
        "lead department unknown",
        {"lead_department": "AMR-339999"},
        "lead_department",
        "No department",
    ),
    (
        "hotline as lead",
        {"lead_department": "HOTLINE-330100"},
        "lead_department",
        "not a government",
    ),
    (
        "co-department of another city",
        {"co_departments": ["TAX-330200"]},
        "co_departments",
        "330200",
    ),
    (
        "lead department above the item's region",
        {"lead_department": "AMR-330000"},
        "lead_department",
        "330000",
    ),
    ("unknown region", {"region": "339900"}, "region", "No region"),
]


@pytest.mark.parametrize(
    ("overrides", "error_key", "says"),
    [c[1:] for c in DEPARTMENT_REFUSALS],
    ids=[c[0] for c in DEPARTMENT_REFUSALS],
)
def test_departments_must_exist_be_government_and_sit_in_the_items_region_or_below(
    admin, db, overrides, error_key, says
):
    body = assert_envelope(admin.post("/api/v1/admin/matters", json=definition(**overrides)), 422)
    assert says in " ".join(body["errors"][error_key])
    assert db.matters.count_documents({}) == 0


# ---------------------------------------------------------------- versions


def put(admin, code=CODE, headers=None, **overrides):
    body = definition(**overrides)
    body.pop("code")
    return admin.put(f"/api/v1/admin/matters/{code}", json=body, headers=headers)


def test_put_saves_a_new_version_and_the_old_one_stays_readable(admin, anon, db):
    create(admin)
    response = put(admin, max_visits=1, name="Company set-up (new rules)")
    assert response.status_code == 200
    assert response.headers["ETag"] == '"v2"'
    assert response.get_json()["version"] == 2
    current = anon.get(f"/api/v1/matters/{CODE}").get_json()
    assert (current["version"], current["max_visits"], current["current"]) == (2, 1, True)
    old = anon.get(f"/api/v1/matters/{CODE}?version=1")
    assert old.status_code == 200 and old.headers["ETag"] == '"v1"'
    assert (old.get_json()["max_visits"], old.get_json()["current"]) == (0, False)
    assert sorted((d["version"], d["current"]) for d in db.matters.find({})) == [
        (1, False),
        (2, True),
    ]


def test_an_update_is_audited_with_what_changed(admin, db):
    create(admin)
    put(admin, max_visits=1)
    entry = db.audit.find_one({"action": "matter.update"})
    assert entry["actor"]["id"] == admin.id
    assert entry["before"] == {"version": 1, "max_visits": 0}
    assert entry["after"] == {"version": 2, "max_visits": 1}


def test_put_with_the_current_etag_succeeds_and_a_stale_one_is_412(admin, db):
    create(admin)
    assert put(admin, headers={"If-Match": '"v1"'}, fee=10).status_code == 200
    response = put(admin, headers={"If-Match": '"v1"'}, fee=20)
    assert_envelope(response, 412)
    current = db.matters.find_one({"code": CODE, "current": True})
    assert (current["version"], current["fee"]) == (2, 10)
    assert db.matters.count_documents({}) == 2


def test_a_refused_put_leaves_the_current_version_unchanged(admin, db):
    create(admin)
    response = put(admin, lead_department="TAX-330200", max_visits=3)
    assert_envelope(response, 422)
    (only,) = db.matters.find({})
    assert (only["version"], only["current"], only["max_visits"]) == (1, True, 0)
    assert db.audit.count_documents({"action": "matter.update"}) == 0


def test_put_may_repeat_the_code_but_not_change_it(admin, db):
    create(admin)
    same = definition(fee=5)
    assert admin.put(f"/api/v1/admin/matters/{CODE}", json=same).status_code == 200
    other = definition(code="ZJ-OTHER")
    body = assert_envelope(admin.put(f"/api/v1/admin/matters/{CODE}", json=other), 422)
    assert "code" in body["errors"]
    assert db.matters.count_documents({"code": "ZJ-OTHER"}) == 0


def test_put_of_an_unknown_code_is_404_and_creates_nothing(admin, db):
    assert_envelope(put(admin, code="ZJ-NOPE"), 404)
    assert db.matters.count_documents({}) == 0


def test_only_admins_save_new_versions(users, admin, db):
    create(admin)
    assert_envelope(put(users.staff(duties=("head",))), 403)
    assert db.matters.count_documents({}) == 1


def test_unknown_code_or_version_reads_as_404(admin, anon):
    create(admin)
    assert_envelope(anon.get("/api/v1/matters/ZJ-NOPE"), 404)
    assert_envelope(anon.get(f"/api/v1/matters/{CODE}?version=2"), 404)
    assert_envelope(anon.get(f"/api/v1/matters/{CODE}?version=zero"), 422)


# ---------------------------------------------------------------- browsing


@pytest.fixture
def catalogue(admin):
    """Five items: province-wide, two Hangzhou ones, a Tonglu county one, a Ningbo one."""
    create(
        admin,
        code="ZJ-BIRTH",
        name="Birth registration",
        name_zh="出生登记",
        category="birth",
        audience=["person"],
        region="330000",
    )
    create(admin)  # ZJ-COMPANY-SETUP, Hangzhou, enterprise, 0 visits
    create(
        admin,
        code="ZJ-MARRIAGE",
        name="Marriage registration",
        name_zh="结婚登记",
        category="marriage",
        audience=["person"],
        max_visits=1,
    )
    create(
        admin,
        code="ZJ-NINGBO-TAX",
        name="Ningbo tax registration",
        name_zh="宁波税务登记",
        category="tax",
        region="330200",
        lead_department="TAX-330200",
        co_departments=[],
        max_visits=1,
    )
    create(
        admin,
        code="ZJ-TONGLU-FARM",
        name="Tonglu farmhouse registration",
        name_zh="桐庐农房登记",
        category="household",
        audience=["person", "enterprise"],
        region="330122",
        lead_department="AMR-330122",
        co_departments=[],
        max_visits=1,
    )


def codes(api, query=""):
    response = api.get(f"/api/v1/matters{query}")
    assert response.status_code == 200, response.get_json()
    return [item["code"] for item in response.get_json()["items"]]


def test_anyone_browses_the_current_catalogue_in_code_order(catalogue, anon):
    response = anon.get("/api/v1/matters")
    body = response.get_json()
    assert [i["code"] for i in body["items"]] == [
        "ZJ-BIRTH",
        "ZJ-COMPANY-SETUP",
        "ZJ-MARRIAGE",
        "ZJ-NINGBO-TAX",
        "ZJ-TONGLU-FARM",
    ]
    assert body["next_cursor"] is None
    assert set(body["items"][1]) == {
        "code",
        "version",
        "name",
        "name_zh",
        "category",
        "audience",
        "region",
        "lead_department",
        "time_limit",
        "max_visits",
        "fee",
        "issues_certificate",
    }


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("330122", ["ZJ-BIRTH", "ZJ-COMPANY-SETUP", "ZJ-MARRIAGE", "ZJ-TONGLU-FARM"]),
        ("330106", ["ZJ-BIRTH", "ZJ-COMPANY-SETUP", "ZJ-MARRIAGE"]),
        ("330100", ["ZJ-BIRTH", "ZJ-COMPANY-SETUP", "ZJ-MARRIAGE"]),
        ("330200", ["ZJ-BIRTH", "ZJ-NINGBO-TAX"]),
        ("330000", ["ZJ-BIRTH"]),
    ],
)
def test_a_region_sees_its_own_items_and_those_of_every_region_above_it(
    catalogue, anon, region, expected
):
    assert codes(anon, f"?region={region}") == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?category=marriage", ["ZJ-MARRIAGE"]),
        ("?audience=enterprise", ["ZJ-COMPANY-SETUP", "ZJ-NINGBO-TAX", "ZJ-TONGLU-FARM"]),
        ("?max_visits=0", ["ZJ-BIRTH", "ZJ-COMPANY-SETUP"]),
        ("?max_visits=1", ["ZJ-MARRIAGE", "ZJ-NINGBO-TAX", "ZJ-TONGLU-FARM"]),
        ("?region=330122&audience=person&max_visits=1", ["ZJ-MARRIAGE", "ZJ-TONGLU-FARM"]),
        ("?category=tax&region=330100", []),
    ],
)
def test_filters_combine(catalogue, anon, query, expected):
    assert codes(anon, query) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("birth", ["ZJ-BIRTH"]),
        (
            "REGISTRATION",
            ["ZJ-BIRTH", "ZJ-COMPANY-SETUP", "ZJ-MARRIAGE", "ZJ-NINGBO-TAX", "ZJ-TONGLU-FARM"],
        ),
        ("company  est", ["ZJ-COMPANY-SETUP"]),
        ("tax reg", ["ZJ-NINGBO-TAX"]),
        ("登记", ["ZJ-BIRTH", "ZJ-MARRIAGE", "ZJ-NINGBO-TAX", "ZJ-TONGLU-FARM"]),
        ("农房", ["ZJ-TONGLU-FARM"]),
        ("企业开办", ["ZJ-COMPANY-SETUP"]),
        ("istration", []),  # a word is matched from its start, not from its middle
        ("pension", []),
    ],
)
def test_q_searches_english_and_chinese_names(catalogue, anon, q, expected):
    assert codes(anon, f"?q={q}") == expected


def test_q_combines_with_the_other_filters(catalogue, anon):
    assert codes(anon, "?q=登记&region=330122") == ["ZJ-BIRTH", "ZJ-MARRIAGE", "ZJ-TONGLU-FARM"]
    assert codes(anon, "?q=registration&audience=enterprise&max_visits=1") == [
        "ZJ-NINGBO-TAX",
        "ZJ-TONGLU-FARM",
    ]


@pytest.mark.parametrize("query", ["?region=330122", "?q=登记", ""])
def test_pages_follow_each_other_without_gaps_or_repeats(catalogue, anon, query):
    expected = codes(anon, query)
    seen, cursor = [], None
    separator = "&" if query else "?"
    while True:
        suffix = f"{separator}limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = anon.get(f"/api/v1/matters{query}{suffix}").get_json()
        assert len(body["items"]) <= 2
        seen += [item["code"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == expected


def test_a_new_version_replaces_the_old_one_in_listing_and_search(catalogue, admin, anon):
    put(admin, name="Business start-up", name_zh="开办企业", max_visits=1)
    listed = anon.get("/api/v1/matters?max_visits=1").get_json()["items"]
    assert [(i["code"], i["version"]) for i in listed if i["code"] == "ZJ-COMPANY-SETUP"] == [
        ("ZJ-COMPANY-SETUP", 2)
    ]
    assert "ZJ-COMPANY-SETUP" not in codes(anon, "?max_visits=0")
    assert codes(anon, "?q=company") == []
    assert codes(anon, "?q=business") == ["ZJ-COMPANY-SETUP"]


def test_a_forged_cursor_is_422(catalogue, anon):
    assert_envelope(anon.get("/api/v1/matters?cursor=bm90LWEtY3Vyc29y"), 422)


@pytest.mark.parametrize(
    "query", ["?category=astrology", "?audience=alien", "?max_visits=-1", "?region=33", "?q="]
)
def test_malformed_filters_are_422(anon, query):
    assert_envelope(anon.get(f"/api/v1/matters{query}"), 422)


def test_of_two_concurrent_saves_the_later_gets_409_and_changes_nothing(admin, db, monkeypatch):
    from app.catalogue import repository as matters_repo

    create(admin)
    version_1 = db.matters.find_one({"code": CODE})
    assert put(admin, fee=10).status_code == 200
    # The second request read version 1 just before the first one swapped it out.
    monkeypatch.setattr(matters_repo, "get_current", lambda code: version_1)
    body = assert_envelope(put(admin, fee=99), 409)
    assert "changed meanwhile" in body["message"]
    current = db.matters.find_one({"code": CODE, "current": True})
    assert (current["version"], current["fee"]) == (2, 10)
    assert db.matters.count_documents({}) == 2


def test_integer_fields_take_integer_bounds_and_keep_them_exact(admin, anon):
    form = [
        {
            "key": "children",
            "label": "Children",
            "type": "integer",
            "required": True,
            "min": 0,
            "max": 12,
        },
        {"key": "area", "label": "Area", "type": "number", "required": False, "min": 0.5},
    ]
    create(admin, form=form)
    shown = anon.get(f"/api/v1/matters/{CODE}").get_json()["form"]
    assert shown == [{**form[0]}, {**form[1]}]
    assert isinstance(shown[0]["max"], int)


def test_an_item_may_issue_nothing_need_no_material_and_charge_a_fee_in_fen(admin, anon):
    # A fee is integer fen since issue 15 (12.50 CNY is 1250; 12.5 is refused, tests/payments).
    create(admin, issues_certificate=None, materials=[], co_departments=[], fee=1250)
    shown = anon.get(f"/api/v1/matters/{CODE}").get_json()
    assert (shown["issues_certificate"], shown["materials"], shown["fee"]) == (None, [], 1250)


# ---------------------------------------------------------------- the list's page cache


def test_the_list_is_read_once_per_catalogue_stamp_and_a_save_renews_it(admin, anon, app, client):
    from app.db import counting_commands

    create(admin)
    create(admin, code="ZJ-OTHER")
    first = anon.get("/api/v1/matters?limit=20")
    assert [m["code"] for m in first.get_json()["items"]] == ["ZJ-COMPANY-SETUP", "ZJ-OTHER"]
    with app.app_context(), counting_commands() as tally:
        again = client.get("/api/v1/matters?limit=20")  # no worker pass after it
    assert tally.by_command is not None
    # One read of the stamp, none of the items; the same body and ETag.
    assert tally.by_command["find catalogue_stamp"] == 1, tally.by_command
    assert "find matters" not in tally.by_command, tally.by_command
    assert again.get_data() == first.get_data() and again.headers["ETag"] == first.headers["ETag"]
    # Other filters or another page are pages of their own; another language renders the
    # same page in it.
    assert anon.get("/api/v1/matters?limit=1").get_json()["next_cursor"]
    zh = anon.get("/api/v1/matters?limit=20", headers={"Accept-Language": "zh-CN"})
    assert zh.get_json()["items"][0]["name"] == "企业开办"
    # A saved version renews the stamp: the next read sees it, and a new ETag.
    assert put(admin, max_visits=0).status_code == 200
    changed = anon.get("/api/v1/matters?limit=20")
    assert changed.get_json()["items"][0]["max_visits"] == 0
    assert changed.headers["ETag"] != first.headers["ETag"]
