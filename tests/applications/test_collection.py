"""The applications collection guards its own shape and carries the indexes its reads need."""

import pytest
from bson import ObjectId
from pymongo.errors import WriteError

from tests.applications.world import APPS


def test_the_validator_refuses_a_case_in_an_unknown_state(world, db):
    case = world.submit()
    doc = db.applications.find_one({"_id": ObjectId(case["id"])})
    doc.update(_id=ObjectId(), tracking_no="ZJ20990101000001", status="lost")
    with pytest.raises(WriteError):
        db.applications.insert_one(doc)
    with pytest.raises(WriteError):
        db.applications.update_one({"_id": ObjectId(case["id"])}, {"$set": {"version": 0}})
    assert world.applicant.get(f"{APPS}/{case['id']}").get_json()["version"] == 1


def test_tracking_numbers_are_unique_by_index(world, db):
    case = world.submit()
    doc = db.applications.find_one({"_id": ObjectId(case["id"])})
    doc["_id"] = ObjectId()
    with pytest.raises(Exception, match="duplicate key|E11000"):
        db.applications.insert_one(doc)
    assert db.applications.count_documents({}) == 1


def test_the_indexes_every_read_relies_on_exist(db):
    names = set(db.applications.index_information())
    assert {
        "tracking_no_unique",
        "applicant_newest",
        "applicant_status_newest",
        "inbox_urgent",
        "region_newest",
        "sla_warn_sweep",
        "sla_overdue_sweep",
    } <= names
