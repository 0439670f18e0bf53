"""The reform's KPIs on a hand-computed scenario, by region, department and China-local days;
and rebuilt counters == the counters the transitions recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app import clock
from app.oversight import kpi
from tests.conftest import assert_envelope, ensure_department
from tests.oversight_helpers import (
    complete_application,
    file_complaint,
    rate,
    reject_application,
    reopen_complaint,
    resolve_complaint,
    submit_application,
)


def cst(day: int, hour: int, minute: int = 0) -> datetime:
    """A China Standard Time moment in November 2026 (UTC+8), as UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


NOW = cst(26, 18)  # Thursday; 20 Nov is a Friday, 23 Nov a Monday; no holidays around
RANGE = "from=2026-11-20&to=2026-11-26"


@pytest.fixture
def scenario(app):
    """Applications and complaints of Hangzhou (330100), Tonglu (330122) and Ningbo (330200).

    Hand-computed KPIs for Hangzhou and below, 20-26 Nov (working hours count every hour of a
    working day, none of a weekend):
      applications: received 6 (A1-A5, B1), completed 4 (A1 2 h, A2 24 h, A3 24 h over a
      weekend, B1 1 h), online 2/4, one visit 3/4, on time 3/4, mean 12.75 h, p90 24 h;
      ratings 5, 2, 4 (applications) and 5 (complaint): satisfaction 3/4;
      complaints: received 3 (C1, C2 repeat of C1, C3 dispute), resolved 2 (C1 24 h on time;
      C3 not settled, reopened - which takes that resolution back - then settled 48 h after
      filing, on time): mean 36 h, on time 1.0, repeat 1/3, reopen 1/2, mediation 1/1.
    """
    for code, region, kind in (
        ("AMR-330100", "330100", "government"),
        ("CA-330100", "330100", "government"),
        ("TAX-330122", "330122", "government"),
        ("MED-330122", "330122", "mediation"),
        ("NR-330200", "330200", "government"),
    ):
        with app.app_context():
            ensure_department(code, region, kind)
    amr = {"department": "AMR-330100", "region": "330100"}
    a1 = submit_application(app, cst(23, 9), due_at=cst(24, 9), **amr)
    complete_application(app, a1, cst(23, 11), visits=0)
    rate(app, "application", a1, 5, cst(23, 12))
    a2 = submit_application(app, cst(23, 10), due_at=cst(24, 9), **amr)
    complete_application(app, a2, cst(24, 10), visits=1)
    rate(app, "application", a2, 2, cst(24, 11))
    a3 = submit_application(app, cst(20, 18), due_at=cst(24, 18), **amr)
    complete_application(app, a3, cst(23, 18), visits=2)
    # 07:00 in China on the 24th is still the 23rd in UTC: it counts on the 24th.
    submit_application(app, cst(24, 7), due_at=cst(27, 7), **amr)
    a5 = submit_application(app, cst(24, 9), **amr)
    reject_application(app, a5, cst(24, 15))
    b1 = submit_application(
        app, cst(23, 9), due_at=cst(24, 9), department="TAX-330122", region="330122"
    )
    complete_application(app, b1, cst(23, 10), visits=0)
    rate(app, "application", b1, 4, cst(23, 11))
    # Outside Hangzhou.
    n1 = submit_application(app, cst(23, 9), department="NR-330200", region="330200")
    complete_application(app, n1, cst(23, 10), visits=3)

    ca = {"department": "CA-330100", "region": "330100"}
    c1 = file_complaint(app, cst(23, 9), due_at=cst(27, 9), **ca)
    resolve_complaint(app, c1, cst(24, 9))
    rate(app, "complaint", c1, 5, cst(24, 12))
    file_complaint(app, cst(24, 9), repeat_of=c1["_id"], due_at=cst(28, 9), **ca)
    c3 = file_complaint(
        app,
        cst(23, 10),
        kind="dispute",
        due_at=cst(25, 12),
        department="MED-330122",
        region="330122",
    )
    resolve_complaint(app, c3, cst(24, 10), outcome="not_settled")
    reopen_complaint(app, c3, cst(24, 15))
    resolve_complaint(app, c3, cst(25, 10), outcome="settled")
    clock.freeze(NOW)


HANGZHOU = {
    "applications_received": 6,
    "applications_completed": 4,
    "online_rate": 0.5,
    "one_visit_rate": 0.75,
    "on_time_rate": 0.75,
    "avg_processing_hours": 12.75,
    "p90_processing_hours": 24.0,
    "ratings": 4,
    "satisfaction_rate": 0.75,
    "complaints_received": 3,
    "complaints_resolved": 2,
    "avg_complaint_hours": 36.0,
    "complaint_on_time_rate": 1.0,
    "repeat_rate": 0.3333,
    "reopen_rate": 0.5,
    "disputes_resolved": 1,
    "mediation_success_rate": 1.0,
}


def test_overview_of_a_region_and_everything_below_it(app, users, scenario):
    sup = users.supervisor("330100")
    response = sup.get(f"/api/v1/stats/overview?{RANGE}")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert {k: body[k] for k in HANGZHOU} == HANGZHOU
    assert (body["region"], body["from"], body["to"]) == ("330100", "2026-11-20", "2026-11-26")


def test_overview_of_a_county_a_department_and_a_narrower_range(app, users, scenario):
    sup = users.supervisor("330100")
    tonglu = sup.get(f"/api/v1/stats/overview?region=330122&{RANGE}").get_json()
    assert tonglu["applications_received"] == 1 and tonglu["online_rate"] == 1.0
    assert tonglu["avg_processing_hours"] == 1.0 and tonglu["p90_processing_hours"] == 1.0
    assert tonglu["complaints_resolved"] == 1 and tonglu["reopen_rate"] == 1.0
    assert tonglu["mediation_success_rate"] == 1.0 and tonglu["avg_complaint_hours"] == 48.0

    amr = sup.get(f"/api/v1/stats/overview?department=AMR-330100&{RANGE}").get_json()
    assert amr["department"] == "AMR-330100"
    assert (amr["applications_received"], amr["applications_completed"]) == (5, 3)
    assert (amr["online_rate"], amr["one_visit_rate"], amr["on_time_rate"]) == (
        0.3333,
        0.6667,
        0.6667,
    )
    assert amr["avg_processing_hours"] == round(50 / 3, 2)
    assert amr["satisfaction_rate"] == 0.5
    assert amr["complaints_received"] == 0 and amr["repeat_rate"] is None

    # The 24th alone (China-local): A4 (07:00 local, still the 23rd in UTC) and A5 arrive;
    # A2 completes; C2 arrives; C1 resolves; C3's first resolution was taken back.
    day = sup.get("/api/v1/stats/overview?from=2026-11-24&to=2026-11-24").get_json()
    assert day["applications_received"] == 2 and day["applications_completed"] == 1
    assert day["on_time_rate"] == 0.0
    assert day["complaints_received"] == 1 and day["complaints_resolved"] == 1
    assert day["reopen_rate"] == 1.0 and day["mediation_success_rate"] is None


def test_the_province_and_the_public_see_ningbo_too(app, users, scenario):
    province = users.supervisor("330000")
    body = province.get(f"/api/v1/stats/overview?{RANGE}").get_json()
    assert body["applications_received"] == 7 and body["applications_completed"] == 5
    assert body["online_rate"] == 0.4
    public = users.client.get(f"/api/v1/public/stats?{RANGE}")
    assert public.status_code == 200
    assert {k: public.get_json()[k] for k in HANGZHOU} == {k: body[k] for k in HANGZHOU}
    hz = users.client.get(f"/api/v1/public/stats?region=330100&{RANGE}").get_json()
    assert {k: hz[k] for k in HANGZHOU} == HANGZHOU
    assert "AMR-330100" not in str(hz)  # aggregate only


def test_departments_ranking_sorts_by_any_kpi(app, users, scenario):
    sup = users.supervisor("330100")
    body = sup.get(f"/api/v1/stats/departments?{RANGE}").get_json()
    rows = {r["department"]: r for r in body["items"]}
    assert set(rows) == {"AMR-330100", "CA-330100", "TAX-330122", "MED-330122"}
    assert [r["department"] for r in body["items"]][:2] == ["AMR-330100", "TAX-330122"]
    assert rows["CA-330100"]["complaints_received"] == 2 and rows["CA-330100"]["name"]
    assert rows["MED-330122"]["mediation_success_rate"] == 1.0

    by_online = sup.get(f"/api/v1/stats/departments?sort=-online_rate&{RANGE}").get_json()
    assert [r["department"] for r in by_online["items"]] == [
        "TAX-330122",  # 1.0
        "AMR-330100",  # 0.3333
        "CA-330100",  # null (nothing completed) last
        "MED-330122",
    ]
    ascending = sup.get(f"/api/v1/stats/departments?sort=online_rate&{RANGE}").get_json()
    assert [r["department"] for r in ascending["items"]][:2] == ["AMR-330100", "TAX-330122"]
    assert_envelope(sup.get("/api/v1/stats/departments?sort=password"), 422)


def test_stats_scope_and_arguments(app, users, anon, scenario):
    hangzhou = users.supervisor("330100")
    assert_envelope(anon.get("/api/v1/stats/overview"), 401)
    assert_envelope(users.resident().get("/api/v1/stats/overview"), 403)
    assert_envelope(hangzhou.get("/api/v1/stats/overview?region=330200"), 403)
    assert_envelope(hangzhou.get("/api/v1/stats/departments?region=330000"), 403)
    assert_envelope(hangzhou.get("/api/v1/stats/overview?department=NR-330200"), 403)
    assert_envelope(hangzhou.get("/api/v1/stats/overview?department=NOPE"), 422)
    assert_envelope(hangzhou.get("/api/v1/stats/overview?from=2026-11-26&to=2026-11-20"), 422)
    assert_envelope(hangzhou.get("/api/v1/stats/overview?from=yesterday"), 422)
    assert_envelope(anon.get("/api/v1/public/stats?region=999999"), 422)
    # Default range: the 30 China-local days up to today.
    assert hangzhou.get("/api/v1/stats/overview").get_json()["from"] == "2026-10-28"


def test_rebuilt_counters_equal_the_recorded_ones(app, db, scenario):
    recorded = {d["_id"]: d for d in db.kpi_daily.find()}
    result = app.test_cli_runner().invoke(args=["kpi", "rebuild"])
    assert result.exit_code == 0, result.output
    rebuilt = {d["_id"]: d for d in db.kpi_daily.find()}
    assert set(rebuilt) <= set(recorded)

    def nonzero(m, prefix=""):
        flat = {}
        for key, value in (m or {}).items():
            if isinstance(value, dict):
                flat.update(nonzero(value, f"{prefix}{key}."))
            elif abs(value) > 1e-9:
                flat[prefix + key] = pytest.approx(value)
        return flat

    for _id, doc in recorded.items():
        assert nonzero(rebuilt.get(_id, {}).get("m")) == nonzero(doc["m"]), _id
        if _id in rebuilt:
            assert rebuilt[_id]["region_path"] == doc["region_path"]


def test_kpi_queries_use_indexes(app, db, scenario):
    for query in (
        {"region_path": "330100", "day": {"$gte": "2026-11-01", "$lte": "2026-11-30"}},
        {"department": "AMR-330100", "day": {"$gte": "2026-11-01", "$lte": "2026-11-30"}},
        {"day": {"$gte": "2026-11-01", "$lte": "2026-11-30"}},
    ):
        assert "COLLSCAN" not in str(db.kpi_daily.find(query).explain()["queryPlanner"]), query


def test_p90_is_the_upper_bound_of_the_bucket_holding_the_90th_percentile(app):
    from app.oversight.stats import p90

    assert p90({}) is None
    assert p90({"le_1": 9, "le_48": 1}) == 1.0  # 9 of 10 within an hour
    assert p90({"le_1": 8, "le_48": 2}) == 48.0
    assert p90({"le_8": 1, "gt_max": 20}) == 720.0  # floor of the open bucket
    with app.app_context():
        assert kpi.rating_increments(2, "application") == {"ratings": 1, "bad_ratings": 1}
        assert kpi.rating_increments(4, "complaint") == {
            "complaint_ratings": 1,
            "complaint_ratings_satisfied": 1,
        }
