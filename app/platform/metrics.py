"""Operator metrics: `GET /metrics` in Prometheus text format, from the addresses in
ONEVISIT_METRICS_ALLOW only (docs/operations.md, "Metrics").

Two kinds of figures:
- **per request**, measured by this process's request hook: requests by route template (the
  URL rule, never the raw path, so the label set stays bounded), method and status; latency;
  database commands (round trips) per request, counted by app/db.py's CommandCounter. Under
  gunicorn they are kept in prometheus-client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR,
  set and emptied by app/platform/gunicorn_conf.py at start), so a scrape answered by any
  worker sums every worker's figures;
- **of the whole system**, read from the database at scrape time: the outbox's backlog and its
  oldest entry's age, push dead letters, SLA warnings and overdue cases raised, the
  workers' last successful pass. The worker may run on another host or container than the
  web processes (docker-compose does that), so it exports nothing itself: what it did is in
  the database, and any web process reports it.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import time
from collections.abc import Iterator

from flask import Flask, Response, current_app, g, request
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from app import db as database
from app.config import IPNetwork, parse_networks
from app.http.errors import Forbidden

log = logging.getLogger("onevisit.metrics")
# `_created` samples exist only in single-process mode: leave them out, so a scrape shows the
# same names under gunicorn and in tests.
disable_created_metrics()

# This process's own metrics (single-process mode: tests, `flask run`). Under gunicorn the
# values live in PROMETHEUS_MULTIPROC_DIR's files and a scrape reads all of them.
REGISTRY = CollectorRegistry(auto_describe=True)
UNMATCHED = "(unmatched)"  # a path no route has: one label value, whatever the path

REQUESTS = Counter(
    "onevisit_http_requests",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "onevisit_http_request_duration_seconds",
    "Time from the request reaching the application to its response (first byte of a stream).",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
DB_COMMANDS = Histogram(
    "onevisit_http_request_db_commands",
    "Database commands (round trips) one request made, by route template and method.",
    ["route", "method"],
    buckets=(0, 1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 50),
    registry=REGISTRY,
)

# Supervision events counted as "SLA warnings and overdue cases raised".
SLA_EVENT_TYPES = ("sla_warning", "application_overdue", "complaint_overdue")


def init_app(app: Flask) -> None:
    """The allow-list is parsed once (a bad value stops start-up in Settings.validate)."""
    settings = app.extensions["settings"]
    app.extensions["metrics_allow"] = parse_networks(settings.metrics_allow)
    if settings.metrics_requests:
        app.before_request(_start)
        app.after_request(_observe)


def _start() -> None:
    # A tally already current (a bench probe counting an in-process request) is shared.
    tally = database.current_tally()
    g.metrics_tally = (tally, tally.total) if tally else (database.start_tally(), 0)
    g.metrics_own_tally = tally is None
    g.metrics_started = time.perf_counter()


def _observe(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    if started is None:  # a before_request hook ahead of ours answered
        return response
    tally, before = g.pop("metrics_tally")
    if g.pop("metrics_own_tally", True):
        database.stop_tally()
    rule = request.url_rule
    route = rule.rule if rule is not None else UNMATCHED
    method = request.method
    REQUESTS.labels(route, method, str(response.status_code)).inc()
    LATENCY.labels(route, method).observe(time.perf_counter() - started)
    DB_COMMANDS.labels(route, method).observe(tally.total - before)
    return response


# ---------------------------------------------------------------------------- who may scrape


def client_allowed(address: str | None, networks: tuple[IPNetwork, ...]) -> bool:
    """The client's address (request.remote_addr: the peer, or X-Forwarded-For's client when
    ONEVISIT_TRUSTED_PROXIES says a proxy stands in front) is in one of NETWORKS."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == net.version and ip in net for net in networks)


def check_scraper() -> None:
    if not client_allowed(request.remote_addr, current_app.extensions["metrics_allow"]):
        raise Forbidden("Metrics are served only to the addresses in ONEVISIT_METRICS_ALLOW.")


# ---------------------------------------------------------------------------- the scrape


class SystemCollector:
    """The figures the database holds, read at scrape time (a few indexed reads)."""

    def collect(self) -> Iterator[Metric]:
        from app import outbox
        from app.messaging import push_outbox_repository
        from app.oversight import repository as events
        from app.platform import worker_status

        up = GaugeMetricFamily(
            "onevisit_metrics_database_up",
            "1 when the scrape could read the database-held figures below, else 0.",
        )
        try:
            lag = outbox.backlog(count=True)
            dead = push_outbox_repository.dead_letters()
            raised = {t: events.raised(t) for t in SLA_EVENT_TYPES}
            last_pass = worker_status.last_pass()
        except Exception as exc:  # the database away: say so, never fail the scrape
            log.warning("metrics: database figures unavailable", extra={"error": repr(exc)})
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        oldest = GaugeMetricFamily(
            "onevisit_outbox_oldest_age_seconds",
            "Age of the oldest side effect waiting for the worker's relay (0 when none waits).",
        )
        oldest.add_metric([], lag["oldest_age_seconds"])
        yield oldest
        pending = GaugeMetricFamily(
            "onevisit_outbox_pending_documents",
            "Documents with side effects waiting for the relay, by collection.",
            labels=["collection"],
        )
        for name in outbox.COLLECTIONS:
            pending.add_metric([name], lag["collections"].get(name, {}).get("documents", 0))
        yield pending
        letters = GaugeMetricFamily(
            "onevisit_push_dead_letters",
            "Push rows dead-lettered after ONEVISIT_PUSH_MAX_ATTEMPTS, kept until housekeeping.",
        )
        letters.add_metric([], dead)
        yield letters
        sla = CounterMetricFamily(
            "onevisit_sla_events_raised",
            "SLA warnings and overdue cases raised (supervision events), by type.",
            labels=["type"],
        )
        for event_type, count in raised.items():
            sla.add_metric([event_type], count)
        yield sla
        worker = GaugeMetricFamily(
            "onevisit_worker_last_pass_timestamp_seconds",
            "Unix time of the most recent worker pass in which every step succeeded "
            "(absent until a worker has passed once).",
        )
        if last_pass is not None:
            worker.add_metric([], last_pass.timestamp())
            yield worker


def exposition() -> bytes:
    """Every metric in text format: the requests' (every worker's, in multiprocess mode) and
    the system's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        requests_registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(requests_registry)
    else:
        requests_registry = REGISTRY
    system = CollectorRegistry(auto_describe=False)
    system.register(SystemCollector())
    return generate_latest(requests_registry) + generate_latest(system)


def response() -> Response:
    check_scraper()
    resp = Response(exposition(), mimetype=None)
    # Our names are plain ASCII: the classic 0.0.4 format, which every Prometheus reads.
    resp.headers["Content-Type"] = CONTENT_TYPE_PLAIN_0_0_4
    return resp


def metric_names(text: str) -> set[str]:
    """The metric family names a scrape shows (for the alert-rule and dashboard checks)."""
    from prometheus_client.parser import text_string_to_metric_families

    names: set[str] = set()
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        for sample in family.samples:
            names.add(sample.name)
    return names


def prepare_multiprocess_dir(path: str | os.PathLike[str]) -> str:
    """Create PATH and empty it of an earlier run's files (stale pids would be summed in)."""
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):
        if name.endswith(".db"):
            os.remove(os.path.join(path, name))
    return str(path)
