"""A year of the official calendar."""

from typing import Any, ClassVar

from marshmallow import fields, validate

from schemas.base import BaseSchema, UTCDateTime


class CalendarSchema(BaseSchema):
    example: ClassVar[dict[str, Any]] = {
        "holidays": ["2027-01-01", "2027-02-06", "2027-02-07", "2027-02-08"],
        "workdays": ["2027-01-31", "2027-02-20"],
    }

    year = fields.Integer(dump_only=True)
    source = fields.String(
        dump_only=True, metadata={"enum": ["chinesecalendar", "admin", "fallback"]}
    )
    holidays = fields.List(
        fields.Date(),
        required=True,
        validate=validate.Length(max=120),
        metadata={"description": "Official days off (incl. weekdays off)"},
    )
    workdays = fields.List(
        fields.Date(),
        required=True,
        validate=validate.Length(max=30),
        metadata={"description": "Adjusted working days (weekends worked)"},
    )
    updated_at = UTCDateTime(dump_only=True, allow_none=True)
    updated_by = fields.String(dump_only=True, allow_none=True)
