"""Supervision (Zhelidu): the event feed and live stream for supervisors, follow-up of each
event, and public reports from any signed-in user."""

from __future__ import annotations

from flask import Response, current_app, request, stream_with_context
from flask.views import MethodView

from app.accounts.auth import current_user
from app.http.api import VERSION_ETAG, Blueprint, etag_for, if_match_version
from app.oversight import stream as stream_service
from app.oversight import supervision as service
from schemas.base import page_of
from schemas.supervision import (
    EventCloseSchema,
    EventNoteBodySchema,
    EventSchema,
    PublicReportSchema,
    StreamEventSchema,
    SupervisionFeedArgs,
    SupervisionStreamArgs,
)

blp = Blueprint(
    "supervision",
    __name__,
    url_prefix="/api/v1/supervision",
    description="Oversight feed (Zhelidu): supervision events, follow-up, public reports",
)


def _single(event):
    return event, 200, {"ETag": etag_for(event["version"])}


# What uses a supervision event's id: reading it and its follow-up.
EVENT_LINKS = (
    "supervision.EventById",
    "supervision.Acknowledge",
    "supervision.Notes",
    "supervision.Close",
)


@blp.route("/feed")
class Feed(MethodView):
    @blp.doc(operationId="listSupervisionFeed")
    @blp.links({"event_id": "$response.body#/items/0/id"}, *EVENT_LINKS, status=200)
    @blp.auth("supervisor")
    @blp.arguments(SupervisionFeedArgs, location="query")
    @blp.response(200, page_of(EventSchema))
    def get(self, args):
        """Events in my region and below, newest first (cursor pages stay correct while new
        events arrive)

        A new event or a follow-up (ack, note, close) shows here within the background
        relay's delay (about a second); the follow-up's own answer and
        `GET /supervision/events/{event_id}` show the event as it is now."""
        return service.feed(current_user(), args).to_dict()


# Last-Event-ID is documented on the path: an operation's manual `parameters` would replace
# the query parameters generated from SupervisionStreamArgs instead of adding to them.
@blp.route(
    "/stream",
    parameters=[
        {
            "in": "header",
            "name": "Last-Event-ID",
            "required": False,
            "schema": {"type": "string", "pattern": "^[0-9a-f]{24}$"},
            "description": "Resume after this event (EventSource sends it on reconnect); "
            "without it the stream starts with events raised from now on. Reconnect with the "
            "same query (`region`, `type`, `department`): the stream resumes within it.",
        }
    ],
)
class Stream(MethodView):
    @blp.auth("supervisor")
    @blp.arguments(SupervisionStreamArgs, location="query")
    @blp.response(
        200,
        # The schema of each event (as OpenAPI 3.2's itemSchema; SSE-aware tools such as
        # schemathesis validate every event of the stream against it).
        StreamEventSchema,
        content_type="text/event-stream",
        description="Server-Sent Events, each `id:` the event id, `event:` its type, `data:` "
        "the event as a JSON object, as the feed lists it (`Event`); the schema is that of "
        "each event an SSE parser reads from the stream. Comment lines (`: heartbeat`) keep "
        "the connection alive. The server ends a connection after a few minutes; reconnect "
        "with Last-Event-ID.",
        example={
            "id": "6650c1f0a1b2c3d4e5f60718",
            "event": "bad_rating",
            "data": '{"id": "6650c1f0a1b2c3d4e5f60718", "type": "bad_rating", "...": "..."}',
        },
    )
    @blp.doc(operationId="streamSupervisionEvents")
    @blp.alt_response(503, description="Too many live streams on this server; see Retry-After")
    def get(self, args):
        """Live supervision events of my region (Server-Sent Events, resumable), optionally of
        one type and/or department; a reconnect keeps its query and sends Last-Event-ID"""
        settings = current_app.extensions["settings"]
        region = service.feed_region(current_user(), args.get("region"))
        last_id = stream_service.parse_last_event_id(request.headers.get("Last-Event-ID"))
        if last_id is None:
            last_id = stream_service.starting_point(region, settings.sse_settle_seconds)
        release = stream_service.acquire_slot(settings.sse_max_streams)
        schema = EventSchema()
        frames = stream_service.stream(
            region,
            last_id,
            settings,
            schema.dump,
            event_type=args.get("type"),
            department=args.get("department"),
        )
        response = Response(
            stream_with_context(frames),
            mimetype="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
        response.call_on_close(release)
        return response


@blp.route("/events/<string:event_id>")
class EventById(MethodView):
    @blp.doc(operationId="getSupervisionEvent")
    @blp.auth("supervisor")
    @blp.not_found
    @blp.response(200, EventSchema, headers=VERSION_ETAG)
    def get(self, event_id):
        """One event (with its ETag for If-Match)"""
        return _single(service.get_event(current_user(), event_id))


@blp.route("/events/<string:event_id>/ack")
class Acknowledge(MethodView):
    @blp.doc(operationId="acknowledgeSupervisionEvent")
    @blp.auth("supervisor")
    @blp.idempotent
    @blp.if_match
    @blp.not_found
    @blp.response(200, EventSchema, headers=VERSION_ETAG)
    def post(self, event_id):
        """Acknowledge an open event (open → acknowledged)"""
        return _single(service.acknowledge(current_user(), event_id, if_match_version()))


@blp.route("/events/<string:event_id>/notes")
class Notes(MethodView):
    @blp.doc(operationId="addSupervisionNote")
    @blp.auth("supervisor")
    @blp.idempotent
    @blp.if_match
    @blp.not_found
    @blp.arguments(EventNoteBodySchema)
    @blp.response(200, EventSchema, headers=VERSION_ETAG)
    def post(self, data, event_id):
        """Add a follow-up note (author and time recorded) to an open or acknowledged event"""
        return _single(service.add_note(current_user(), event_id, data["note"], if_match_version()))


@blp.route("/events/<string:event_id>/close")
class Close(MethodView):
    @blp.doc(operationId="closeSupervisionEvent")
    @blp.auth("supervisor")
    @blp.idempotent
    @blp.if_match
    @blp.not_found
    @blp.arguments(EventCloseSchema)
    @blp.response(200, EventSchema, headers=VERSION_ETAG)
    def post(self, data, event_id):
        """Close an acknowledged event with its finding (acknowledged → closed)"""
        return _single(service.close(current_user(), event_id, data["finding"], if_match_version()))


@blp.route("/reports")
class Reports(MethodView):
    @blp.doc(operationId="reportProblem")
    @blp.links({"event_id": "$response.body#/id"}, *EVENT_LINKS)
    @blp.auth()
    @blp.idempotent
    @blp.arguments(PublicReportSchema)
    @blp.response(201, EventSchema)
    @blp.alt_response(429, description="Too many reports; see Retry-After")
    def post(self, data):
        """Report a problem with government work: raises a `public_report` event"""
        return service.report(current_user(), data), 201, {}
