"""Supervision events, their follow-up, and public reports."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import fields, post_dump, validate

from app import privacy
from app.oversight.event_rules import EVENT_STATES
from app.oversight.events import SEVERITY
from schemas.base import (
    BaseSchema,
    Id,
    PageArgs,
    QuerySchema,
    ResponseSchema,
    StrictString,
    UTCDateTime,
)

EVENT_TYPES = tuple(SEVERITY)


class EventSubjectSchema(ResponseSchema):
    kind = fields.String(
        required=True,
        metadata={"enum": ["application", "complaint", "department", "region"]},
    )
    id = fields.String(required=True)
    tracking_no = fields.String(allow_none=True)


class PersonRefSchema(ResponseSchema):
    id = fields.String()
    name = fields.String()
    role = fields.String()


class EventNoteSchema(ResponseSchema):
    at = UTCDateTime(required=True)
    author = fields.Nested(PersonRefSchema, required=True)
    note = fields.String(required=True)


class EventSchema(ResponseSchema):
    id = Id(attribute="_id", dump_only=True)
    type = fields.String(required=True, metadata={"enum": list(EVENT_TYPES)})
    severity = fields.String(required=True, metadata={"enum": ["low", "medium", "high"]})
    subject = fields.Nested(EventSubjectSchema, required=True)
    region = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    summary = fields.String(required=True, metadata={"description": "Short, without personal data"})
    description = fields.String(
        metadata={
            "description": "public_report only: what the reporter wrote, with phone and ID "
            "numbers redacted",
            "optional": True,
        }
    )
    state = fields.String(required=True, metadata={"enum": list(EVENT_STATES)})
    notes = fields.List(fields.Nested(EventNoteSchema), dump_default=list)
    finding = fields.String(allow_none=True)
    created_at = UTCDateTime(required=True)
    acknowledged_at = UTCDateTime(allow_none=True)
    closed_at = UTCDateTime(allow_none=True)
    version = fields.Integer(required=True)

    @post_dump
    def _masked(self, data: dict, **_: object) -> dict:
        # One policy for the feed, one event, the stream and a report's reply (app/privacy.py).
        data = privacy.people_in(data)
        if data.get("description"):
            data["description"] = privacy.redact_text(data["description"])
        return data


class StreamEventSchema(ResponseSchema):
    """One Server-Sent Event of the supervision stream, as an SSE parser reads it (comment
    lines and the opening `retry:` carry no data and are no events)."""

    id = fields.String(
        required=True,
        metadata={"pattern": "^[0-9a-f]{24}$", "description": "The event id (Last-Event-ID)"},
    )
    event = fields.String(
        required=True, metadata={"enum": list(EVENT_TYPES), "description": "The event's type"}
    )
    data = fields.String(
        required=True,
        metadata={
            "description": "One line of JSON: an object, the event exactly as the feed "
            "lists it (schema `Event`)",
            "x-content-media-type": "application/json",
            "x-content-schema": "#/components/schemas/Event",
        },
    )


class SupervisionFeedArgs(PageArgs):
    type = StrictString(validate=validate.OneOf(EVENT_TYPES))
    state = StrictString(validate=validate.OneOf(EVENT_STATES))
    department = StrictString(validate=validate.Length(min=1, max=64))
    region = StrictString(
        validate=validate.Regexp(r"^\d{6}$"),
        metadata={"description": "Your region or one below it (403 outside your scope)"},
    )


class EventNoteBodySchema(BaseSchema):
    example: ClassVar[dict[str, Any]] = {"note": "已电话联系窗口负责人，要求当日回复"}

    note = StrictString(required=True, validate=validate.Length(min=1, max=2000))


class EventCloseSchema(BaseSchema):
    example: ClassVar[dict[str, Any]] = {"finding": "窗口人员未一次性告知所需材料，已约谈整改"}

    finding = StrictString(required=True, validate=validate.Length(min=1, max=4000))


class PublicReportSchema(BaseSchema):
    example: ClassVar[dict[str, Any]] = {
        "department": "AMR-330106",
        "region": "330106",
        "description": "窗口要求提供网上已提交过的身份证复印件",
    }

    department = StrictString(validate=validate.Length(min=1, max=64))
    related_application_id = Id()
    region = StrictString(
        validate=validate.Regexp(r"^\d{6}$"),
        metadata={"description": "When neither a department nor an application is named"},
    )
    description = StrictString(
        required=True,
        validate=validate.Length(min=10, max=4000),
        metadata={
            "description": "What went wrong. Never published to the public: only supervisors "
            "of the region read it, with phone and ID numbers redacted, and without the "
            "reporter's identity"
        },
    )


class SupervisionStreamArgs(QuerySchema):
    type = StrictString(
        validate=validate.OneOf(EVENT_TYPES),
        metadata={"description": "Only events of this type (as the feed's `type`)"},
    )
    department = StrictString(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "Only events of this department (as the feed's `department`)"},
    )
    region = StrictString(
        validate=validate.Regexp(r"^\d{6}$"),
        metadata={"description": "Your region or one below it (403 outside your scope)"},
    )
