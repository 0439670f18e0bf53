"""Operator metrics at /metrics: who may scrape, requests by route template with their latency
and database commands, and the figures read from the database at scrape time (outbox
backlog, push dead letters, SLA events, the worker's last pass)."""

from __future__ import annotations

import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app import clock
from app.accounts import service as accounts
from app.config import ConfigError, parse_networks
from app.messaging import push_delivery
from app.messaging.notify import notify
from app.messaging.push import PushError
from app.platform import metrics
from app.platform.embedded import free_port
from app.platform.worker import Worker
from tests.conftest import PASSWORD, TEST_KEYS, drain, make_settings
from tests.oversight_helpers import case
from tests.processes import gunicorn, wait_for
from tests.test_push_delivery import FakeProvider
from tests.test_sla_sweep import _sweep

NOW = datetime(2026, 11, 26, 10, tzinfo=UTC)


def scrape(client, **environ) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", environ_base=environ)
    assert response.status_code == 200, response.get_json()
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


# ------------------------------------------------------------------------------ who may scrape


def test_loopback_may_scrape_by_default(client):
    assert value(scrape(client), "onevisit_metrics_database_up") == 1


def test_another_address_is_refused_in_the_envelope(client):
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.status_code == 403
    body = response.get_json()
    assert (
        body["code"] == 403 and body["request_id"] and "ONEVISIT_METRICS_ALLOW" in body["message"]
    )


def test_x_forwarded_for_is_not_believed_without_a_trusted_proxy(client):
    response = client.get(
        "/metrics",
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
        headers={"X-Forwarded-For": "127.0.0.1"},
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "settings_overrides", [{"trusted_proxies": 1, "metrics_allow": "127.0.0.1, 10.20.0.0/16"}]
)
def test_behind_the_trusted_proxy_the_forwarded_client_decides(client):
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    allowed = client.get("/metrics", environ_base=proxy, headers={"X-Forwarded-For": "10.20.3.4"})
    assert allowed.status_code == 200
    # The proxy's own address does not let an outside client through it.
    outside = client.get("/metrics", environ_base=proxy, headers={"X-Forwarded-For": "8.8.8.8"})
    assert outside.status_code == 403


@pytest.mark.parametrize("settings_overrides", [{"metrics_allow": "::1, 192.0.2.0/24"}])
def test_the_allow_list_takes_addresses_and_cidrs_of_both_families(client):
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.77"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    # 127.0.0.1 is no longer listed; an IPv4-mapped address is judged as IPv4.
    assert client.get("/metrics").status_code == 403
    mapped = client.get("/metrics", environ_base={"REMOTE_ADDR": "::ffff:192.0.2.5"})
    assert mapped.status_code == 200


def test_a_malformed_allow_list_stops_start_up(db_server, tmp_path):
    with pytest.raises(ConfigError, match="ONEVISIT_METRICS_ALLOW"):
        make_settings(db_server, tmp_path, metrics_allow="127.0.0.1, localhost")


def test_client_allowed_refuses_what_is_not_an_address():
    networks = parse_networks("127.0.0.0/8")
    assert metrics.client_allowed("127.0.0.9", networks)
    assert not metrics.client_allowed(None, networks)
    assert not metrics.client_allowed("", networks)
    assert not metrics.client_allowed("unix:/run/socket", networks)


# ------------------------------------------------------------------------------ requests


def test_requests_are_counted_by_route_template_not_raw_path(client, users):
    resident = users.resident()
    before = scrape(client)
    route = "/api/v1/applications/<string:application_id>"
    for oid in ("0" * 24, "1" * 24, "2" * 24):
        assert resident.get(f"/api/v1/applications/{oid}").status_code == 404
    client.get("/no/such/path/12345")
    after = scrape(client)
    counted = "onevisit_http_requests_total"
    assert (
        value(after, counted, route=route, method="GET", status="404")
        - value(before, counted, route=route, method="GET", status="404")
        == 3
    )
    assert not any("0" * 24 in dict(labels).get("route", "") for _, labels in after)
    unmatched = dict(route="(unmatched)", method="GET", status="404")
    assert value(after, counted, **unmatched) - value(before, counted, **unmatched) == 1
    latency = "onevisit_http_request_duration_seconds_count"
    assert (
        value(after, latency, route=route, method="GET")
        - value(before, latency, route=route, method="GET")
        == 3
    )


def test_database_commands_per_request_are_observed(client):
    histogram = "onevisit_http_request_db_commands"
    before = scrape(client)
    client.get("/healthz")
    client.get("/readyz")
    after = scrape(client)

    def delta(route: str, suffix: str) -> float:
        name = f"{histogram}_{suffix}"
        return value(after, name, route=route, method="GET") - value(
            before, name, route=route, method="GET"
        )

    assert delta("/healthz", "count") == 1 and delta("/healthz", "sum") == 0
    # /readyz pings and reads the applied migrations: its own round trips, counted.
    assert delta("/readyz", "count") == 1 and delta("/readyz", "sum") >= 2


@pytest.mark.parametrize("settings_overrides", [{"metrics_requests": False}])
def test_the_request_hook_can_be_turned_off_for_measuring_its_cost(client):
    before = scrape(client)
    client.get("/healthz")
    after = scrape(client)
    name = "onevisit_http_requests_total"
    labels = dict(route="/healthz", method="GET", status="200")
    assert value(after, name, **labels) == value(before, name, **labels)


# ------------------------------------------------------------------------------ the system


def test_outbox_backlog_and_age_come_from_the_database(app, client):
    clock.freeze(NOW)
    with app.app_context():  # a registration queues its audit record; no relay runs here
        accounts.register(
            {"phone": "13512345678", "password": PASSWORD, "name": "Queued", "kind": "person"}
        )
    clock.advance(timedelta(seconds=42))
    samples = scrape(client)
    assert value(samples, "onevisit_outbox_oldest_age_seconds") == 42
    assert value(samples, "onevisit_outbox_pending_documents", collection="users") == 1
    drain(app)
    samples = scrape(client)
    assert value(samples, "onevisit_outbox_oldest_age_seconds") == 0
    assert value(samples, "onevisit_outbox_pending_documents", collection="users") == 0


@pytest.mark.parametrize(
    "settings_overrides", [{"push_max_attempts": 1, "push_backoff_seconds": 30}]
)
def test_push_dead_letters_are_counted(app, client, users):
    user = users.resident()
    user.post("/api/v1/me/devices", json={"platform": "fcm", "token": "token-dead-1"})
    assert value(scrape(client), "onevisit_push_dead_letters") == 0
    with app.app_context():
        notify(user.id, "status_changed", "Accepted", "in review")
        provider = FakeProvider({"token-dead-1": [PushError("410")]})
        assert push_delivery.deliver_due(provider, app.extensions["settings"], 10).dead == 1
    assert value(scrape(client), "onevisit_push_dead_letters") == 1


def test_sla_warnings_and_overdue_cases_raised_are_counted(app, client, users):
    users.staff("AMR-330100", duties=("window", "head"))
    clock.freeze(NOW)
    case(app, warn_at=NOW - timedelta(minutes=5))
    case(app, overdue_at=NOW - timedelta(minutes=5))
    _sweep(app)
    samples = scrape(client)
    raised = "onevisit_sla_events_raised_total"
    assert value(samples, raised, type="sla_warning") == 1
    assert value(samples, raised, type="application_overdue") == 1
    assert value(samples, raised, type="complaint_overdue") == 0


def test_the_workers_last_successful_pass_is_exported(app, client):
    name = "onevisit_worker_last_pass_timestamp_seconds"
    assert (name, ()) not in scrape(client)  # no worker has passed yet
    clock.freeze(NOW)
    Worker(app).run_once()
    assert value(scrape(client), name) == NOW.timestamp()


def test_a_failed_pass_is_not_a_successful_one(app, client):
    class Broken(Worker):
        def sweep_sla(self):
            raise RuntimeError("database away")

    clock.freeze(NOW)
    Broken(app).run_once()
    assert ("onevisit_worker_last_pass_timestamp_seconds", ()) not in scrape(client)


# ------------------------------------------------------------------------------ under gunicorn


@pytest.mark.slow
def test_under_gunicorn_a_scrape_sums_every_workers_requests(app, db_server, db, tmp_path):
    """Two workers, requests on new connections (spread over them as gunicorn pleases): every
    scrape, whichever worker answers it, shows them all; an earlier run's files are gone."""
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"stale from an earlier run")
    env = {
        "MONGO_URI": db_server.uri,
        "ONEVISIT_DB_NAME": db.name,
        "ONEVISIT_ENV": "test",
        "ONEVISIT_JWT_KEYS": TEST_KEYS,
        "ONEVISIT_LOG_LEVEL": "WARNING",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    port = free_port()
    server = gunicorn(port, env, workers=2)
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        assert not (metrics_dir / "counter_999999.db").exists()
        for _ in range(30):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10):
                pass
        seen = []
        for _ in range(6):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
                text = answer.read().decode()
            samples = {
                (s.name, tuple(sorted(s.labels.items()))): s.value
                for family in text_string_to_metric_families(text)
                for s in family.samples
            }
            # wait_for's probes (at least one) plus our 30.
            seen.append(
                value(
                    samples,
                    "onevisit_http_requests_total",
                    route="/healthz",
                    method="GET",
                    status="200",
                )
            )
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert len(set(seen)) == 1 and seen[0] >= 31, seen
