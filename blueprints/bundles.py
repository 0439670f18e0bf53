"""One thing, one application (一件事一次办): the bundle catalogue (anyone reads it; admins
write new versions) and the bundle applications residents and enterprises file."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.accounts import acting
from app.accounts.auth import current_user
from app.bundles import service
from app.http.api import VERSION_ETAG, Blueprint, etag_for, if_match_version
from schemas.base import PageArgs, page_of
from schemas.bundles import (
    BundleApplicationCreateSchema,
    BundleApplicationSchema,
    BundleDefinitionSchema,
    BundleListArgs,
    BundleSchema,
    BundleUpdateSchema,
    BundleVersionArgs,
)

blp = Blueprint(
    "bundles",
    __name__,
    url_prefix="/api/v1",
    description="Bundles (一件事一次办): a life event or business event served by several "
    "service items, applied for once. The bundle application files its items' applications "
    "(in parallel where it can; an item fed by another's certificate is filed automatically "
    "when that item completes) and rolls up their status, due time and timeline.",
)

APPLICANTS = ("resident", "enterprise")
READERS = ("resident", "enterprise", "staff", "supervisor")


def _case(doc: dict[str, Any], status: int = 200):
    return service.present(doc), status, {"ETag": etag_for(doc["version"])}


@blp.route("/bundles")
class Bundles(MethodView):
    @blp.doc(operationId="listBundles")
    @blp.links({"code": "$response.body#/items/0/code"}, "bundles.BundleByCode", status=200)
    @blp.public_cache
    @blp.arguments(BundleListArgs, location="query")
    @blp.response(200, page_of(BundleSchema))
    def get(self, args):
        """Current bundles in code order (anyone); `q` searches the names, `audience` narrows"""
        return service.list_bundles(
            q=args.get("q"),
            audience=args.get("audience"),
            limit=args["limit"],
            cursor=args["cursor"],
        ).to_dict()


@blp.route("/bundles/<string:code>")
class BundleByCode(MethodView):
    @blp.doc(operationId="getBundle")
    @blp.public_cache
    @blp.not_found
    @blp.arguments(BundleVersionArgs, location="query")
    @blp.response(200, BundleSchema, headers=VERSION_ETAG)
    def get(self, args, code):
        """A bundle's definition (anyone): the current version, or `?version=N`"""
        doc = service.get_bundle(code, args.get("version"))
        return doc, 200, {"ETag": etag_for(doc["version"])}


@blp.route("/admin/bundles")
class AdminBundles(MethodView):
    @blp.doc(operationId="createBundle")
    @blp.links(
        {"code": "$response.body#/code"}, "bundles.BundleByCode", "bundles.AdminBundleByCode"
    )
    @blp.auth("admin")
    @blp.idempotent
    @blp.arguments(BundleDefinitionSchema)
    @blp.response(201, BundleSchema, headers=VERSION_ETAG)
    @blp.alt_response(409, description="A bundle with this code exists already")
    def post(self, definition):
        """Add a bundle, version 1 (admins). 422 when an item is unknown or not for the
        bundle's audience, when a dependency or feed names an item outside the bundle, or when
        the dependencies form a cycle"""
        doc = service.create_bundle(definition, current_user())
        return doc, 201, {"ETag": etag_for(doc["version"])}


@blp.route("/admin/bundles/<string:code>")
class AdminBundleByCode(MethodView):
    @blp.doc(operationId="updateBundle")
    @blp.auth("admin")
    @blp.if_match
    @blp.not_found
    @blp.arguments(BundleUpdateSchema)
    @blp.response(200, BundleSchema, headers=VERSION_ETAG)
    def put(self, definition, code):
        """Save a new version of a bundle (admins); bundle applications keep the version they
        were submitted under. Checked as on creation"""
        doc = service.update_bundle(code, definition, current_user(), if_match_version())
        return doc, 200, {"ETag": etag_for(doc["version"])}


_BY_ID = {"bundle_application_id": "$response.body#/id"}


@blp.route("/bundle-applications")
class BundleApplications(MethodView):
    @blp.doc(operationId="submitBundleApplication")
    @blp.links(_BY_ID, "bundles.BundleApplicationById", status=201)
    @blp.links(
        {"application_id": "$response.body#/children/0/application_id"},
        "applications.ApplicationById",
        status=201,
    )
    @blp.auth(*APPLICANTS)
    @blp.on_behalf()
    @blp.idempotent
    @blp.arguments(BundleApplicationCreateSchema)
    @blp.response(201, BundleApplicationSchema, headers=VERSION_ETAG)
    def post(self, data):
        """Apply for a whole bundle at once (residents and enterprises, for the bundle's
        audience). The shared fields and every item's form and materials are checked first and
        every problem is answered at once (item errors under `items.<matter_code>`); then one
        transaction files the bundle and each item without dependencies"""
        return _case(service.submit(acting.subject(), data), 201)

    @blp.doc(operationId="listBundleApplications")
    @blp.links(
        {"bundle_application_id": "$response.body#/items/0/id"},
        "bundles.BundleApplicationById",
        status=200,
    )
    @blp.auth(*READERS)
    @blp.on_behalf()
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_of(BundleApplicationSchema))
    def get(self, args):
        """Bundle applications, newest first: the owner's own; staff: those involving their
        department; supervisors: those of their region or below"""
        return service.list_visible(acting.subject(), args["limit"], args["cursor"]).to_dict()


@blp.route("/bundle-applications/<string:bundle_application_id>")
class BundleApplicationById(MethodView):
    @blp.doc(operationId="getBundleApplication")
    @blp.links(
        {"application_id": "$response.body#/children/0/application_id"},
        "applications.ApplicationById",
        status=200,
    )
    @blp.auth(*READERS)
    @blp.on_behalf()
    @blp.not_found
    @blp.response(200, BundleApplicationSchema, headers=VERSION_ETAG)
    def get(self, bundle_application_id):
        """One bundle application with its children, rolled-up status, due time and timeline
        (owner; staff of a department involved in any item; supervisor of the region)"""
        return _case(service.load_visible(acting.subject(), bundle_application_id))
