"""Every catalogue and wallet query is answered from an index (explain shows no COLLSCAN)."""

from bson import ObjectId

from app.catalogue import repository as matters_repo
from app.catalogue import service as catalogue
from tests.matters import store_matter


def plan(cursor) -> str:
    return str(cursor.explain()["queryPlanner"]["winningPlan"])


def test_catalogue_queries_use_an_index(db):
    store_matter(db)
    facet = catalogue.facet_key("330100", "company", "enterprise", 0)
    term = catalogue.search_term("Company")
    queries = [
        matters_repo.current_by_facet(facet, None, 21),
        matters_repo.current_by_facet(facet, "ZJ-A", 21),
        matters_repo.current_by_facet(catalogue.facet_key(None, None, None, None), None, 21),
        matters_repo.current_by_search_key(term, None),
        matters_repo.current_by_search_key(term, "ZJ-A"),
        db.matters.find({"code": "ZJ-COMPANY-SETUP", "current": True}),
        db.matters.find({"code": "ZJ-COMPANY-SETUP", "version": 1}),
    ]
    for cursor in queries:
        assert "COLLSCAN" not in plan(cursor), plan(cursor)


def test_wallet_queries_use_an_index(db):
    holder = ObjectId()
    queries = [
        db.certificates.find({"holder_id": holder}).sort("_id", -1),
        db.certificates.find({"holder_id": holder, "_id": {"$lt": ObjectId()}}).sort("_id", -1),
        db.certificates.find({"holder_id": holder, "type": "business_licence"}).sort("_id", -1),
        db.certificates.find(
            {"holder_id": holder, "type": "business_licence", "_id": {"$lt": ObjectId()}}
        ).sort("_id", -1),
        db.certificates.find({"_id": {"$in": [ObjectId()]}, "holder_id": holder}),
        db.certificates.find({"_id": ObjectId(), "holder_id": holder}),
        db.certificates.find({"number": "ZJC20261126000001"}),
        db.certificate_access.find({"certificate_id": holder}).sort("_id", -1),
        db.certificate_access.find({"certificate_id": holder, "_id": {"$lt": ObjectId()}}).sort(
            "_id", -1
        ),
    ]
    for cursor in queries:
        assert "COLLSCAN" not in plan(cursor), plan(cursor)
