"""Appointments (the one visit, planned): opening hours, slots, booking, the person's list,
cancellation, and the department's day list, check-in and no-show."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.accounts.auth import current_user
from app.appointments import rules, service
from app.cases.workflow import describe
from app.http.api import VERSION_ETAG, Blueprint, etag_for, if_match_version
from schemas.appointments import (
    AppointmentCreateSchema,
    AppointmentSchema,
    DayListArgs,
    OpeningHoursSchema,
    OpeningHoursViewSchema,
    SlotArgs,
    SlotPageSchema,
)
from schemas.base import PageArgs, page_of

blp = Blueprint(
    "appointments",
    __name__,
    url_prefix="/api/v1",
    description="Appointments at a department's window for the one visit that cannot be "
    "avoided. Slots follow the department's opening hours on the official working-day "
    "calendar, in China Standard Time (times on the wire are UTC). Book at least "
    "`ONEVISIT_APPOINTMENT_LEAD_HOURS` (24) ahead and at most "
    "`ONEVISIT_APPOINTMENT_HORIZON_WORKING_DAYS` (5) working days out; a full slot is 409; one "
    "active appointment per person per case (409). A reminder is sent the day before. "
    "Transitions:\n\n" + "\n".join(f"- {line}" for line in describe(rules.MACHINE)),
)


def _one(doc: dict[str, Any], status: int = 200):
    return service.present(doc), status, {"ETag": etag_for(doc["version"])}


def _page(page) -> dict[str, Any]:
    return {"items": [service.present(doc) for doc in page.items], "next_cursor": page.next_cursor}


@blp.route("/admin/departments/<string:code>/opening-hours")
class OpeningHours(MethodView):
    @blp.doc(operationId="setOpeningHours")
    @blp.auth("admin")
    @blp.not_found
    @blp.arguments(OpeningHoursSchema)
    @blp.response(200, OpeningHoursViewSchema)
    def put(self, data, code):
        """Replace a department's weekly opening hours, slot length and places per slot"""
        return service.set_opening_hours(code, data, current_user())


@blp.route("/departments/<string:code>/opening-hours")
class PublicOpeningHours(MethodView):
    @blp.doc(operationId="getOpeningHours")
    @blp.not_found
    @blp.response(200, OpeningHoursViewSchema)
    def get(self, code):
        """A department's weekly opening hours (China Standard Time)"""
        return service.get_opening_hours(code)


@blp.route("/departments/<string:code>/slots")
class Slots(MethodView):
    @blp.doc(operationId="listSlots")
    @blp.not_found
    @blp.arguments(SlotArgs, location="query")
    @blp.response(200, SlotPageSchema)
    def get(self, args, code):
        """A department's slots with the places still free (only working days of the official
        calendar: holidays closed, adjusted working weekends open)"""
        return service.slots(code, args.get("from_"), args.get("to"))


# What uses an appointment's id: reading it, cancelling it, check-in and no-show.
APPOINTMENT_LINKS = (
    "appointments.AppointmentById",
    "appointments.Cancel",
    "appointments.CheckIn",
    "appointments.NoShow",
)


@blp.route("/appointments")
class Appointments(MethodView):
    @blp.doc(operationId="bookAppointment")
    @blp.links({"appointment_id": "$response.body#/id"}, *APPOINTMENT_LINKS)
    @blp.auth(*rules.OWNER_ROLES)
    @blp.idempotent
    @blp.arguments(AppointmentCreateSchema)
    @blp.response(201, AppointmentSchema, headers=VERSION_ETAG)
    @blp.alt_response(
        409, description="The slot is full, or you hold an active appointment for this case already"
    )
    def post(self, data):
        """Book a place in a slot, optionally for one of your applications or complaints"""
        return _one(service.book(current_user(), data), 201)


@blp.route("/appointments/<string:appointment_id>")
class AppointmentById(MethodView):
    @blp.doc(operationId="getAppointment")
    @blp.auth(*rules.OWNER_ROLES, "staff", "supervisor")
    @blp.not_found
    @blp.response(200, AppointmentSchema, headers=VERSION_ETAG)
    def get(self, appointment_id):
        """One appointment (the person who booked, the department's staff, supervisors)"""
        return _one(service.get(current_user(), appointment_id))


@blp.route("/appointments/<string:appointment_id>/cancel")
class Cancel(MethodView):
    @blp.doc(operationId="cancelAppointment")
    @blp.auth(*rules.OWNER_ROLES)
    @blp.idempotent
    @blp.if_match
    @blp.not_found
    @blp.response(200, AppointmentSchema, headers=VERSION_ETAG)
    def post(self, appointment_id):
        """Cancel my appointment, at least `ONEVISIT_APPOINTMENT_CANCEL_CUTOFF_HOURS` (2)
        hours before it starts (409 later); the place goes back to the slot"""
        return _one(service.cancel(current_user(), appointment_id, if_match_version()))


@blp.route("/appointments/<string:appointment_id>/check-in")
class CheckIn(MethodView):
    @blp.doc(operationId="checkInAppointment")
    @blp.auth("staff")
    @blp.idempotent
    @blp.if_match
    @blp.not_found
    @blp.response(200, AppointmentSchema, headers=VERSION_ETAG)
    def post(self, appointment_id):
        """Receive the person (any time before the slot ends); the visit is recorded on the
        application the appointment is for"""
        return _one(service.check_in(current_user(), appointment_id, if_match_version()))


@blp.route("/appointments/<string:appointment_id>/no-show")
class NoShow(MethodView):
    @blp.doc(operationId="markAppointmentNoShow")
    @blp.auth("staff")
    @blp.idempotent
    @blp.if_match
    @blp.not_found
    @blp.response(200, AppointmentSchema, headers=VERSION_ETAG)
    def post(self, appointment_id):
        """Record that nobody came (only once the slot has started: 409 before); it goes on
        the person's record"""
        return _one(service.no_show(current_user(), appointment_id, if_match_version()))


@blp.route("/me/appointments")
class MyAppointments(MethodView):
    @blp.doc(operationId="listMyAppointments")
    @blp.links({"appointment_id": "$response.body#/items/0/id"}, *APPOINTMENT_LINKS, status=200)
    @blp.auth(*rules.OWNER_ROLES)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_of(AppointmentSchema))
    def get(self, args):
        """My appointments, newest booking first"""
        return _page(service.list_own(current_user(), args["limit"], args["cursor"]))


@blp.route("/staff/appointments")
class DayList(MethodView):
    @blp.doc(operationId="listStaffAppointments")
    @blp.links({"appointment_id": "$response.body#/items/0/id"}, *APPOINTMENT_LINKS, status=200)
    @blp.auth("staff")
    @blp.arguments(DayListArgs, location="query")
    @blp.response(200, page_of(AppointmentSchema))
    def get(self, args):
        """My department's appointments of one day, in order of their start"""
        page = service.day_list(current_user(), args["date"], args["limit"], args["cursor"])
        return _page(page)
