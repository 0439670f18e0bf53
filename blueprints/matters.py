"""The service catalogue: anyone reads it; admins add service items and new versions."""

from __future__ import annotations

from flask.views import MethodView

from app.accounts.auth import current_user
from app.approval import service as instant
from app.catalogue import service as catalogue
from app.http.api import VERSION_ETAG, Blueprint, etag_for, if_match_version
from schemas.approval import AutoApprovalResultSchema, AutoApprovalTestSchema
from schemas.base import page_of
from schemas.matters import (
    MatterDefinitionSchema,
    MatterListArgs,
    MatterSchema,
    MatterSummarySchema,
    MatterUpdateSchema,
    MatterVersionArgs,
)

blp = Blueprint(
    "matters", __name__, url_prefix="/api/v1", description="Service items (the catalogue)"
)


@blp.route("/matters")
class Matters(MethodView):
    @blp.doc(operationId="listMatters")
    @blp.public_cache
    @blp.arguments(MatterListArgs, location="query")
    @blp.response(200, page_of(MatterSummarySchema))
    def get(self, args):
        """Current service items in code order; every filter narrows the list"""
        return catalogue.list_matters(
            q=args.get("q"),
            category=args.get("category"),
            audience=args.get("audience"),
            max_visits=args.get("max_visits"),
            region=args.get("region"),
            limit=args["limit"],
            cursor=args["cursor"],
        ).to_dict()


@blp.route("/matters/<string:code>")
class MatterByCode(MethodView):
    @blp.doc(operationId="getMatter")
    @blp.public_cache
    @blp.not_found
    @blp.arguments(MatterVersionArgs, location="query")
    @blp.response(200, MatterSchema, headers=VERSION_ETAG)
    def get(self, args, code):
        """A service item's full definition: the current version, or `?version=N`"""
        doc = catalogue.get_matter(code, args.get("version"))
        return doc, 200, {"ETag": etag_for(doc["version"])}


@blp.route("/admin/matters")
class AdminMatters(MethodView):
    @blp.doc(operationId="createMatter")
    @blp.links(
        {"code": "$response.body#/code"}, "matters.MatterByCode", "matters.AdminMatterByCode"
    )
    @blp.auth("admin")
    @blp.idempotent
    @blp.arguments(MatterDefinitionSchema)
    @blp.response(201, MatterSchema, headers=VERSION_ETAG)
    @blp.alt_response(409, description="A service item with this code exists already")
    def post(self, definition):
        """Add a service item (version 1)"""
        doc = catalogue.create_matter(definition, current_user())
        return doc, 201, {"ETag": etag_for(doc["version"])}


@blp.route("/admin/matters/<string:code>")
class AdminMatterByCode(MethodView):
    @blp.doc(operationId="updateMatter")
    @blp.auth("admin")
    @blp.if_match
    @blp.not_found
    @blp.arguments(MatterUpdateSchema)
    @blp.response(200, MatterSchema, headers=VERSION_ETAG)
    def put(self, definition, code):
        """Save a new version of a service item; earlier versions stay readable, and
        applications keep the version they were submitted under"""
        doc = catalogue.update_matter(code, definition, current_user(), if_match_version())
        return doc, 200, {"ETag": etag_for(doc["version"])}


@blp.route("/admin/matters/<string:code>/auto-approval/test")
class AdminAutoApprovalTest(MethodView):
    @blp.doc(operationId="testAutoApproval")
    @blp.auth("admin")
    @blp.not_found
    @blp.arguments(AutoApprovalTestSchema)
    @blp.response(200, AutoApprovalResultSchema)
    def post(self, body, code):
        """Admins: what the current instant-approval rules (秒批) of a service item would
        decide for an applicant submitting this form, and which rules fail and why; nothing
        is filed"""
        return instant.test_rules(code, body["form"], body["applicant_id"])
