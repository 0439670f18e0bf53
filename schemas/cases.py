"""Pieces every kind of case shares (applications, complaints): a reason, a rating, and the
entries of the append-only timeline that app.cases.workflow writes."""

from typing import Any, ClassVar

from marshmallow import fields, validate

from schemas.base import BaseSchema, ResponseSchema, StrictInteger, StrictString, UTCDateTime


class ReasonSchema(BaseSchema):
    example: ClassVar[dict[str, Any]] = {"reason": "申请材料与所办事项不符"}

    reason = StrictString(required=True, validate=validate.Length(min=1, max=2000))


class RatingSchema(BaseSchema):
    example: ClassVar[dict[str, Any]] = {"score": 5, "comment": "全程网办，一次都没跑"}

    score = StrictInteger(required=True, minimum=1, maximum=5)
    comment = StrictString(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class ActorSchema(ResponseSchema):
    id = fields.String(allow_none=True)
    role = fields.String()
    name = fields.String(allow_none=True)
    department = fields.String(allow_none=True)


class TimelineEntrySchema(ResponseSchema):
    at = UTCDateTime()
    actor = fields.Nested(ActorSchema)
    on_behalf_of = fields.Nested(
        ActorSchema,
        metadata={
            "description": "When the actor acted for someone else (a delegation, or a "
            "guardian for a dependant): that person, the case's applicant",
            "optional": True,
        },
    )
    action = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
