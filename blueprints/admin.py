"""Administration: departments, staff and supervisor accounts, the audit log."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import fields, post_dump, validate

from app import audit_repository as audit_repo
from app import clock, privacy
from app.accounts import repository as users_repo
from app.accounts import service as accounts
from app.accounts.auth import current_user
from app.cases import calendar
from app.catalogue import directory
from app.complaints import service as complaints
from app.http.api import Blueprint
from schemas.base import PageArgs, ResponseSchema, StrictString, UTCDateTime, page_of
from schemas.calendar import CalendarSchema
from schemas.catalogue import DepartmentCreateSchema, DepartmentSchema
from schemas.users import AdminUserCreateSchema, UserListArgs, UserSchema

blp = Blueprint("admin", __name__, url_prefix="/api/v1/admin", description="Administration")


class AuditArgs(PageArgs):
    actor = StrictString(validate=validate.Length(max=64))
    subject = StrictString(validate=validate.Length(max=64))
    action = StrictString(validate=validate.Length(max=64))


class AuditEntrySchema(ResponseSchema):
    id = fields.String(attribute="_id")
    at = UTCDateTime()
    action = fields.String()
    actor = fields.Dict()
    subject = fields.Dict()
    before = fields.Raw(
        allow_none=True,
        metadata={
            "description": "What the record was; names, phone and ID numbers, addresses "
            "and e-mail masked, free text redacted, password hashes left out"
        },
    )
    after = fields.Raw(allow_none=True, metadata={"description": "What it became; masked alike"})
    detail = fields.Dict(metadata={"description": "Masked alike"})
    request_id = fields.String(allow_none=True)

    @post_dump
    def _masked(self, data: dict, **_: object) -> dict:
        return privacy.audit_entry(data)


class UserPageArgs(UserListArgs, PageArgs):
    pass


@blp.route("/departments")
class AdminDepartments(MethodView):
    @blp.doc(operationId="createDepartment")
    @blp.auth("admin")
    @blp.idempotent
    @blp.arguments(DepartmentCreateSchema)
    @blp.response(201, DepartmentSchema)
    @blp.alt_response(409, description="The department code exists already")
    def post(self, data):
        """Create a department, hotline or mediation organisation"""
        return directory.create_department(data)


@blp.route("/users")
class AdminUsers(MethodView):
    @blp.doc(operationId="createUser")
    @blp.auth("admin")
    @blp.idempotent
    @blp.arguments(AdminUserCreateSchema)
    @blp.response(201, UserSchema)
    @blp.alt_response(409, description="The phone number is registered already")
    def post(self, data):
        """Create a staff, supervisor or admin account"""
        return accounts.create_user(data)

    @blp.doc(operationId="listUsers")
    @blp.auth("admin")
    @blp.arguments(UserPageArgs, location="query")
    @blp.response(200, page_of(UserSchema))
    def get(self, args):
        """Accounts, newest first"""
        return users_repo.page(
            args.get("role"), args.get("department"), args["limit"], args["cursor"]
        ).to_dict()


class RetentionRuleSchema(ResponseSchema):
    name = fields.String(metadata={"description": "complaint_contact"})
    description = fields.String()
    after_days = fields.Integer(metadata={"description": "DomainRules days after closing"})
    due = fields.Integer(metadata={"description": "Records past their retention, not yet erased"})
    erased = fields.Integer(metadata={"description": "Records erased so far"})
    next_due_at = UTCDateTime(
        allow_none=True, metadata={"description": "When the next record not yet due falls due"}
    )


class RetentionSchema(ResponseSchema):
    rules = fields.List(fields.Nested(RetentionRuleSchema))
    checked_at = UTCDateTime()


@blp.route("/users/<string:user_id>/disable")
class DisableUser(MethodView):
    @blp.doc(operationId="disableUser")
    @blp.auth("admin")
    @blp.not_found
    @blp.response(200, UserSchema)
    @blp.alt_response(409, description="An admin may not disable their own account")
    def post(self, user_id):
        """Disable an account: its access and refresh tokens stop working at once (every
        request reads the user); its refresh tokens are revoked. Audited. Idempotent."""
        return accounts.set_disabled(current_user(), user_id, True)


@blp.route("/users/<string:user_id>/enable")
class EnableUser(MethodView):
    @blp.doc(operationId="enableUser")
    @blp.auth("admin")
    @blp.not_found
    @blp.response(200, UserSchema)
    def post(self, user_id):
        """Enable a disabled account again (the user signs in anew: the refresh tokens revoked
        at disabling stay revoked). Audited. Idempotent."""
        return accounts.set_disabled(current_user(), user_id, False)


@blp.route("/retention")
class Retention(MethodView):
    @blp.doc(operationId="getRetentionReport")
    @blp.auth("admin")
    @blp.response(200, RetentionSchema)
    def get(self):
        """What the retention rules (DomainRules) make due: the worker anonymises closed
        complaints' contact data after complaint_contact_retention_days (default 365)"""
        return complaints.retention_report(clock.now())


@blp.route("/audit")
class Audit(MethodView):
    @blp.doc(operationId="listAuditEntries")
    @blp.auth("admin")
    @blp.arguments(AuditArgs, location="query")
    @blp.response(200, page_of(AuditEntrySchema))
    def get(self, args):
        """The append-only audit log, newest first"""
        return audit_repo.page(
            args.get("actor"),
            args.get("subject"),
            args.get("action"),
            args["limit"],
            args["cursor"],
            clock.now(),
        ).to_dict()


# Years outside the bounds are a 404 from routing (and the bounds are in the document).
@blp.route("/calendar/<int(min=2000, max=2100):year>")
class AdminCalendar(MethodView):
    @blp.doc(operationId="getCalendar")
    @blp.auth("admin")
    @blp.not_found
    @blp.response(200, CalendarSchema)
    def get(self, year):
        """A year's official holidays and adjusted working days, and where they come from"""
        return calendar.year_view(year)

    @blp.doc(operationId="replaceCalendar")
    @blp.auth("admin")
    @blp.not_found
    @blp.arguments(CalendarSchema)
    @blp.response(200, CalendarSchema)
    def put(self, data, year):
        """Replace a year's calendar (e.g. when the State Council publishes next year's)"""
        return calendar.replace_year(year, data["holidays"], data["workdays"], current_user().id)
