"""A submission rerun after a crash (its insert committed, its reply lost) answers with the
application its first run created: `make fault` found duplicates without this."""

from tests.applications.world import APPS


def test_a_rerun_after_a_crash_answers_with_the_first_application(world, db):
    headers = {"Idempotency-Key": "crash-submit-1"}
    first = world.applicant.post(APPS, json=world.body(), headers=headers)
    assert first.status_code == 201
    again = world.applicant.post(APPS, json=world.body(), headers=headers)
    assert again.status_code == 201, again.get_json()
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.get_json()["tracking_no"] == first.get_json()["tracking_no"]
    assert db.applications.count_documents({}) == 1


def test_without_a_key_every_submission_is_its_own_application(world, db):
    assert world.applicant.post(APPS, json=world.body()).status_code == 201
    assert world.applicant.post(APPS, json=world.body()).status_code == 201
    assert db.applications.count_documents({}) == 2
