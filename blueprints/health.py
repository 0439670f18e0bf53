"""Liveness and readiness probes."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from marshmallow import Schema, fields

from app.http.api import Blueprint
from app.platform import health, metrics

blp = Blueprint("health", __name__, url_prefix="/", description="Probes for load balancers")


class HealthSchema(Schema):
    status = fields.String(required=True)
    checks = fields.Dict(keys=fields.String())


@blp.route("/healthz")
class Liveness(MethodView):
    @blp.doc(operationId="getLiveness")
    @blp.response(200, HealthSchema)
    def get(self):
        """The process is up (no dependencies checked)"""
        return {"status": "ok"}


@blp.route("/readyz")
class Readiness(MethodView):
    @blp.doc(operationId="getReadiness")
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema, description="Not ready: see checks")
    def get(self):
        """The database answers and every migration is applied"""
        report = health.readiness(current_app)
        return report, (200 if report["status"] == "ok" else 503)


@blp.route("/metrics")
class Metrics(MethodView):
    @blp.doc(
        operationId="getMetrics",
        responses={
            200: {
                "description": "Prometheus text exposition format 0.0.4",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            },
            403: {"description": "The caller's address is not in ONEVISIT_METRICS_ALLOW"},
        },
    )
    def get(self):
        """Operator metrics for Prometheus: requests by route template, method and status,
        latency, database commands per request, outbox backlog and age, push dead letters,
        SLA warnings and overdue cases raised, the worker's last successful pass
        (docs/operations.md, "Metrics"). Only from ONEVISIT_METRICS_ALLOW (default loopback)."""
        return metrics.response()
