"""KPI read-outs (API.md "Oversight")."""

from __future__ import annotations

from marshmallow import fields, validate

from schemas.base import LocalizedName, QuerySchema, ResponseSchema, StrictString

NULL_RATE = "Fraction 0..1; null when there was nothing to rate."


def _rate(doc: str) -> fields.Float:
    return fields.Float(
        allow_none=True, metadata={"description": f"{doc}. {NULL_RATE}", "example": 0.97}
    )


class KpiSchema(ResponseSchema):
    applications_received = fields.Integer(metadata={"description": "Applications submitted"})
    applications_completed = fields.Integer()
    online_rate = _rate("Completed with 0 visits / completed")
    instant_approval_rate = _rate("Completed by the instant-approval rules (秒批) / completed")
    promise_rate = _rate(
        "Completed with a material accepted for later (容缺受理) or a commitment in place of a "
        "proof (告知承诺制) / completed"
    )
    one_visit_rate = _rate("Completed with at most 1 visit / completed")
    on_time_rate = _rate("Completed by the due time / completed")
    avg_processing_hours = fields.Float(
        allow_none=True,
        metadata={"description": "Mean working hours from submission to completion"},
    )
    p90_processing_hours = fields.Float(
        allow_none=True,
        metadata={
            "description": "90th percentile of working hours, as the upper bound of its "
            "histogram bucket (bounds 1, 2, 4, 8, 12, 24, 36, 48, 72, 96, 120, 168, 240, 336, "
            "480, 720 h; 720 means 720 or more)"
        },
    )
    ratings = fields.Integer(metadata={"description": "Ratings of applications and complaints"})
    satisfaction_rate = _rate("Ratings of 4 or 5 / all ratings")
    complaints_received = fields.Integer()
    complaints_resolved = fields.Integer()
    avg_complaint_hours = fields.Float(
        allow_none=True, metadata={"description": "Mean working hours from filing to resolution"}
    )
    complaint_on_time_rate = _rate("Complaints resolved by the due time / resolved")
    repeat_rate = _rate("Repeat complaints / complaints received")
    reopen_rate = _rate("Reopenings / complaints resolved")
    disputes_resolved = fields.Integer()
    mediation_success_rate = _rate("Disputes settled / disputes resolved")
    appointments_kept = fields.Integer(metadata={"description": "Appointments checked in"})
    appointments_no_show = fields.Integer(metadata={"description": "Appointments missed"})
    no_show_rate = _rate("No-shows / appointments kept or missed")
    rectifications_opened = fields.Integer(metadata={"description": "Bad ratings' rectifications"})
    rectifications_resolved = fields.Integer()
    rectification_rate = _rate("Rectifications resolved / opened less upheld appeals")
    rectification_on_time_rate = _rate("Rectifications resolved by their due time / resolved")
    avg_rectification_hours = fields.Float(
        allow_none=True, metadata={"description": "Mean working hours from rating to resolution"}
    )
    appeals_upheld = fields.Integer(metadata={"description": "Ratings taken out on appeal"})
    bundles_completed = fields.Integer(
        metadata={
            "description": "Bundle applications (一件事) completed, on the first item's lead "
            "department"
        }
    )
    bundle_on_time_rate = _rate("Bundles completed within the bundle's promise / completed")
    avg_bundle_hours = fields.Float(
        allow_none=True,
        metadata={"description": "Mean working hours from a bundle's submission to completion"},
    )
    remote_delivery_rate = _rate(
        "Results that reached the applicant without a visit (electronic, or posted and "
        "delivered) / completed"
    )


class KpiOverviewSchema(KpiSchema):
    region = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    from_ = fields.String(data_key="from", attribute="from", metadata={"example": "2026-11-01"})
    to = fields.String(metadata={"example": "2026-11-30"})


class DepartmentKpiSchema(KpiSchema):
    department = fields.String(required=True, metadata={"example": "AMR-330100"})
    name = LocalizedName(required=True)


class DepartmentRankingSchema(ResponseSchema):
    region = fields.String()
    from_ = fields.String(data_key="from", attribute="from")
    to = fields.String()
    items = fields.List(fields.Nested(DepartmentKpiSchema), required=True)


SORTABLE = (*KpiSchema._declared_fields, "department")


class KpiRangeArgs(QuerySchema):
    region = StrictString(
        validate=validate.Regexp(r"^\d{6}$"),
        metadata={"description": "This region and everything below it"},
    )
    from_ = fields.Date(
        data_key="from",
        attribute="from",
        metadata={"description": "First China-local day (default: 29 days before `to`)"},
    )
    to = fields.Date(metadata={"description": "Last China-local day, inclusive (default today)"})


class KpiOverviewArgs(KpiRangeArgs):
    department = StrictString(validate=validate.Length(min=1, max=64))


class KpiDepartmentsArgs(KpiRangeArgs):
    sort = StrictString(
        validate=validate.OneOf([*SORTABLE, *(f"-{f}" for f in SORTABLE)]),
        metadata={
            "description": "A KPI name (or `department`), ascending; prefix `-` for "
            "descending. Default `-applications_received`. Nulls sort last."
        },
    )


class PublicKpiArgs(KpiRangeArgs):
    pass
