"""The staff app's inbox: what my department must act on, most urgent first."""

from __future__ import annotations

from flask.views import MethodView

from app.accounts.auth import current_user
from app.applications import service as _applications  # noqa: F401  (registers its kinds)
from app.cases import inbox
from app.http.api import Blueprint
from blueprints.applications import APPLICATION_LINKS
from schemas.base import page_of
from schemas.staff import InboxArgs, InboxItemSchema

blp = Blueprint("staff", __name__, url_prefix="/api/v1/staff", description="Staff work queues")


@blp.route("/inbox")
class Inbox(MethodView):
    @blp.doc(operationId="listStaffInbox")
    # The inbox's default kind lists applications: its items lead to their actions.
    @blp.links({"application_id": "$response.body#/items/0/id"}, *APPLICATION_LINKS, status=200)
    @blp.auth("staff")
    @blp.arguments(InboxArgs, location="query")
    @blp.response(200, page_of(InboxItemSchema))
    def get(self, args):
        """Work for my department: acceptance, review (returned supplements too) or complaints;
        most urgent first (earliest due_at; awaiting acceptance: earliest submitted_at).

        Applications are listed from copies the service keeps of the cases in each queue: a
        change to a case shows here within the background relay's delay (about a second),
        and an item's `version` may briefly trail the case's. A command sent with that
        version as `If-Match` then answers 412: read the case and retry."""
        page = inbox.page(
            current_user(), args["kind"], args["overdue"], args["limit"], args["cursor"]
        )
        return page.to_dict()
