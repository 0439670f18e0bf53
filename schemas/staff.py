"""The staff app's work queue: one item shape for every kind of case."""

from __future__ import annotations

from marshmallow import fields, validate

from app.cases.inbox import KINDS
from schemas.applications import ApplicantSchema, MatterRefSchema, ReviewSchema
from schemas.base import Id, LocalizedName, PageArgs, ResponseSchema, UTCDateTime


class InboxArgs(PageArgs):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(KINDS),
        metadata={
            "description": "acceptance: cases awaiting the one window; review: my "
            "department's pending review tasks (supplements returned included); complaints; "
            "rectification: bad ratings my department must answer (heads); verification: "
            "completed cases whose commitments (告知承诺制) my department must verify"
        },
    )
    overdue = fields.Boolean(
        load_default=None, metadata={"description": "true: only overdue; false: only on time"}
    )


class InboxItemSchema(ResponseSchema):
    kind = fields.String(metadata={"enum": ["application", "complaint", "rectification"]})
    complaint_kind = fields.String(
        metadata={
            "description": "Complaints only: complaint, inquiry, suggestion or dispute",
            "optional": True,
        }
    )
    id = Id(attribute="_id")
    tracking_no = fields.String()
    status = fields.String()
    title = LocalizedName(
        metadata={"description": "The service item's name, or the complaint's title"}
    )
    department = fields.String(allow_none=True)
    region = fields.String(allow_none=True)
    submitted_at = UTCDateTime()
    accepted_at = UTCDateTime(allow_none=True)
    due_at = UTCDateTime(allow_none=True)
    overdue = fields.Boolean()
    version = fields.Integer()
    applicant = fields.Nested(
        ApplicantSchema, allow_none=True, metadata={"description": "ID and phone masked"}
    )
    matter = fields.Nested(MatterRefSchema, allow_none=True)
    task = fields.Nested(
        ReviewSchema, allow_none=True, metadata={"description": "My department's review task"}
    )
    supplement_returned_at = UTCDateTime(
        allow_none=True, metadata={"description": "When the applicant last handed in materials"}
    )
