"""The list, inbox, repeat and sweep queries are answered by an index (no collection scan)."""

from datetime import timedelta

from bson import ObjectId

from app import clock
from app.complaints import repository as repo


def stages(plan: dict) -> set[str]:
    found = {plan.get("stage", "")}
    for key in ("inputStage", "outerStage", "innerStage"):
        if key in plan:
            found |= stages(plan[key])
    for child in plan.get("inputStages", []):
        found |= stages(child)
    return found


def plan_of(cursor) -> set[str]:
    return stages(cursor.explain()["queryPlanner"]["winningPlan"])


def test_hot_queries_use_an_index(app, db):
    now = clock.now()
    with app.app_context():
        coll = repo.coll()
        queries = {
            "owner": coll.find({"complainant_id": ObjectId()}).sort("_id", -1),
            "owner+status": coll.find({"complainant_id": ObjectId(), "status": "resolved"}).sort(
                "_id", -1
            ),
            "department": coll.find({"department": "AMR-330100"}).sort("_id", -1),
            "hotline": coll.find({"hotline": "HOTLINE-330100", "status": "submitted"}).sort(
                "_id", -1
            ),
            "region": coll.find({"region_path": "330100"}).sort("_id", -1),
            "inbox": coll.find({"open_department": "AMR-330100"}).sort("due_at", 1),
            "inbox overdue": coll.find(
                {"open_department": "AMR-330100", "due_at": {"$lt": now}}
            ).sort([("due_at", 1), ("_id", 1)]),
            "repeat by complainant": coll.find(
                {
                    "complainant_id": ObjectId(),
                    "category": "noise",
                    "created_at": {"$gte": now - timedelta(days=30)},
                }
            ),
            "repeat nearby": coll.find(
                repo.nearby_query("noise", 120.13, 30.259, 200, now - timedelta(days=30))
            ),
            "repeats of": coll.find({"repeat_of": ObjectId()}).sort("_id", 1),
            "auto-close sweep": coll.find(
                {"status": "resolved", "auto_close_at": {"$lte": now}}
            ).sort("auto_close_at", 1),
            "sla warning sweep": coll.find({"warn_at": {"$lte": now}}),
            "overdue sweep": coll.find({"overdue_at": {"$lte": now}}),
            "open311 list": coll.find(
                repo.open311_query(
                    start=now - timedelta(days=90), end=now, service_code="noise", states=None
                )
            ).sort("created_at", -1),
            "open311 token": coll.find({"open311.token": "abc"}),
            "tracking no": coll.find({"tracking_no": {"$in": ["RX1"]}}),
        }
        for name, cursor in queries.items():
            used = plan_of(cursor)
            assert "COLLSCAN" not in used, (name, used)
            assert {"IXSCAN", "GEO_NEAR_2DSPHERE", "EXPRESS_IXSCAN"} & used, (name, used)


def test_the_location_index_is_2dsphere(db):
    indexes = db.complaints.index_information()
    assert ("location", "2dsphere") in indexes["repeat_nearby"]["key"]
