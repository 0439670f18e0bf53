"""deploy/: the Prometheus alert rules and the Grafana dashboard name only metrics that a real
/metrics scrape shows, and the rules file is valid (promtool, where it is installed)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from app import clock
from app.platform import metrics
from app.platform.worker import Worker

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
RULES = DEPLOY / "prometheus" / "alerts.yml"
DASHBOARD = DEPLOY / "grafana" / "onevisit-dashboard.json"
# Series Prometheus makes itself, not the application.
PROMETHEUS_OWN = {"up"}
_ONEVISIT = re.compile(r"\bonevisit_[a-z0-9_]+\b")


def _rule_expressions() -> list[str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def _dashboard_expressions() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [target["expr"] for panel in panels for target in panel["targets"]]


@pytest.fixture
def scraped_names(app, client, users) -> set[str]:
    """Every name a scrape shows once each kind of figure has a value."""
    users.resident().get("/api/v1/me")
    Worker(app).run_once()
    clock.unfreeze()
    response = client.get("/metrics")
    assert response.status_code == 200
    return metrics.metric_names(response.get_data(as_text=True))


def test_every_alert_rule_names_metrics_that_exist(scraped_names):
    expressions = _rule_expressions()
    assert len(expressions) >= 8
    named = {name for expr in expressions for name in _ONEVISIT.findall(expr)}
    assert named, "the rules name no OneVisit metric"
    assert named <= scraped_names, named - scraped_names
    other = {
        name
        for expr in expressions
        for name in re.findall(r"\b([a-z_]+)\{", expr)
        if not name.startswith("onevisit_")
    }
    assert other <= PROMETHEUS_OWN, other


def test_every_dashboard_panel_queries_metrics_that_exist(scraped_names):
    expressions = _dashboard_expressions()
    assert expressions
    named = {name for expr in expressions for name in _ONEVISIT.findall(expr)}
    assert named <= scraped_names, named - scraped_names
    # Each exported metric family appears on the dashboard.
    families = {
        "onevisit_http_requests_total",
        "onevisit_http_request_duration_seconds_bucket",
        "onevisit_http_request_db_commands_sum",
        "onevisit_outbox_oldest_age_seconds",
        "onevisit_outbox_pending_documents",
        "onevisit_push_dead_letters",
        "onevisit_sla_events_raised_total",
        "onevisit_worker_last_pass_timestamp_seconds",
    }
    assert families <= named, families - named


def test_every_alert_has_a_severity_and_a_summary():
    groups = yaml.safe_load(RULES.read_text())["groups"]
    for rule in (r for g in groups for r in g["rules"]):
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_promtool_accepts_the_rules():
    result = subprocess.run(
        ["promtool", "check", "rules", str(RULES)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
