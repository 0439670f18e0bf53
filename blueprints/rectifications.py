"""Good or bad, answered (好差评): the rectification a bad rating opens (call back, resolve,
appeal and the supervisor's decision) and the rankings of departments and windows."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.accounts.auth import current_user
from app.cases.workflow import describe
from app.http.api import VERSION_ETAG, Blueprint, etag_for, if_match_version
from app.rectifications import rankings, rules, service
from schemas.rectifications import (
    PublicRankingArgs,
    PublicRankingSchema,
    RankingArgs,
    RankingSchema,
    RectificationAppealDecisionSchema,
    RectificationAppealSchema,
    RectificationCallbackSchema,
    RectificationResolveSchema,
    RectificationSchema,
)

blp = Blueprint(
    "rectifications",
    __name__,
    url_prefix="/api/v1",
    description="A rating of 1 or 2 opens a rectification for the heads of the lead "
    "department (`GET /staff/inbox?kind=rectification`), due in "
    "`ONEVISIT_RECTIFICATION_WORKING_DAYS` (5) working days; once resolved, the applicant may "
    "rate once more. An upheld appeal takes the rating out of the KPIs. Transitions:\n\n"
    + "\n".join(f"- {line}" for line in describe(rules.MACHINE)),
)


def _one(doc: dict[str, Any], status: int = 200):
    return service.present(current_user(), doc), status, {"ETag": etag_for(doc["version"])}


RECTIFICATION_LINKS = (
    "rectifications.RectificationById",
    "rectifications.Callback",
    "rectifications.Resolve",
    "rectifications.Appeal",
    "rectifications.AppealDecision",
)


@blp.route("/rectifications/<string:rectification_id>")
class RectificationById(MethodView):
    @blp.doc(operationId="getRectification")
    @blp.auth("resident", "enterprise", "staff", "supervisor")
    @blp.not_found
    @blp.response(200, RectificationSchema, headers=VERSION_ETAG)
    def get(self, rectification_id):
        """One rectification (the applicant, the lead department's staff, supervisors of the
        region); 404 for anyone else"""
        return _one(service.get(current_user(), rectification_id))


@blp.route("/rectifications/<string:rectification_id>/callback")
class Callback(MethodView):
    @blp.doc(operationId="callBackRectification")
    @blp.auth("staff")
    @blp.idempotent
    @blp.if_match
    @blp.not_found
    @blp.arguments(RectificationCallbackSchema)
    @blp.response(200, RectificationSchema, headers=VERSION_ETAG)
    def post(self, data, rectification_id):
        """Record that the applicant was contacted (heads of the lead department)"""
        return _one(
            service.callback(current_user(), rectification_id, data["note"], if_match_version())
        )


@blp.route("/rectifications/<string:rectification_id>/resolve")
class Resolve(MethodView):
    @blp.doc(operationId="resolveRectification")
    @blp.auth("staff")
    @blp.idempotent
    @blp.if_match
    @blp.not_found
    @blp.arguments(RectificationResolveSchema)
    @blp.response(200, RectificationSchema, headers=VERSION_ETAG)
    def post(self, data, rectification_id):
        """Record what was done, after the call back (heads of the lead department); the
        applicant may then rate the application once more"""
        return _one(
            service.resolve(
                current_user(), rectification_id, data["action_taken"], if_match_version()
            )
        )


@blp.route("/rectifications/<string:rectification_id>/appeal")
class Appeal(MethodView):
    @blp.doc(operationId="appealRectification")
    @blp.auth("staff")
    @blp.idempotent
    @blp.if_match
    @blp.not_found
    @blp.arguments(RectificationAppealSchema)
    @blp.response(200, RectificationSchema, headers=VERSION_ETAG)
    def post(self, data, rectification_id):
        """Appeal a rating the department holds unfair, once (heads of the lead department)"""
        return _one(
            service.appeal(current_user(), rectification_id, data["reason"], if_match_version())
        )


@blp.route("/rectifications/<string:rectification_id>/appeal/decision")
class AppealDecision(MethodView):
    @blp.doc(operationId="decideRectificationAppeal")
    @blp.auth("supervisor")
    @blp.idempotent
    @blp.if_match
    @blp.not_found
    @blp.arguments(RectificationAppealDecisionSchema)
    @blp.response(200, RectificationSchema, headers=VERSION_ETAG)
    def post(self, data, rectification_id):
        """Decide an appeal (supervisors of the case's region): upheld takes the rating out of
        the KPIs; rejected sends the rectification back to the department"""
        return _one(
            service.decide_appeal(
                current_user(), rectification_id, data["upheld"], data["note"], if_match_version()
            )
        )


@blp.route("/stats/rankings")
class Rankings(MethodView):
    @blp.doc(operationId="getRankings")
    @blp.auth("supervisor")
    @blp.arguments(RankingArgs, location="query")
    @blp.response(200, RankingSchema)
    def get(self, args):
        """Departments or windows of my region ranked best first: satisfaction, then bad-rating
        rectification rate, then on-time rate (supervisors)"""
        return rankings.supervised(current_user(), args)


@blp.route("/public/stats/rankings")
class PublicRankings(MethodView):
    @blp.doc(operationId="getPublicRankings")
    @blp.arguments(PublicRankingArgs, location="query")
    @blp.response(200, PublicRankingSchema)
    def get(self, args):
        """The departments of a region ranked best first for one month (anyone; aggregates
        only, no person named)"""
        return rankings.public(args)
