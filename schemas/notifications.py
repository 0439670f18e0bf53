"""Inbox notifications."""

from __future__ import annotations

from marshmallow import fields

from schemas.base import Id, PageArgs, ResponseSchema, UTCDateTime


class NotificationSubjectSchema(ResponseSchema):
    kind = fields.String(
        metadata={
            "example": "application",
            "description": "application, complaint, …; `inbox` for a staff work digest that "
            "summarises several arrivals (then `counts`, no id)",
        }
    )
    id = fields.String(metadata={"example": "6650c1f0a1b2c3d4e5f60718", "optional": True})
    counts = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={
            "description": "Staff work digest: how many of each kind arrived (acceptance, "
            "review, supplement, complaint)",
            "example": {"acceptance": 3, "review": 1},
            "optional": True,
        },
    )


class NotificationSchema(ResponseSchema):
    id = Id(attribute="_id", dump_only=True)
    kind = fields.String(
        required=True,
        metadata={
            "description": "What happened, e.g. application.accept, sla_warning; staff_work: "
            "work reached my inbox (a digest, at most one per interval)"
        },
    )
    title = fields.String(required=True)
    body = fields.String()
    subject = fields.Nested(NotificationSubjectSchema, allow_none=True)
    read = fields.Function(lambda n: n.get("read_at") is not None, dump_only=True)
    read_at = UTCDateTime(allow_none=True)
    created_at = UTCDateTime(required=True)


class NotificationListArgs(PageArgs):
    unread = fields.Boolean(
        load_default=False, metadata={"description": "true: only notifications not yet read"}
    )


class UnreadCountSchema(ResponseSchema):
    unread = fields.Integer(required=True, metadata={"example": 3})


class ReadAllSchema(ResponseSchema):
    marked = fields.Integer(
        required=True, metadata={"description": "How many notifications were newly marked read"}
    )
