"""The demo data shows a bad rating answered and re-rated, and one taken out on appeal."""

from app.oversight import kpi_rebuild
from app.seed import DEMO_PASSWORD, seed_demo


def login(client, phone):
    response = client.post("/api/v1/auth/login", json={"phone": phone, "password": DEMO_PASSWORD})
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def test_demo_rectifications_one_resolved_one_upheld_on_appeal(app, client, db):
    with app.app_context():
        assert seed_demo() is True
        seed_demo(force=True)  # loading again adds nothing
    assert sorted(d["status"] for d in db.rectifications.find({})) == [
        "appeal_upheld",
        "resolved",
    ]
    rerated = db.applications.find_one({"rating.round": 2})
    assert rerated["rating"]["score"] == 4
    assert db.applications.count_documents({"rating.excluded": True}) == 1
    stats = client.get(
        "/api/v1/stats/overview?department=AMR-330100", headers=login(client, "13600000001")
    ).get_json()
    assert stats["rectifications_opened"] == 2 and stats["appeals_upheld"] == 1
    assert stats["rectification_rate"] == 1.0
    recorded = _counters(db)
    with app.app_context():
        kpi_rebuild.rebuild()
    assert _counters(db) == recorded


def _counters(db):
    """The counters without the zeros a taken-back increment leaves (rebuild writes none)."""
    return {
        d["_id"]: {k: v for k, v in d["m"].items() if v not in (0, {})}
        for d in db.kpi_daily.find({})
    }
