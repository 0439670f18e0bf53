"""Acting for someone else: my delegations (made and received) and my dependants."""

from __future__ import annotations

from flask.views import MethodView

from app.accounts import delegations
from app.accounts.auth import current_user
from app.http.api import Blueprint
from schemas.base import PageArgs, page_of
from schemas.delegations import (
    DelegationCreateSchema,
    DelegationSchema,
    DependantCreateSchema,
    DependantListSchema,
    DependantSchema,
)

blp = Blueprint(
    "delegations",
    __name__,
    url_prefix="/api/v1/me",
    description="Acting for someone else. A grantee sends `On-Behalf-Of: <grantor id>` on POST "
    "/applications, GET /applications..., supplements and ratings (and on wallet reads with "
    "scope apply_and_wallet); the case's applicant is the grantor and its timeline names both. "
    "A guardian acts for a registered dependant the same way, with the dependant's id. "
    "Without a live grant the header answers 403; a revoked or expired grant stops at once.",
)
PEOPLE = ("resident", "enterprise")


@blp.route("/delegations")
class Delegations(MethodView):
    @blp.doc(operationId="grantDelegation")
    @blp.auth(*PEOPLE)
    @blp.idempotent
    @blp.arguments(DelegationCreateSchema)
    @blp.response(201, DelegationSchema)
    def post(self, data):
        """Let the holder of a phone number act for me within a scope, until expires_at
        (a number without an account: the grant applies once that account exists); audited"""
        return delegations.grant(current_user(), data)

    @blp.doc(operationId="listDelegations")
    @blp.auth(*PEOPLE)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_of(DelegationSchema))
    def get(self, args):
        """Delegations I made and those made to me, newest first, with their status"""
        return delegations.page(current_user(), args["limit"], args["cursor"]).to_dict()


@blp.route("/delegations/<string:delegation_id>")
class DelegationById(MethodView):
    @blp.doc(operationId="revokeDelegation")
    @blp.auth(*PEOPLE)
    @blp.not_found
    @blp.response(204)
    def delete(self, delegation_id):
        """Revoke a delegation I made (or give up one made to me); it stops at once; audited"""
        delegations.revoke(current_user(), delegation_id)


@blp.route("/dependants")
class Dependants(MethodView):
    @blp.doc(operationId="registerDependant")
    @blp.auth("resident")
    @blp.idempotent
    @blp.arguments(DependantCreateSchema)
    @blp.response(201, DependantSchema)
    @blp.alt_response(409, description="This child is registered already")
    def post(self, data):
        """Register a minor child I am the guardian of (no login of their own): a
        checksum-valid GB 11643 ID number whose birth date makes them under the DomainRules
        adult age (18); then act for them with On-Behalf-Of: <dependant id>; audited"""
        return delegations.add_dependant(current_user(), data)

    @blp.doc(operationId="listDependants")
    @blp.auth("resident")
    @blp.response(200, DependantListSchema)
    def get(self):
        """My dependants"""
        return {"items": delegations.dependants(current_user())}
