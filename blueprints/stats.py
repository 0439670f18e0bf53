"""The reform's KPIs: for supervisors by region, department and period, and for the public."""

from __future__ import annotations

from flask.views import MethodView

from app.accounts.auth import current_user
from app.http.api import Blueprint
from app.oversight import stats as service
from schemas.stats import (
    DepartmentRankingSchema,
    KpiDepartmentsArgs,
    KpiOverviewArgs,
    KpiOverviewSchema,
    PublicKpiArgs,
)

blp = Blueprint(
    "stats", __name__, url_prefix="/api/v1", description="Reform KPIs (from daily counters)"
)


@blp.route("/stats/overview")
class Overview(MethodView):
    @blp.doc(operationId="getStatsOverview")
    @blp.auth("supervisor")
    @blp.arguments(KpiOverviewArgs, location="query")
    @blp.response(200, KpiOverviewSchema)
    def get(self, args):
        """KPIs of my region (or a region or department inside it) over China-local days"""
        return service.overview(current_user(), args)


@blp.route("/stats/departments")
class Departments(MethodView):
    @blp.doc(operationId="listDepartmentStats")
    @blp.auth("supervisor")
    @blp.arguments(KpiDepartmentsArgs, location="query")
    @blp.response(200, DepartmentRankingSchema)
    def get(self, args):
        """One KPI row per department of the region, ranked by `sort`"""
        return service.by_department(current_user(), args)


@blp.route("/public/stats")
class PublicStats(MethodView):
    @blp.doc(operationId="getPublicStats")
    @blp.arguments(PublicKpiArgs, location="query")
    @blp.response(200, KpiOverviewSchema)
    def get(self, args):
        """Aggregate KPIs for anyone (no personal data); the whole platform without `region`"""
        return service.public(args)
