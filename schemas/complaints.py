"""Complaints, complaint categories and Open311 keys: request bodies and responses."""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import fields, validate

from app import i18n
from app.complaints.rules import STATES
from schemas.base import (
    BaseSchema,
    BoundedInt,
    Id,
    LocalizedName,
    NameInput,
    PageArgs,
    QuerySchema,
    ResponseSchema,
    StrictBoolean,
    StrictInteger,
    StrictNumber,
    StrictString,
    UTCDateTime,
    bounded_map,
)
from schemas.cases import TimelineEntrySchema

KINDS = ("complaint", "inquiry", "suggestion", "dispute")
OUTCOMES = ("settled", "not_settled")
QUESTION_TYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
MAX_QUESTIONS = 30  # per category; a complaint answers at most these
CODE = validate.Regexp(r"^[a-z][a-z0-9_]{0,63}$", error="Use lower-case snake_case.")
DEPARTMENT_CODE = validate.Regexp(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$")


# ----------------------------------------------------------------------------- categories


class QuestionValueSchema(BaseSchema):
    key = StrictString(required=True, validate=validate.Length(min=1, max=64))
    name = StrictString(required=True, validate=validate.Length(min=1, max=200))


class QuestionSchema(BaseSchema):
    """One question of a category; Open311 serves it as a service attribute."""

    code = StrictString(required=True, validate=CODE)
    datatype = StrictString(required=True, validate=validate.OneOf(QUESTION_TYPES))
    required = StrictBoolean(required=True)
    description = StrictString(required=True, validate=validate.Length(min=1, max=500))
    datatype_description = StrictString(validate=validate.Length(max=500))
    values = fields.List(
        fields.Nested(QuestionValueSchema), validate=validate.Length(max=50), load_default=None
    )


class QuestionOutSchema(ResponseSchema):
    code = fields.String()
    datatype = fields.String(metadata={"enum": list(QUESTION_TYPES)})
    required = fields.Boolean()
    description = fields.String()
    datatype_description = fields.String(metadata={"optional": True})
    # A plain dict has a .values method: read the key, never the attribute.
    # null when the question has no list of values (not a singlevaluelist/multivaluelist).
    values = fields.Function(
        lambda q: q.get("values"),
        allow_none=True,
        metadata={
            "type": "array",
            "items": {"$ref": "#/components/schemas/QuestionValue"},
            "description": "The choices of a singlevaluelist or multivaluelist; null otherwise",
        },
    )


class CategoryBodySchema(BaseSchema):
    example: ClassVar[dict[str, Any]] = {
        "name": {"zh-CN": "噪音扰民", "en": "Noise nuisance"},
        "time_limit_days": 4,
        "default_department": "HOTLINE-330100",
        "keywords": ["噪音", "施工", "广场舞"],
    }

    name = NameInput(required=True)
    name_zh = StrictString(
        validate=validate.Length(max=200),
        allow_none=True,
        metadata={
            "deprecated": True,
            "description": "Older form of the zh-CN name: with it, a plain `name` is the en name",
        },
    )
    description = StrictString(load_default="", validate=validate.Length(max=2000))
    group = StrictString(validate=validate.Length(max=100), allow_none=True)
    keywords = fields.List(
        StrictString(validate=validate.Length(max=50)),
        load_default=list,
        validate=validate.Length(max=50),
    )
    time_limit_days = StrictInteger(
        load_default=None,
        minimum=1,
        maximum=60,
        metadata={"description": "Working days; the platform default (4) when omitted"},
    )
    default_department = StrictString(required=True, validate=DEPARTMENT_CODE)
    questions = fields.List(
        fields.Nested(QuestionSchema),
        load_default=list,
        validate=validate.Length(max=MAX_QUESTIONS),
    )
    active = StrictBoolean(load_default=True)


class CategoryCreateSchema(CategoryBodySchema):
    example: ClassVar[dict[str, Any]] = {
        "code": "noise",
        "name": {"zh-CN": "噪音扰民", "en": "Noise nuisance"},
        "time_limit_days": 4,
        "default_department": "HOTLINE-330100",
        "keywords": ["噪音", "施工", "广场舞"],
    }

    code = StrictString(required=True, validate=CODE, metadata={"example": "noise"})


class CategorySchema(ResponseSchema):
    code = fields.String(attribute="_id")
    name = LocalizedName()
    name_zh = fields.Function(
        lambda doc: i18n.localized(doc.get("name"), "zh-CN"),
        metadata={"type": "string", "deprecated": True, "description": "The zh-CN name"},
    )
    description = fields.String()
    group = fields.String(allow_none=True)
    keywords = fields.List(fields.String())
    time_limit = fields.Function(
        lambda doc: {"value": doc["time_limit_days"], "unit": "working_days"},
        metadata={"description": "{value, unit: working_days}"},
    )
    time_limit_days = fields.Integer()
    default_department = fields.String()
    questions = fields.List(fields.Nested(QuestionOutSchema))
    active = fields.Boolean()
    version = fields.Integer()
    updated_at = UTCDateTime()


class CategoryListSchema(ResponseSchema):
    items = fields.List(fields.Nested(CategorySchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


# ----------------------------------------------------------------------------- complaints


class LocationInSchema(BaseSchema):
    lat = StrictNumber(required=True, minimum=-90, maximum=90)
    lng = StrictNumber(required=True, minimum=-180, maximum=180)
    address = StrictString(validate=validate.Length(max=300), allow_none=True)


class PartyInSchema(BaseSchema):
    name = StrictString(required=True, validate=validate.Length(min=1, max=100))
    role = StrictString(
        required=True,
        validate=validate.Length(min=1, max=40),
        metadata={"example": "respondent"},
    )
    contact = StrictString(validate=validate.Length(max=100), allow_none=True)


class ComplaintCreateSchema(BaseSchema):
    example: ClassVar[dict[str, Any]] = {
        "kind": "complaint",
        "category": "noise",
        "title": "夜间施工噪音",
        "description": "文三路工地每晚十一点后仍在施工，影响休息。",
        "location": {"lat": 30.2806, "lng": 120.1275, "address": "杭州市西湖区文三路 90 号"},
        "region": "330106",
        "answers": {"noise_time": "night", "noise_source": "construction"},
        "public": False,
    }

    kind = StrictString(required=True, validate=validate.OneOf(KINDS))
    category = StrictString(required=True, validate=CODE)
    title = StrictString(required=True, validate=validate.Length(min=1, max=200))
    description = StrictString(required=True, validate=validate.Length(min=1, max=5000))
    location = fields.Nested(LocationInSchema, allow_none=True)
    region = StrictString(required=True, validate=validate.Regexp(r"^\d{6}$"))
    related_application_id = Id(allow_none=True)
    attachments = fields.List(Id(), validate=validate.Length(max=20), load_default=list)
    parties = fields.List(
        fields.Nested(PartyInSchema),
        validate=validate.Length(max=10),
        load_default=list,
        metadata={"description": "Disputes only: the people involved (at least one)"},
    )
    answers = fields.Dict(
        keys=StrictString(validate=CODE),
        values=fields.Raw(),
        **bounded_map(
            MAX_QUESTIONS,
            load_default=dict,
            metadata={"description": "Answers to the category's questions, by question code"},
        ),
    )
    public = StrictBoolean(
        load_default=False,
        metadata={
            "description": "Opt in to publishing the description and the address in the public "
            "Open311 listing (GET /open311/v2/requests), with phone and ID numbers redacted. "
            "Without it the public listing shows only the category, status, dates and agency."
        },
    )


class ComplaintListArgs(PageArgs):
    status = StrictString(validate=validate.OneOf(STATES))


class AssignSchema(BaseSchema):
    example: ClassVar[dict[str, Any]] = {"department": "AMR-330106"}

    department = StrictString(validate=DEPARTMENT_CODE)
    mediation_org = StrictString(
        validate=DEPARTMENT_CODE,
        metadata={"description": "A department code of kind mediation"},
    )


class ReplySchema(BaseSchema):
    example: ClassVar[dict[str, Any]] = {"message": "已联系施工单位，夜间十点后停止施工。"}

    message = StrictString(required=True, validate=validate.Length(min=1, max=5000))


class ResolveSchema(BaseSchema):
    example: ClassVar[dict[str, Any]] = {
        "resolution": "施工单位已调整作业时间",
        "outcome": "settled",
    }

    resolution = StrictString(required=True, validate=validate.Length(min=1, max=5000))
    outcome = StrictString(
        validate=validate.OneOf(OUTCOMES),
        metadata={"description": "Required for disputes", "x-enum-name": "DisputeOutcome"},
    )
    agreement = StrictString(
        validate=validate.Length(min=1, max=10000),
        metadata={
            "description": "The agreement text of a settled dispute; optional (an oral "
            "agreement is lawful)"
        },
    )
    referral = StrictString(
        validate=validate.Length(min=1, max=1000),
        metadata={"description": "Where it goes next (e.g. court); required when not_settled"},
    )


class SessionInSchema(BaseSchema):
    example: ClassVar[dict[str, Any]] = {
        "notes": "双方到场，就赔偿金额初步达成一致",
        "held_at": "2026-12-01T02:00:00Z",
        "attendees": ["王五", "赵六"],
    }

    notes = StrictString(required=True, validate=validate.Length(min=1, max=10000))
    held_at = UTCDateTime(metadata={"description": "When it took place; now when omitted"})
    attendees = fields.List(
        StrictString(validate=validate.Length(max=100)),
        validate=validate.Length(max=20),
        load_default=list,
    )


class ActorRefSchema(ResponseSchema):
    id = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    department = fields.String(allow_none=True)


class LocationSchema(ResponseSchema):
    lat = fields.Float(allow_none=True)
    lng = fields.Float(allow_none=True)
    address = fields.String(allow_none=True)


class PartySchema(ResponseSchema):
    name = fields.String()
    role = fields.String()
    contact = fields.String(allow_none=True)


class ContactSchema(ResponseSchema):
    first_name = fields.String(allow_none=True)
    last_name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)


class ComplainantSchema(ResponseSchema):
    id = Id()
    name = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)


class RefusalSchema(ResponseSchema):
    department = fields.String()
    reason = fields.String()
    at = UTCDateTime()
    by = fields.Nested(ActorRefSchema)


class ReplyOutSchema(ResponseSchema):
    at = UTCDateTime()
    by = fields.Nested(ActorRefSchema)
    message = fields.String()


class SessionSchema(ResponseSchema):
    id = Id()
    held_at = UTCDateTime()
    notes = fields.String()
    attendees = fields.List(fields.String())
    by = fields.Nested(ActorRefSchema)
    recorded_at = UTCDateTime()


class ReopenSchema(ResponseSchema):
    at = UTCDateTime()
    reason = fields.String()


class RatingOutSchema(ResponseSchema):
    score = fields.Integer()
    comment = fields.String(allow_none=True)
    at = UTCDateTime()


class RepeatRefSchema(ResponseSchema):
    id = Id()
    tracking_no = fields.String()
    created_at = UTCDateTime()


class ComplaintSchema(ResponseSchema):
    id = Id(attribute="_id")
    tracking_no = fields.String()
    kind = fields.String(metadata={"enum": list(KINDS)})
    category = fields.String()
    category_name = LocalizedName()
    title = fields.String()
    description = fields.String()
    answers = fields.Dict()
    location = fields.Nested(LocationSchema, allow_none=True)
    region = fields.String()
    related_application_id = Id(allow_none=True)
    attachments = fields.List(Id())
    parties = fields.List(
        fields.Nested(PartySchema),
        metadata={"description": "Masked except for the complainant and the mediation staff"},
    )
    complainant = fields.Nested(
        ComplainantSchema,
        allow_none=True,
        metadata={"description": "Masked except for the complainant and the staff in charge"},
    )
    contact = fields.Nested(
        ContactSchema,
        allow_none=True,
        metadata={"description": "Open311 reporters' contact details (masked likewise)"},
    )
    source = fields.String(metadata={"enum": ["app", "open311"]})
    status = fields.String(metadata={"enum": list(STATES)})
    hotline = fields.String(metadata={"description": "The 12345 hotline whose queue it is in"})
    department = fields.String(metadata={"description": "Who holds it now"})
    mediation_org = fields.String(allow_none=True)
    mediator = fields.Nested(ActorRefSchema, allow_none=True)
    suggested_department = fields.String(allow_none=True)
    repeat_of = Id(allow_none=True)
    repeat_of_tracking_no = fields.String(allow_none=True)
    repeat_reason = fields.String(
        allow_none=True,
        metadata={"enum": ["same_complainant", "nearby", None], "x-enum-name": "RepeatReason"},
    )
    repeats = fields.List(
        fields.Nested(RepeatRefSchema),
        allow_none=True,
        metadata={"description": "Later complaints detected as repeats of this one (staff)"},
    )
    time_limit = fields.Dict()
    submitted_at = UTCDateTime()
    assigned_at = UTCDateTime(allow_none=True)
    due_at = UTCDateTime(allow_none=True)
    overdue = fields.Boolean()
    refusals = fields.List(fields.Nested(RefusalSchema))
    replies = fields.List(fields.Nested(ReplyOutSchema))
    sessions = fields.List(fields.Nested(SessionSchema))
    resolution = fields.String(allow_none=True)
    resolved_at = UTCDateTime(allow_none=True)
    outcome = fields.String(
        allow_none=True, metadata={"enum": [*OUTCOMES, None], "x-enum-name": "DisputeOutcome"}
    )
    agreement = fields.String(allow_none=True)
    referral = fields.String(allow_none=True)
    closed_at = UTCDateTime(allow_none=True)
    close_reason = fields.String(
        allow_none=True,
        metadata={"enum": ["confirmed", "auto", None], "x-enum-name": "CloseReason"},
    )
    reopens = fields.List(fields.Nested(ReopenSchema))
    rating = fields.Nested(RatingOutSchema, allow_none=True)
    timeline = fields.List(fields.Nested(TimelineEntrySchema))
    version = fields.Integer()
    created_at = UTCDateTime()
    updated_at = UTCDateTime()


class ComplaintSummarySchema(ResponseSchema):
    id = Id(attribute="_id")
    tracking_no = fields.String()
    kind = fields.String()
    category = fields.String()
    title = fields.String()
    region = fields.String()
    status = fields.String()
    department = fields.String()
    repeat_of = Id(allow_none=True)
    due_at = UTCDateTime(allow_none=True)
    overdue = fields.Boolean()
    created_at = UTCDateTime()
    updated_at = UTCDateTime()


# ----------------------------------------------------------------------------- Open311 keys


class Open311KeyCreateSchema(BaseSchema):
    example: ClassVar[dict[str, Any]] = {"name": "西湖区城管 311 客户端"}

    name = StrictString(required=True, validate=validate.Length(min=1, max=100))


class Open311KeySchema(ResponseSchema):
    id = Id(attribute="_id")
    name = fields.String()
    api_key = fields.String(metadata={"description": "Shown once, at creation"})
    created_at = UTCDateTime()


class InboxArgs(QuerySchema):
    overdue = fields.Boolean()
    limit = BoundedInt(load_default=20, minimum=1, maximum=100)
    cursor = fields.String(load_default=None, validate=validate.Length(max=512))
