"""Administration of complaint handling: the category list and Open311 API keys."""

from __future__ import annotations

from flask.views import MethodView

from app.complaints import categories, open311
from app.http.api import VERSION_ETAG, Blueprint, etag_for, if_match_version
from schemas.complaints import (
    CategoryBodySchema,
    CategoryCreateSchema,
    CategorySchema,
    Open311KeyCreateSchema,
    Open311KeySchema,
)

blp = Blueprint(
    "complaint_admin",
    __name__,
    url_prefix="/api/v1/admin",
    description="Administration: complaint categories and Open311 keys",
)


@blp.route("/complaint-categories")
class AdminCategories(MethodView):
    @blp.doc(operationId="createComplaintCategory")
    @blp.links(
        {"code": "$response.body#/code"},
        "complaints.CategoryByCode",
        "complaint_admin.AdminCategoryByCode",
    )
    @blp.auth("admin")
    @blp.idempotent
    @blp.arguments(CategoryCreateSchema)
    @blp.response(201, CategorySchema, headers=VERSION_ETAG)
    @blp.alt_response(409, description="A category with this code exists already")
    def post(self, data):
        """Create a complaint category (also an Open311 service)"""
        doc = categories.create(data)
        return doc, 201, {"ETag": etag_for(doc["version"])}


@blp.route("/complaint-categories/<string:code>")
class AdminCategoryByCode(MethodView):
    @blp.doc(operationId="replaceComplaintCategory")
    @blp.auth("admin")
    @blp.if_match
    @blp.not_found
    @blp.arguments(CategoryBodySchema)
    @blp.response(200, CategorySchema, headers=VERSION_ETAG)
    def put(self, data, code):
        """Replace a category's definition (name, time limit, default department, questions);
        complaints filed earlier keep the time limit they were filed under"""
        doc = categories.update(code, data, if_match_version())
        return doc, 200, {"ETag": etag_for(doc["version"])}


@blp.route("/open311/keys")
class Open311Keys(MethodView):
    @blp.doc(operationId="issueOpen311Key")
    @blp.links({"key_id": "$response.body#/id"}, "complaint_admin.Open311KeyById")
    @blp.auth("admin")
    @blp.idempotent
    @blp.arguments(Open311KeyCreateSchema)
    @blp.response(201, Open311KeySchema)
    def post(self, data):
        """Issue an Open311 API key (shown once; only its hash is stored; a retry with the same
        Idempotency-Key answers with the same key)"""
        return open311.issue_key(data["name"])


@blp.route("/open311/keys/<string:key_id>")
class Open311KeyById(MethodView):
    @blp.doc(operationId="revokeOpen311Key")
    @blp.auth("admin")
    @blp.not_found
    @blp.response(204)
    def delete(self, key_id):
        """Revoke an Open311 API key"""
        open311.revoke_key(key_id)
