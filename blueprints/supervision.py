"""Supervision (Zhelidu): the event feed and live stream for supervisors, follow-up of each
event, and public reports from any signed-in user."""

from __future__ import annotations

from flask.views import MethodView

from app.api import Blueprint, etag_for, if_match_version
from app.auth import current_user
from app.services import supervision as service
from schemas.base import page_of
from schemas.supervision import CloseSchema, EventSchema, FeedArgs, NoteSchema, ReportSchema

blp = Blueprint(
    "supervision",
    __name__,
    url_prefix="/api/v1/supervision",
    description="Oversight feed (Zhelidu): supervision events, follow-up, public reports",
)


def _single(event):
    return event, 200, {"ETag": etag_for(event["version"])}


@blp.route("/feed")
class Feed(MethodView):
    @blp.auth("supervisor")
    @blp.arguments(FeedArgs, location="query")
    @blp.response(200, page_of(EventSchema))
    def get(self, args):
        """Events in my region and below, newest first (cursor pages stay correct while new
        events arrive)"""
        return service.feed(current_user(), args).to_dict()


@blp.route("/events/<string:event_id>")
class EventById(MethodView):
    @blp.auth("supervisor")
    @blp.not_found
    @blp.response(200, EventSchema)
    def get(self, event_id):
        """One event (with its ETag for If-Match)"""
        return _single(service.get_event(current_user(), event_id))


@blp.route("/events/<string:event_id>/ack")
class Acknowledge(MethodView):
    @blp.auth("supervisor")
    @blp.if_match
    @blp.not_found
    @blp.response(200, EventSchema)
    def post(self, event_id):
        """Acknowledge an open event (open → acknowledged)"""
        return _single(service.acknowledge(current_user(), event_id, if_match_version()))


@blp.route("/events/<string:event_id>/notes")
class Notes(MethodView):
    @blp.auth("supervisor")
    @blp.if_match
    @blp.not_found
    @blp.arguments(NoteSchema)
    @blp.response(200, EventSchema)
    def post(self, data, event_id):
        """Add a follow-up note (author and time recorded) to an open or acknowledged event"""
        return _single(service.add_note(current_user(), event_id, data["note"], if_match_version()))


@blp.route("/events/<string:event_id>/close")
class Close(MethodView):
    @blp.auth("supervisor")
    @blp.if_match
    @blp.not_found
    @blp.arguments(CloseSchema)
    @blp.response(200, EventSchema)
    def post(self, data, event_id):
        """Close an acknowledged event with its finding (acknowledged → closed)"""
        return _single(service.close(current_user(), event_id, data["finding"], if_match_version()))


@blp.route("/reports")
class Reports(MethodView):
    @blp.auth()
    @blp.idempotent
    @blp.arguments(ReportSchema)
    @blp.response(201, EventSchema)
    @blp.alt_response(429, description="Too many reports; see Retry-After")
    def post(self, data):
        """Report a problem with government work: raises a `public_report` event"""
        return service.report(current_user(), data), 201, {}
