"""Complaints, inquiries, suggestions and disputes (12345 hotline and mediation)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.accounts.auth import current_user
from app.complaints import categories
from app.complaints import service as complaints
from app.http.api import VERSION_ETAG, Blueprint, etag_for, if_match_version
from schemas.base import CataloguePageArgs, page_of
from schemas.cases import RatingSchema, ReasonSchema
from schemas.complaints import (
    AssignSchema,
    CategoryListSchema,
    CategorySchema,
    ComplaintCreateSchema,
    ComplaintListArgs,
    ComplaintSchema,
    ComplaintSummarySchema,
    ReplySchema,
    ResolveSchema,
    SessionInSchema,
)

blp = Blueprint(
    "complaints",
    __name__,
    url_prefix="/api/v1",
    description="Complaints, inquiries, suggestions and disputes (12345 / mediation)",
)
OWNERS = ("resident", "enterprise")


def _one(doc: dict[str, Any], status: int = 200):
    view = complaints.present(current_user(), doc)
    return view, status, {"ETag": etag_for(doc["version"])}


@blp.route("/complaint-categories")
class Categories(MethodView):
    @blp.doc(operationId="listComplaintCategories")
    @blp.public_cache
    @blp.arguments(CataloguePageArgs, location="query")
    @blp.response(200, CategoryListSchema)
    def get(self, args):
        """Complaint categories in code order (a dozen or so: one page unless `limit` asks
        for less): time limit, default department, questions"""
        return categories.page_active(args["limit"], args["cursor"]).to_dict()


@blp.route("/complaint-categories/<string:code>")
class CategoryByCode(MethodView):
    @blp.doc(operationId="getComplaintCategory")
    @blp.public_cache
    @blp.not_found
    @blp.response(200, CategorySchema, headers=VERSION_ETAG)
    def get(self, code):
        """One complaint category with its questions"""
        category = categories.get(code)
        return category, 200, {"ETag": etag_for(category["version"])}


# What uses a complaint's id: reading it and every transition (registered below by _action).
COMPLAINT_LINKS = (
    "complaints.ComplaintById",
    *(
        f"complaints.Complaint_{action}"
        for action in (
            "assign",
            "take",
            "refuse",
            "reply",
            "resolve",
            "confirm",
            "reopen",
            "rating",
            "sessions",
        )
    ),
)


@blp.route("/complaints")
class Complaints(MethodView):
    @blp.doc(operationId="fileComplaint")
    @blp.links({"complaint_id": "$response.body#/id"}, *COMPLAINT_LINKS)
    @blp.auth(*OWNERS)
    @blp.idempotent
    @blp.arguments(ComplaintCreateSchema)
    @blp.response(201, ComplaintSchema, headers=VERSION_ETAG)
    def post(self, data):
        """File a complaint, inquiry, suggestion or dispute; repeats are detected on arrival

        The clock starts now (`due_at`: the category's time limit in working days). A
        complaint of the same category by the same complainant, or within 200 m, filed within
        the last 30 days makes this one a repeat (`repeat_of`). `public: true` publishes the
        description and address (phone and ID numbers redacted) in Open311 GET requests."""
        publication = {"publish_text": data.pop("public")}
        return _one(complaints.submit(current_user(), data, open311=publication), 201)

    @blp.doc(operationId="listComplaints")
    @blp.links({"complaint_id": "$response.body#/items/0/id"}, *COMPLAINT_LINKS, status=200)
    @blp.auth("resident", "enterprise", "staff", "supervisor")
    @blp.arguments(ComplaintListArgs, location="query")
    @blp.response(200, page_of(ComplaintSummarySchema))
    def get(self, args):
        """Complaints I may see, newest first: my own (residents); my department's (staff;
        hotline staff: their queue); my region and below (supervisors)"""
        user = current_user()
        page = complaints.list_for(user, args.get("status"), args["limit"], args["cursor"])
        items = [{**doc, "overdue": complaints.is_overdue(doc)} for doc in page.items]
        return {"items": items, "next_cursor": page.next_cursor}


@blp.route("/complaints/<string:complaint_id>")
class ComplaintById(MethodView):
    @blp.doc(operationId="getComplaint")
    @blp.auth("resident", "enterprise", "staff", "supervisor")
    @blp.not_found
    @blp.response(200, ComplaintSchema, headers=VERSION_ETAG)
    def get(self, complaint_id):
        """One complaint with its timeline (404 for anyone who may not see it)"""
        return _one(complaints.read(current_user(), complaint_id))


def _action(
    path: str,
    operation_id: str,
    summary: str,
    roles: tuple[str, ...],
    schema=None,
    status: int = 200,
):
    """Register POST /complaints/{id}/<path> (OPERATION_ID in the OpenAPI document) with the
    usual auth, Idempotency-Key, If-Match and 404 handling and documentation."""

    def register(handler):
        def view_func(self, *args, **kwargs):
            return handler(*args, **kwargs)

        view_func.__doc__ = summary
        view_func.__name__ = "post"
        decorated = blp.response(status, ComplaintSchema, headers=VERSION_ETAG)(view_func)
        if schema is not None:
            decorated = blp.arguments(schema)(decorated)
        decorated = blp.not_found(decorated)
        decorated = blp.if_match(decorated)
        decorated = blp.idempotent(decorated)
        decorated = blp.auth(*roles)(decorated)
        decorated = blp.doc(operationId=operation_id)(decorated)
        view_class = type(f"Complaint_{path}", (MethodView,), {"post": decorated})
        blp.route(f"/complaints/<string:complaint_id>/{path}")(view_class)
        return handler

    return register


@_action(
    "assign",
    "assignComplaint",
    "Route to a department or a mediation organisation (staff of the complaint's hotline)\n\n"
    "Body: `{department}` or `{mediation_org}` (a department of kind mediation).",
    ("staff",),
    AssignSchema,
)
def _assign(data, complaint_id):
    return _one(complaints.assign(current_user(), complaint_id, data, if_match_version()))


@_action(
    "refuse",
    "refuseComplaint",
    "Refuse an assignment that is not ours (staff of the assigned department)\n\n"
    "The complaint goes back to the hotline queue with the reason; the time it was held "
    "here is charged to nobody (due_at moves back by it).",
    ("staff",),
    ReasonSchema,
)
def _refuse(data, complaint_id):
    return _one(complaints.refuse(current_user(), complaint_id, data["reason"], if_match_version()))


@_action(
    "take",
    "takeComplaint",
    "Take the case as its mediator (staff of the assigned mediation organisation)",
    ("staff",),
)
def _take(complaint_id):
    return _one(complaints.take(current_user(), complaint_id, if_match_version()))


@_action(
    "sessions",
    "recordMediationSession",
    "Record a mediation session with notes (the mediator; the first one takes the case)",
    ("staff",),
    SessionInSchema,
    201,
)
def _session(data, complaint_id):
    doc = complaints.record_session(current_user(), complaint_id, data, if_match_version())
    return _one(doc, 201)


@_action(
    "reply",
    "replyToComplaint",
    "Reply to the complainant (assigned staff)",
    ("staff",),
    ReplySchema,
)
def _reply(data, complaint_id):
    return _one(complaints.reply(current_user(), complaint_id, data["message"], if_match_version()))


@_action(
    "resolve",
    "resolveComplaint",
    "Resolve it (assigned staff); disputes need an outcome\n\n"
    "`outcome: settled` may carry the `agreement` text (optional: an oral agreement is "
    "lawful); `not_settled` needs `referral` (e.g. court). The clock stops; an unconfirmed "
    "resolution closes itself after 15 days.",
    ("staff",),
    ResolveSchema,
)
def _resolve(data, complaint_id):
    return _one(complaints.resolve(current_user(), complaint_id, data, if_match_version()))


@_action(
    "confirm",
    "confirmComplaint",
    "Accept the resolution and close the complaint (complainant)",
    OWNERS,
)
def _confirm(complaint_id):
    return _one(complaints.confirm(current_user(), complaint_id, if_match_version()))


@_action(
    "reopen",
    "reopenComplaint",
    "Reopen within 15 days of the resolution, with a reason (complainant)\n\n"
    "Back to the department that resolved it, with a fresh time limit.",
    OWNERS,
    ReasonSchema,
)
def _reopen(data, complaint_id):
    return _one(complaints.reopen(current_user(), complaint_id, data["reason"], if_match_version()))


@_action(
    "rating",
    "rateComplaint",
    "Rate the handling once, after resolution (complainant); 1-2 is a bad rating",
    OWNERS,
    RatingSchema,
)
def _rating(data, complaint_id):
    return _one(complaints.rate(current_user(), complaint_id, data, if_match_version()))
