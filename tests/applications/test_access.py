"""Who sees which application: owner, involved staff, supervisors of the region; everyone
else gets the same 404 as for a record that does not exist."""

from bson import ObjectId

from tests.applications.world import APPS
from tests.conftest import assert_envelope
from tests.files import upload_id


def _reads(api, case) -> tuple[int, int]:
    by_id = api.get(f"{APPS}/{case['id']}")
    by_no = api.get(f"{APPS}/track/{case['tracking_no']}")
    return by_id.status_code, by_no.status_code


def test_owner_reads_by_id_and_tracking_number_with_an_etag(world):
    case = world.submit()
    response = world.applicant.get(f"{APPS}/{case['id']}")
    assert response.status_code == 200
    assert response.headers["ETag"] == '"v1"'
    assert response.get_json() == case
    tracked = world.applicant.get(f"{APPS}/track/{case['tracking_no']}")
    assert tracked.get_json()["id"] == case["id"]


def test_another_applicant_gets_404_exactly_like_a_missing_record(world, users):
    case = world.submit()
    other = users.enterprise()
    assert _reads(other, case) == (404, 404)
    missing = assert_envelope(other.get(f"{APPS}/{ObjectId()}"), 404)
    hidden = assert_envelope(other.get(f"{APPS}/{case['id']}"), 404)
    assert missing["message"] == hidden["message"]
    assert_envelope(other.get(f"{APPS}/not-an-id"), 404)
    assert_envelope(other.get(f"{APPS}/track/ZJ20990101000001"), 404)


def test_staff_of_lead_and_co_departments_read(world):
    case = world.submit()
    for who in ("amr_window", "amr_head", "tax", "si"):
        assert _reads(world.staff[who], case) == (200, 200), who


def test_window_staff_of_the_region_or_above_read_others_do_not(world, users):
    case = world.submit()
    assert _reads(users.staff("PSB-330100", ("window",)), case) == (200, 200)
    assert _reads(users.staff("CA-330000", ("window",), region="330000"), case) == (200, 200)
    assert _reads(users.staff("PSB-330100", ("reviewer",)), case) == (404, 404)
    assert _reads(users.staff("PSB-330200", ("window",), region="330200"), case) == (404, 404)
    assert _reads(users.staff("PSB-330122", ("window",), region="330122"), case) == (404, 404)


def test_supervisors_read_their_region_and_below_only(world, users):
    case = world.submit()
    assert _reads(users.supervisor("330100"), case) == (200, 200)
    assert _reads(users.supervisor("330000"), case) == (200, 200)
    assert _reads(users.supervisor("330200"), case) == (404, 404)
    assert _reads(users.supervisor("330122"), case) == (404, 404)


def test_admins_are_not_case_readers(world, users):
    case = world.submit()
    assert_envelope(users.admin().get(f"{APPS}/{case['id']}"), 403)


def test_anonymous_reads_are_401(world, anon):
    case = world.submit()
    assert_envelope(anon.get(f"{APPS}/{case['id']}"), 401)
    assert_envelope(anon.get(APPS), 401)


def test_personal_data_stays_masked_for_staff(world):
    case = world.submit()
    body = world.staff["tax"].get(f"{APPS}/{case['id']}").get_json()
    phone = world.applicant.user["phone"]
    text = str(body)
    assert phone not in text and "330106199001010018" not in text
    assert body["applicant"]["id_number"] == "330106********0018"
    assert body["timeline"][0]["actor"]["name"].startswith("Q*")


def test_my_applications_newest_first_with_status_filter_and_cursor(world, users):
    first = world.submit()
    second = world.submit()
    third = world.submit()
    world.applicant.post(f"{APPS}/{second['id']}/withdraw")
    users.enterprise()  # another applicant's cases never show up
    page = world.applicant.get(f"{APPS}?limit=2").get_json()
    assert [i["id"] for i in page["items"]] == [third["id"], second["id"]]
    assert page["items"][0]["matter"]["code"] == "ZJ-COMPANY-SETUP"
    rest = world.applicant.get(f"{APPS}?limit=2&cursor={page['next_cursor']}").get_json()
    assert [i["id"] for i in rest["items"]] == [first["id"]]
    assert rest["next_cursor"] is None
    withdrawn = world.applicant.get(f"{APPS}?status=withdrawn").get_json()
    assert [i["id"] for i in withdrawn["items"]] == [second["id"]]
    assert_envelope(world.applicant.get(f"{APPS}?status=lost"), 422)
    assert_envelope(world.applicant.get(f"{APPS}?cursor=garbage"), 422)


def test_my_applications_list_is_for_applicants(world):
    assert_envelope(world.staff["tax"].get(APPS), 403)


def test_list_queries_use_an_index(world, db):
    from app.applications import repository as repo

    world.submit()
    for status in (None, "submitted"):
        query = repo.applicant_query(world.applicant.user["_id"], status)
        plan = db.applications.find(query).sort("_id", -1).explain()["queryPlanner"]
        assert "COLLSCAN" not in str(plan["winningPlan"])
    plan = db.applications.find({"tracking_no": "x"}).explain()["queryPlanner"]
    assert "COLLSCAN" not in str(plan["winningPlan"])


def test_involved_staff_download_cited_files_others_do_not(world, users):
    case = world.submit()
    path = f"/api/v1/attachments/{world.articles}"
    assert world.staff["si"].get(path).status_code == 200
    assert users.staff("PSB-330100", ("window",)).get(path).status_code == 200
    assert_envelope(users.staff("EDU-330100").get(path), 404)
    assert world.applicant.get(path).status_code == 200
    assert case["materials"][0]["attachment_id"] == world.articles


def test_staff_read_a_cited_certificate_through_the_case_and_the_holder_sees_it(world, users, db):
    case = world.submit()
    path = f"{APPS}/{case['id']}/materials/legal_rep_id/certificate"
    response = world.staff["tax"].get(path)
    assert response.status_code == 200
    assert response.get_json()["id"] == world.id_card
    assert response.get_json()["type"] == "resident_id_card"
    entry = db.certificate_access.find_one({"certificate_id": ObjectId(world.id_card)})
    assert entry["reader"]["department"] == "TAX-330100"
    assert entry["case"]["tracking_no"] == case["tracking_no"]
    # A material that is a file, an unknown key, an outsider: nothing read, nothing logged.
    assert_envelope(
        world.staff["tax"].get(f"{APPS}/{case['id']}/materials/articles/certificate"), 404
    )
    assert_envelope(world.staff["tax"].get(f"{APPS}/{case['id']}/materials/nope/certificate"), 404)
    assert_envelope(users.staff("EDU-330100").get(path), 404)
    assert_envelope(users.supervisor("330100").get(path), 403)
    assert db.certificate_access.count_documents({}) == 1


def test_a_second_attachment_upload_for_a_supplement_is_private_until_cited(world, users):
    fresh = upload_id(world.applicant)
    assert_envelope(world.staff["si"].get(f"/api/v1/attachments/{fresh}"), 404)
