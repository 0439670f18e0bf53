"""Stand-in for `GET /api/v1/staff/inbox?kind=complaints` until the staff inbox of the
applications feature (app/services/inbox.py + blueprints/staff.py) is merged: then this
module is not registered (see blueprints/__init__.py) and the complaint provider registers
itself with that inbox instead (app/services/complaints.py). Same path, same query
arguments, same item shape."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from app.api import Blueprint
from app.auth import current_user
from app.services import complaints
from schemas.base import Id, PageArgs, UTCDateTime, page_of

blp = Blueprint(
    "staff_complaints", __name__, url_prefix="/api/v1/staff", description="Staff work queues"
)


class InboxArgs(PageArgs):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(["complaints"]),
        metadata={"description": "complaints (acceptance and review come with applications)"},
    )
    overdue = fields.Boolean(
        load_default=None, metadata={"description": "true: only overdue; false: only on time"}
    )


class InboxItemSchema(Schema):
    kind = fields.String(metadata={"enum": ["application", "complaint"]})
    id = Id(attribute="_id")
    tracking_no = fields.String()
    status = fields.String()
    title = fields.String()
    department = fields.String(allow_none=True)
    region = fields.String(allow_none=True)
    submitted_at = UTCDateTime()
    due_at = UTCDateTime(allow_none=True)
    overdue = fields.Boolean()
    version = fields.Integer()
    complaint_kind = fields.String(
        metadata={"enum": ["complaint", "inquiry", "suggestion", "dispute"]}
    )


@blp.route("/inbox")
class Inbox(MethodView):
    @blp.auth("staff")
    @blp.arguments(InboxArgs, location="query")
    @blp.response(200, page_of(InboxItemSchema))
    def get(self, args):
        """Work for my department, most urgent first (complaints: earliest due_at)"""
        return complaints.inbox(
            current_user(), args["overdue"], args["limit"], args["cursor"]
        ).to_dict()
