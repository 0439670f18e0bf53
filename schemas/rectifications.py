"""Good or bad, answered (好差评): an application's rating naming its window or staff member,
the rectification a bad rating opens, its commands, and the rankings of units."""

from typing import Any, ClassVar

from marshmallow import fields, validate

from app.rectifications.ratings import TARGETS
from app.rectifications.rules import STATES
from schemas.base import (
    BaseSchema,
    Id,
    LocalizedName,
    QuerySchema,
    ResponseSchema,
    StrictBoolean,
    StrictString,
    UTCDateTime,
)
from schemas.cases import RatingSchema, TimelineEntrySchema

MAX_TAGS = 10


class ApplicationRatingSchema(RatingSchema):
    example: ClassVar[dict[str, Any]] = {
        "score": 2,
        "comment": "窗口让我跑了两趟",
        "tags": ["跑了多次"],
        "target": "window",
    }

    tags = fields.List(
        StrictString(validate=validate.Length(min=1, max=32)),
        load_default=list,
        validate=validate.Length(max=MAX_TAGS),
    )
    target = StrictString(
        load_default="case",
        validate=validate.OneOf(TARGETS),
        metadata={"description": "case (default), window (who received it) or staff"},
    )
    staff_id = StrictString(
        load_default=None,
        allow_none=True,
        validate=[validate.Length(equal=24), validate.Regexp("^[0-9a-f]{24}$")],
        metadata={"description": "target=staff: a staff member who handled the case"},
    )


class RatedStaffSchema(ResponseSchema):
    id = fields.String()
    name = fields.String(
        allow_none=True, metadata={"description": "For staff and supervisors only"}
    )
    department = fields.String(allow_none=True)


class RatingRefSchema(ResponseSchema):
    score = fields.Integer()
    comment = fields.String(allow_none=True)
    tags = fields.List(fields.String())
    target = fields.String(allow_none=True, metadata={"enum": list(TARGETS)})
    window = fields.Nested(RatedStaffSchema, allow_none=True)
    staff = fields.Nested(RatedStaffSchema, allow_none=True)
    at = UTCDateTime()


class ByStaffSchema(ResponseSchema):
    id = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    department = fields.String(allow_none=True)


class CallbackViewSchema(ResponseSchema):
    note = fields.String()
    at = UTCDateTime()
    by = fields.Nested(ByStaffSchema)


class ResolutionViewSchema(ResponseSchema):
    action_taken = fields.String()
    at = UTCDateTime()
    by = fields.Nested(ByStaffSchema)


class AppealViewSchema(ResponseSchema):
    reason = fields.String()
    at = UTCDateTime()
    by = fields.Nested(ByStaffSchema)
    upheld = fields.Boolean(allow_none=True, metadata={"description": "null until decided"})
    note = fields.String(allow_none=True)
    decided_at = UTCDateTime(allow_none=True)
    decided_by = fields.Nested(ByStaffSchema, allow_none=True)


class MatterNameSchema(ResponseSchema):
    code = fields.String()
    name = LocalizedName()


class RectificationSchema(ResponseSchema):
    id = Id(attribute="_id")
    application_id = Id()
    tracking_no = fields.String(metadata={"description": "The rated application's"})
    status = fields.String(metadata={"enum": list(STATES)})
    department = fields.String()
    region = fields.String()
    matter = fields.Nested(MatterNameSchema)
    rating = fields.Nested(RatingRefSchema)
    opened_at = UTCDateTime()
    due_at = UTCDateTime(metadata={"description": "Working days on the official calendar"})
    overdue = fields.Boolean()
    callback = fields.Nested(CallbackViewSchema, allow_none=True)
    resolution = fields.Nested(ResolutionViewSchema, allow_none=True)
    appeal = fields.Nested(AppealViewSchema, allow_none=True)
    resolved_at = UTCDateTime(allow_none=True)
    timeline = fields.List(fields.Nested(TimelineEntrySchema))
    version = fields.Integer()


class RectificationCallbackSchema(BaseSchema):
    example: ClassVar[dict[str, Any]] = {"note": "已电话联系申请人，了解到窗口未一次性告知所需材料"}

    note = StrictString(required=True, validate=validate.Length(min=1, max=2000))


class RectificationResolveSchema(BaseSchema):
    example: ClassVar[dict[str, Any]] = {
        "action_taken": "已对窗口人员批评教育，并将材料清单张贴在窗口"
    }

    action_taken = StrictString(required=True, validate=validate.Length(min=1, max=2000))


class RectificationAppealSchema(BaseSchema):
    example: ClassVar[dict[str, Any]] = {"reason": "申请人因不符合法定条件被驳回，与服务无关"}

    reason = StrictString(required=True, validate=validate.Length(min=1, max=2000))


class RectificationAppealDecisionSchema(BaseSchema):
    example: ClassVar[dict[str, Any]] = {"upheld": True, "note": "经核实，差评与服务无关"}

    upheld = StrictBoolean(required=True)
    note = StrictString(required=True, validate=validate.Length(min=1, max=2000))


# ------------------------------------------------------------------ rankings


class RankingArgs(QuerySchema):
    region = StrictString(load_default=None, validate=validate.Length(max=12))
    from_ = fields.Date(data_key="from", load_default=None)
    to = fields.Date(load_default=None)
    by = StrictString(load_default="department", validate=validate.OneOf(("department", "window")))


class PublicRankingArgs(QuerySchema):
    region = StrictString(load_default=None, validate=validate.Length(max=12))
    month = StrictString(
        load_default=None,
        validate=validate.Regexp(r"^[0-9]{4}-(0[1-9]|1[0-2])$"),
        metadata={"description": "YYYY-MM, China time; default the current month"},
    )


class PublicRankedUnitSchema(ResponseSchema):
    """A department's aggregates: no person is named."""

    rank = fields.Integer()
    unit = fields.String(metadata={"description": "Department code, or the window's staff id"})
    department = fields.String()
    name = LocalizedName(allow_none=True, metadata={"description": "The department's name"})
    ratings = fields.Integer()
    satisfaction_rate = fields.Float(allow_none=True)
    bad_ratings = fields.Integer()
    rectification_rate = fields.Float(
        allow_none=True, metadata={"description": "Resolved / bad ratings not taken out"}
    )
    on_time_rate = fields.Float(allow_none=True)


class RankedUnitSchema(PublicRankedUnitSchema):
    window = fields.Nested(
        RatedStaffSchema,
        allow_none=True,
        metadata={"description": "by=window: who works it (null for departments)"},
    )


class RankingSchema(ResponseSchema):
    region = fields.String(allow_none=True)
    by = fields.String()
    from_ = fields.String(data_key="from", attribute="from")
    to = fields.String()
    items = fields.List(fields.Nested(RankedUnitSchema))


class PublicRankingSchema(ResponseSchema):
    region = fields.String(allow_none=True)
    month = fields.String()
    items = fields.List(fields.Nested(PublicRankedUnitSchema))
