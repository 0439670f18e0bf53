"""Languages (API.md "Languages"): every message, field error, catalogue name and notification
is answered in the language of Accept-Language (zh-CN by default, or en), with
Content-Language; catalogue writes take the name in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Response, request

from app import i18n, i18n_extract
from app.messaging.notify import notify
from app.platform import migrate
from tests.conftest import assert_envelope, create_region, drain, ensure_department
from tests.matters import definition

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}
NONE = {"Accept-Language": ""}
ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "app" / "translations" / "zh_Hans_CN" / "LC_MESSAGES"


@pytest.fixture
def world(app):
    with app.app_context():
        for code in ("AMR-330100", "TAX-330100", "SI-330100"):
            ensure_department(code, "330100")
        ensure_department("HOTLINE-330100", "330100", kind="hotline")
        create_region("330000", {"zh-CN": "浙江省", "en": "Zhejiang Province"})
        create_region("330100", {"zh-CN": "杭州市", "en": "Hangzhou"}, parent="330000")
        create_region("330106", {"zh-CN": "西湖区", "en": "Xihu District"}, parent="330100")
        create_region("330122", "桐庐县", parent="330100")  # no English name


@pytest.fixture
def admin(users, world):
    return users.admin()


# ---------------------------------------------------------------- negotiation


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("", "zh-CN"),
        ("zh-CN", "zh-CN"),
        ("zh", "zh-CN"),
        ("zh-Hans-CN;q=0.9", "zh-CN"),
        ("en", "en"),
        ("en-GB,en;q=0.8", "en"),
        ("fr-FR, de;q=0.9", "zh-CN"),  # nothing we speak: the default
        ("fr, en;q=0.5", "en"),
        ("zh-CN;q=0.4, en;q=0.7", "en"),  # q-values decide, not the order
        ("en;q=0.7, zh;q=0.9", "zh-CN"),
        ("en;q=0, fr", "zh-CN"),  # q=0 means "not this one"
        ("en;q=bogus", "zh-CN"),
        ("*", "zh-CN"),
    ],
)
def test_accept_language_is_negotiated_with_q_values(header, language):
    assert i18n._negotiate(header) == language


def test_every_response_says_its_language_and_that_it_varies(anon):
    for headers, language in ((ZH, "zh-CN"), (EN, "en"), (NONE, "zh-CN")):
        ok = anon.get("/api/v1/matters", headers=headers)
        assert ok.status_code == 200
        assert ok.headers["Content-Language"] == language
        assert "Accept-Language" in ok.headers["Vary"]
        missing = anon.get("/api/v1/matters/NOPE", headers=headers)
        assert missing.status_code == 404
        assert missing.headers["Content-Language"] == language
        assert "Accept-Language" in missing.headers["Vary"]


def test_a_304_says_its_language_too(app, client):
    def conditional() -> Response:
        response = Response("{}", mimetype="application/json")
        response.set_etag("v1")
        return response.make_conditional(request)

    app.add_url_rule("/_test/conditional", view_func=conditional)
    assert client.get("/_test/conditional", headers=EN).status_code == 200
    cached = client.get("/_test/conditional", headers={**EN, "If-None-Match": '"v1"'})
    assert cached.status_code == 304
    assert cached.headers["Content-Language"] == "en"
    assert "Accept-Language" in cached.headers["Vary"]


# ---------------------------------------------------------------- messages


def test_error_messages_are_answered_in_the_asked_language(anon):
    zh = assert_envelope(anon.get("/api/v1/matters/NOPE", headers=ZH), 404)
    assert zh["message"] == "没有这个事项。"
    en = assert_envelope(anon.get("/api/v1/matters/NOPE", headers=EN), 404)
    assert en["message"] == "No such service item."
    default = assert_envelope(anon.get("/api/v1/matters/NOPE", headers=NONE), 404)
    assert default["message"] == "没有这个事项。"
    # werkzeug's own 404 (no route) too
    unrouted = assert_envelope(anon.get("/api/v1/no-such-thing", headers=ZH), 404)
    assert unrouted["message"].startswith("服务器上找不到请求的 URL")


def test_messages_with_values_are_translated_around_the_values(anon):
    zh = assert_envelope(
        anon.post("/api/v1/auth/login", data="x", content_type="text/plain", headers=ZH), 415
    )
    assert zh["message"] == "请求体应为 application/json，而不是 text/plain。"
    en = assert_envelope(
        anon.post("/api/v1/auth/login", data="x", content_type="text/plain", headers=EN), 415
    )
    assert en["message"] == "Send the body as application/json, not text/plain."


def test_field_errors_ours_and_marshmallows_are_in_the_asked_language(anon):
    body = {"phone": "12", "password": "x", "name": "", "kind": "person", "extra": 1}
    zh = assert_envelope(anon.post("/api/v1/auth/register", json=body, headers=ZH), 422)
    assert zh["message"] == "请求无效，详见 errors。"
    assert zh["errors"]["extra"] == ["未知字段。"]  # marshmallow's
    assert zh["errors"]["phone"] == ["不是中国大陆手机号码。"]  # ours
    en = assert_envelope(anon.post("/api/v1/auth/register", json=body, headers=EN), 422)
    assert en["errors"]["extra"] == ["Unknown field."]
    assert en["errors"]["phone"] == ["Not a mainland mobile number."]
    missing = assert_envelope(anon.post("/api/v1/auth/register", json={}, headers=ZH), 422)
    assert missing["errors"]["phone"] == ["缺少必填字段。"]


def test_a_validators_formatted_message_keeps_its_numbers(admin):
    long_name = {"zh-CN": "名" * 201}
    zh = assert_envelope(
        admin.post("/api/v1/admin/matters", json=definition(name=long_name), headers=ZH), 422
    )
    assert zh["errors"]["name"] == {"zh-CN": ["长度超过最大长度 200。"]}
    en = assert_envelope(
        admin.post("/api/v1/admin/matters", json=definition(name=long_name), headers=EN), 422
    )
    assert en["errors"]["name"] == {"zh-CN": ["Longer than maximum length 200."]}
    assert i18n_translate_in_zh("Must be greater than or equal to 1 and less than or equal to 60.")
    assert i18n_translate_in_zh("Must be one of: person, enterprise.") == (
        "必须是以下之一：person, enterprise。"
    )


def i18n_translate_in_zh(text: str) -> str:
    from flask import Flask

    app = Flask(__name__)
    i18n.init_app(app)
    with app.test_request_context(headers=ZH):
        translated = i18n.message(text)
    assert translated != text, text
    return translated


# ---------------------------------------------------------------- catalogue names


def test_a_service_item_written_with_both_names_is_read_in_each(admin, anon, db):
    names = {"zh-CN": "企业开办（设立登记）一件事", "en": "Company establishment registration"}
    created = admin.post("/api/v1/admin/matters", json=definition(name=names), headers=ZH)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["name"] == names["zh-CN"]
    assert db.matters.find_one({})["name"] == names
    code = definition()["code"]
    assert anon.get(f"/api/v1/matters/{code}", headers=EN).get_json()["name"] == names["en"]
    assert anon.get(f"/api/v1/matters/{code}", headers=ZH).get_json()["name"] == names["zh-CN"]
    listed = anon.get("/api/v1/matters", headers=EN).get_json()["items"]
    assert [item["name"] for item in listed] == [names["en"]]
    # either name finds it
    for q in ("企业开办", "company"):
        found = anon.get(f"/api/v1/matters?q={q}", headers=EN).get_json()["items"]
        assert [item["code"] for item in found] == [code], q


def test_a_plain_string_name_is_the_zh_cn_name_and_en_falls_back_to_it(admin, anon, db):
    body = definition(name="企业开办")
    body.pop("name_zh")
    created = admin.post("/api/v1/admin/matters", json=body, headers=EN)
    assert created.status_code == 201, created.get_json()
    assert db.matters.find_one({})["name"] == {"zh-CN": "企业开办"}
    code = definition()["code"]
    assert anon.get(f"/api/v1/matters/{code}", headers=EN).get_json()["name"] == "企业开办"
    assert anon.get(f"/api/v1/matters/{code}", headers=ZH).get_json()["name"] == "企业开办"


@pytest.mark.parametrize(
    ("name", "errors"),
    [
        ({"en": "Only English"}, {"zh-CN": ["Missing data for required field."]}),
        ({"zh-CN": "名", "fr": "Nom"}, {"fr": ["Unknown field."]}),
        ({"zh-CN": "  "}, {"zh-CN": ["Shorter than minimum length 1."]}),
        ({"zh-CN": 5}, {"zh-CN": ["Not a valid string."]}),
        (["名"], ["Give a string or an object of names by language."]),
    ],
)
def test_a_malformed_name_is_a_422_naming_what_is_wrong(admin, db, name, errors):
    response = admin.post("/api/v1/admin/matters", json=definition(name=name), headers=EN)
    assert assert_envelope(response, 422)["errors"]["name"] == errors
    assert db.matters.count_documents({}) == 0


def test_departments_are_written_and_read_in_both_languages(admin, anon, db):
    names = {
        "zh-CN": "西湖区市场监督管理局",
        "en": "Xihu District Administration for Market Regulation",
    }
    created = admin.post(
        "/api/v1/admin/departments",
        json={"code": "AMR-330106", "name": names, "region": "330106"},
        headers=EN,
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["name"] == names["en"]
    assert db.departments.find_one({"_id": "AMR-330106"})["name"] == names
    plain = admin.post(
        "/api/v1/admin/departments",
        json={"code": "TAX-330106", "name": "西湖区税务局", "region": "330106"},
        headers=EN,
    )
    assert plain.status_code == 201, plain.get_json()
    for headers, expected in ((ZH, names["zh-CN"]), (EN, names["en"])):
        listed = anon.get("/api/v1/departments?region=330106", headers=headers).get_json()
        by_code = {d["code"]: d["name"] for d in listed["items"]}
        assert by_code["AMR-330106"] == expected
        assert by_code["TAX-330106"] == "西湖区税务局"  # no English: the zh-CN name


def test_regions_are_read_in_the_asked_language_with_fallback(world, anon):
    for headers, expected in (
        (ZH, {"330000": "浙江省", "330100": "杭州市", "330106": "西湖区", "330122": "桐庐县"}),
        (EN, {"330000": "Zhejiang Province", "330100": "Hangzhou", "330106": "Xihu District"}),
    ):
        items = anon.get("/api/v1/regions", headers=headers).get_json()["items"]
        names = {r["code"]: r["name"] for r in items}
        assert {code: names[code] for code in expected} == expected
    items = anon.get("/api/v1/regions", headers=EN).get_json()["items"]
    assert {r["code"]: r["name"] for r in items}["330122"] == "桐庐县"


def test_complaint_categories_take_both_names_and_answer_one(users, world, anon, db):
    admin = users.admin()
    body = {
        "code": "noise",
        "name": {"zh-CN": "噪音扰民", "en": "Noise nuisance"},
        "default_department": "HOTLINE-330100",
    }
    created = admin.post("/api/v1/admin/complaint-categories", json=body, headers=ZH)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["name"] == "噪音扰民"
    assert db.complaint_categories.find_one({"_id": "noise"})["name"] == body["name"]
    en = anon.get("/api/v1/complaint-categories/noise", headers=EN).get_json()
    assert en["name"] == "Noise nuisance"
    listed = anon.get("/api/v1/complaint-categories", headers=ZH).get_json()["items"]
    assert [c["name"] for c in listed] == ["噪音扰民"]
    plain = {**body, "code": "litter", "name": "乱扔垃圾"}
    assert admin.post("/api/v1/admin/complaint-categories", json=plain).status_code == 201
    assert anon.get("/api/v1/complaint-categories/litter", headers=EN).get_json()["name"] == (
        "乱扔垃圾"
    )


# ---------------------------------------------------------------- notifications


def test_notifications_are_rendered_in_the_readers_language(app, users):
    resident = users.resident()
    with app.app_context():
        notify(
            resident.id,
            "application.submit",
            i18n.N_("Application received"),
            i18n.N_("We received your application {no} for {matter}."),
            params={"no": "ZJ2026-000001", "matter": {"zh-CN": "企业开办", "en": "Company set-up"}},
        )
    drain(app)
    zh = resident.get("/api/v1/me/notifications", headers=ZH).get_json()["items"][0]
    assert zh["title"] == "申请已收到"
    assert zh["body"] == "我们已收到您关于“企业开办”的申请 ZJ2026-000001。"
    en = resident.get("/api/v1/me/notifications", headers=EN).get_json()["items"][0]
    assert en["title"] == "Application received"
    assert en["body"] == "We received your application ZJ2026-000001 for Company set-up."


def test_staffs_own_words_in_a_notification_are_never_translated_or_filled(app, users):
    resident = users.resident()
    with app.app_context():
        notify(
            resident.id,
            "complaint",
            i18n.N_("Reply to your complaint {no}"),
            "{text}",
            params={"no": "C-1", "text": "Not found {no}. 已处理"},
        )
    zh = resident.get("/api/v1/me/notifications", headers=ZH).get_json()["items"][0]
    assert zh["title"] == "您的投诉 C-1 有了答复"
    assert zh["body"] == "Not found {no}. 已处理"


# ---------------------------------------------------------------- the migration


def test_the_migration_converts_names_both_ways(app, db):
    migrate.downgrade(db, 49)
    db.regions.insert_one(
        {"_id": "330100", "name": "Hangzhou", "name_zh": "杭州市", "level": "city"}
    )
    db.regions.insert_one({"_id": "330122", "name": "Tonglu", "level": "county"})
    db.departments.insert_one(
        {
            "_id": "AMR-330100",
            "name": "Hangzhou AMR",
            "name_zh": "杭州市市场监督管理局",
            "region": "330100",
            "region_path": ["330000", "330100"],
            "kind": "government",
        }
    )
    migrate.upgrade(db)
    assert db.regions.find_one({"_id": "330100"})["name"] == {"zh-CN": "杭州市", "en": "Hangzhou"}
    assert "name_zh" not in db.regions.find_one({"_id": "330100"})
    assert db.regions.find_one({"_id": "330122"})["name"] == {"zh-CN": "Tonglu"}
    assert db.departments.find_one({"_id": "AMR-330100"})["name"] == {
        "zh-CN": "杭州市市场监督管理局",
        "en": "Hangzhou AMR",
    }
    # the validator now refuses a plain string name
    with pytest.raises(Exception, match="validation"):
        db.regions.insert_one({"_id": "330200", "name": "Ningbo", "level": "city"})
    migrate.downgrade(db, 49)
    back = db.departments.find_one({"_id": "AMR-330100"})
    assert (back["name"], back["name_zh"]) == ("Hangzhou AMR", "杭州市市场监督管理局")
    migrate.upgrade(db)


# ---------------------------------------------------------------- the catalogue itself


def test_every_message_of_the_code_has_its_chinese_and_the_mo_matches_the_po():
    with open(CATALOGUE / "messages.po", "rb") as po_file:
        po = read_po(po_file)
    with open(CATALOGUE / "messages.mo", "rb") as mo_file:
        mo = read_mo(mo_file)
    translated = {m.id: m.string for m in po if m.id and m.string}
    assert {m.id: m.string for m in mo if m.id} == translated, "run `make translations`"
    found: set[str] = set()
    for folder in ("app", "blueprints", "schemas"):
        for path in (ROOT / folder).rglob("*.py"):
            if "seed" not in path.parts:
                found |= {text for _, text in i18n_extract.messages(path.read_text("utf-8"))}
    untranslated = sorted(found - set(translated))
    assert not untranslated, "new messages: run `make translations` and translate them"
    placeholder = re.compile(r"\{(\w*)\}")
    for msgid, msgstr in translated.items():
        assert set(placeholder.findall(msgid)) == set(placeholder.findall(msgstr)), msgid
