"""bench/locustfile.py under Locust's headless CLI, as `make bench` drives it (bench/locust_run.py):
a scenario's requests land in the CSV statistics the bench table is printed from, failures are
counted, and a work-list phase ends when its work runs out, not at its time limit."""

from __future__ import annotations

import pytest

from app.platform.embedded import free_port
from bench import locust_run
from tests.conftest import TEST_KEYS
from tests.processes import gunicorn, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def server(app, db_server, db):
    env = {
        "MONGO_URI": db_server.uri,
        "ONEVISIT_DB_NAME": db.name,
        "ONEVISIT_ENV": "test",
        "ONEVISIT_JWT_KEYS": TEST_KEYS,
        "ONEVISIT_LOG_LEVEL": "WARNING",
    }
    port = free_port()
    process = gunicorn(port, env, workers=1)
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_a_scenario_runs_headless_and_its_statistics_are_read(server, users):
    resident = users.resident()
    result = locust_run.run("MeUser", server, {"resident_tokens": [resident.token]}, 2, 3)
    row = result.stats["GET /me"]
    # No throughput asserted (the machine may be loaded): requests made, none failed.
    assert row["requests"] > 0 and row["errors"] == 0, result.samples
    assert row["rps"] > 0 and 0 < row["p50"] <= row["p95"] <= row["p99"]


def test_refused_requests_are_counted_as_errors_with_samples(server):
    result = locust_run.run("MeUser", server, {"resident_tokens": ["not-a-token"]}, 1, 1)
    row = result.stats["GET /me"]
    assert row["errors"] == row["requests"] > 0
    assert any("401" in sample for sample in result.samples)


def test_a_work_list_phase_stops_when_the_work_runs_out(server, users):
    staff = users.staff("AMR-330100", duties=("window",))
    work = ["0" * 24, "1" * 24, "2" * 24]
    ctx = {"window_token": staff.token, "work": work}
    result = locust_run.run("AcceptUser", server, ctx, 2, 60)
    assert result.stats["accept"]["requests"] == 3  # each record once, then the users stop
    assert result.elapsed < 45
    assert result.outputs == []  # none was accepted (no such applications)


def test_against_a_deployment_the_users_prepare_themselves(app, server, monkeypatch):
    """No context: the accounts `python -m bench.seed accounts` made are signed in, files
    uploaded and applications submitted over HTTP, then the scenario runs on them."""
    from app.seed import seed_demo
    from bench.seed import seed_accounts

    with app.app_context():
        assert seed_demo() is True
    code = seed_accounts(app, server, residents=2, matter_code=None)
    monkeypatch.setenv("BENCH_RESIDENTS", "2")
    monkeypatch.setenv("BENCH_MATTER", code)
    result = locust_run.run("GetApplicationUser", server, None, 2, 3)
    row = result.stats.get("get")
    assert row and row["requests"] > 0 and row["errors"] == 0, result.samples
