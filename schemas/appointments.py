"""Appointments: opening hours, slots, bookings and the staff day list."""

from typing import Any, ClassVar

from marshmallow import fields, validate

from schemas.base import (
    BaseSchema,
    Id,
    PageArgs,
    QuerySchema,
    ResponseSchema,
    StrictInteger,
    StrictString,
    UTCDateTime,
    bounded_map,
)
from schemas.cases import TimelineEntrySchema

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = r"^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$"


class OpeningHoursSchema(BaseSchema):
    example: ClassVar[dict[str, Any]] = {
        "slot_minutes": 30,
        "capacity": 4,
        "hours": {"mon": ["09:00-12:00", "13:30-17:00"], "sat": []},
    }

    slot_minutes = StrictInteger(
        required=True,
        validate=validate.Range(min=5, max=240),
        metadata={"description": "Length of one slot in minutes"},
    )
    capacity = StrictInteger(
        required=True,
        validate=validate.Range(min=1, max=200),
        metadata={"description": "Places per slot (windows serving at once)"},
    )
    hours = fields.Dict(
        required=True,
        keys=fields.String(validate=validate.OneOf(DAYS)),
        values=fields.List(
            StrictString(validate=validate.Regexp(_RANGE, error="Use HH:MM-HH:MM.")),
            validate=validate.Length(max=8),
        ),
        **bounded_map(
            len(DAYS),
            metadata={
                "description": "Local (China Standard Time) opening ranges per weekday, e.g. "
                '`{"mon": ["09:00-12:00", "13:30-17:00"]}`. Only working days of the official '
                "calendar open: holidays are closed whatever the weekday, and an adjusted "
                "working Saturday or Sunday opens with the weekday hours (Monday's, or the "
                "first weekday listed).",
                "example": {"mon": ["09:00-12:00", "13:30-17:00"], "tue": ["09:00-12:00"]},
            },
        ),
    )


class OpeningHoursViewSchema(ResponseSchema):
    department = fields.String()
    slot_minutes = fields.Integer(allow_none=True)
    capacity = fields.Integer(allow_none=True)
    hours = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    updated_at = UTCDateTime(allow_none=True)


class SlotArgs(QuerySchema):
    from_ = UTCDateTime(
        data_key="from",
        load_default=None,
        metadata={"description": "Slots starting at or after this time (default: now)"},
    )
    to = UTCDateTime(
        load_default=None,
        metadata={
            "description": "Slots starting before this time (default: `from` + 7 days; "
            "at most 31 days after `from`)"
        },
    )


class SlotSchema(ResponseSchema):
    start = UTCDateTime()
    end = UTCDateTime()
    capacity = fields.Integer()
    available = fields.Integer(metadata={"description": "Places still free"})


class SlotPageSchema(ResponseSchema):
    items = fields.List(fields.Nested(SlotSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class AppointmentCreateSchema(BaseSchema):
    example: ClassVar[dict[str, Any]] = {
        "department": "AMR-330100",
        "start": "2026-12-07T01:00:00Z",
        "application_id": "6650c1f0a1b2c3d4e5f60718",
        "purpose": "领取营业执照原件",
    }

    department = StrictString(required=True, validate=validate.Length(min=1, max=64))
    start = UTCDateTime(
        required=True, metadata={"description": "The start of a slot, as GET .../slots lists it"}
    )
    application_id = Id(
        load_default=None, allow_none=True, metadata={"description": "Your application"}
    )
    complaint_id = Id(
        load_default=None, allow_none=True, metadata={"description": "Your complaint"}
    )
    purpose = StrictString(required=True, validate=validate.Length(min=1, max=500))


class CaseLinkSchema(ResponseSchema):
    kind = fields.String(metadata={"description": "application or complaint"})
    id = fields.String()
    tracking_no = fields.String()


class AppointmentSchema(ResponseSchema):
    id = fields.String(attribute="_id")
    department = fields.String()
    start = UTCDateTime()
    end = UTCDateTime()
    status = fields.String(metadata={"description": "booked, checked_in, no_show or cancelled"})
    purpose = fields.String()
    case = fields.Nested(CaseLinkSchema, allow_none=True)
    owner = fields.Dict(metadata={"description": "Who booked (masked by the privacy policy)"})
    booked_at = UTCDateTime()
    reminded_at = UTCDateTime(allow_none=True)
    cancelled_at = UTCDateTime(allow_none=True)
    checked_in_at = UTCDateTime(allow_none=True)
    no_show_at = UTCDateTime(allow_none=True)
    timeline = fields.List(fields.Nested(TimelineEntrySchema))
    version = fields.Integer()


class DayListArgs(PageArgs):
    date = fields.Date(
        load_default=None,
        metadata={"description": "The China-local day, YYYY-MM-DD (default: today)"},
    )
