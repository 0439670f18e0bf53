"""The matters repository: the current version, exact old versions, and the version swap."""

import pytest
from bson import ObjectId
from pymongo.errors import DuplicateKeyError

from app.catalogue import repository as matters_repo
from tests.matters import definition, store_matter


def test_current_version_and_any_exact_version_are_readable(db):
    v1 = store_matter(db, version=1, current=False, name="Old name")
    v2 = store_matter(db, version=2, current=True, name="New name")
    assert matters_repo.get_current("ZJ-COMPANY-SETUP")["_id"] == v2["_id"]
    assert matters_repo.get_version("ZJ-COMPANY-SETUP", 1)["_id"] == v1["_id"]
    assert matters_repo.get_version("ZJ-COMPANY-SETUP", 2)["name"]["en"] == "New name"


def test_unknown_code_or_version_reads_as_none(db):
    store_matter(db)
    assert matters_repo.get_current("ZJ-NOPE") is None
    assert matters_repo.get_version("ZJ-COMPANY-SETUP", 2) is None


def test_database_refuses_a_second_current_version_of_one_code(db):
    store_matter(db, version=1)
    with pytest.raises(DuplicateKeyError):
        store_matter(db, version=2)


def test_replace_current_leaves_exactly_one_current_version(db):
    v1 = store_matter(db)
    v2 = {**v1, "_id": ObjectId(), "version": 2, "name": {"zh-CN": "改名", "en": "Renamed"}}
    assert matters_repo.replace_current(v1, v2, []) is True
    assert [d["version"] for d in db.matters.find({"current": True})] == [2]
    assert db.matters.find_one({"_id": v1["_id"]})["current"] is False


def test_replace_current_from_a_stale_version_changes_nothing(db):
    v1 = store_matter(db)
    newer = {**v1, "_id": ObjectId(), "version": 2}
    assert matters_repo.replace_current(v1, newer, [])
    stale = {**v1, "_id": ObjectId(), "version": 2, "name": "Lost update"}
    assert matters_repo.replace_current(v1, stale, []) is False
    assert db.matters.count_documents({}) == 2
    assert matters_repo.get_current("ZJ-COMPANY-SETUP")["_id"] == newer["_id"]


def test_replace_current_with_a_taken_version_number_rolls_back(db):
    v1 = store_matter(db)
    store_matter(db, version=2, current=False)
    clash = {**v1, "_id": ObjectId(), "version": 2}
    with pytest.raises(DuplicateKeyError):
        matters_repo.replace_current(v1, clash, [])
    assert matters_repo.get_current("ZJ-COMPANY-SETUP")["_id"] == v1["_id"]


def test_validator_refuses_a_malformed_version_document(db):
    from pymongo.errors import WriteError

    with pytest.raises(WriteError):
        db.matters.insert_one({**definition(), "version": 0, "current": True})
