"""The signed-in user's notification inbox."""

from __future__ import annotations

from flask.views import MethodView

from app.accounts.auth import current_user
from app.http.api import Blueprint
from app.messaging import notifications as service
from schemas.base import page_of
from schemas.notifications import (
    NotificationListArgs,
    NotificationSchema,
    ReadAllSchema,
    UnreadCountSchema,
)

blp = Blueprint(
    "notifications",
    __name__,
    url_prefix="/api/v1/me/notifications",
    description="My notification inbox (kept 180 days)",
)


@blp.route("")
class Notifications(MethodView):
    @blp.doc(operationId="listMyNotifications")
    @blp.auth()
    @blp.arguments(NotificationListArgs, location="query")
    @blp.response(200, page_of(NotificationSchema))
    def get(self, args):
        """My notifications, newest first (`unread=true` for unread ones only)"""
        return service.inbox(
            current_user(), args["unread"], args["limit"], args["cursor"]
        ).to_dict()


@blp.route("/unread-count")
class UnreadCount(MethodView):
    @blp.doc(operationId="countUnreadNotifications")
    @blp.auth()
    @blp.response(200, UnreadCountSchema)
    def get(self):
        """How many of my notifications are unread (for the badge)"""
        return {"unread": service.unread_count(current_user())}


@blp.route("/<string:notification_id>/read")
class ReadOne(MethodView):
    @blp.doc(operationId="markNotificationRead")
    @blp.auth()
    @blp.not_found
    @blp.response(200, NotificationSchema)
    def post(self, notification_id):
        """Mark one notification read (idempotent: the first read time is kept)"""
        return service.mark_read(current_user(), notification_id)


@blp.route("/read-all")
class ReadAll(MethodView):
    @blp.doc(operationId="markAllNotificationsRead")
    @blp.auth()
    @blp.response(200, ReadAllSchema)
    def post(self):
        """Mark every notification of mine read"""
        return {"marked": service.mark_all_read(current_user())}
