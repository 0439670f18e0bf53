"""Applications: submission and tracking (resident app) and the one-window workflow (staff app)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.accounts import acting
from app.accounts.auth import current_user
from app.applications import rules as wf
from app.applications import service
from app.cases.workflow import describe
from app.http.api import VERSION_ETAG, Blueprint, etag_for, if_match_version
from schemas.applications import (
    ApplicationCreateSchema,
    ApplicationListArgs,
    ApplicationSchema,
    ApplicationSummarySchema,
    CommitmentVerificationSchema,
    ReviewDecisionSchema,
    SupplementRequestSchema,
    SupplementSchema,
    VisitSchema,
)
from schemas.base import page_of
from schemas.cases import ReasonSchema
from schemas.certificates import CertificateSchema
from schemas.rectifications import ApplicationRatingSchema

blp = Blueprint(
    "applications",
    __name__,
    url_prefix="/api/v1/applications",
    description="Applications for service items, from submission to the certificate in the "
    "wallet. Every state change is a compare-and-set: send If-Match with the ETag you read "
    "(412 when stale); a transition that no longer applies answers 409. Transitions:\n\n"
    + "\n".join(f"- {line}" for line in describe(wf.MACHINE)),
)

APPLICANTS = wf.APPLICANT_ROLES
READERS = ("resident", "enterprise", "staff", "supervisor")


def _one(doc: dict[str, Any], status: int = 200):
    return service.present(doc), status, {"ETag": etag_for(doc["version"])}


# What uses an application's id (and its first review's department, first material's key).
APPLICATION_LINKS = (
    "applications.ApplicationById",
    "applications.Withdraw",
    "applications.Supplements",
    "applications.Rating",
    "applications.Accept",
    "applications.Reject",
    "applications.RequestSupplement",
    "applications.Review",
    "applications.Visits",
    "applications.Complete",
    "applications.CitedCertificate",
)
_BY_ID = {
    "application_id": "$response.body#/id",
    "department_code": "$response.body#/reviews/0/department",
    "key": "$response.body#/materials/0/key",
}
_FIRST_ITEM = {"application_id": "$response.body#/items/0/id"}


@blp.route("")
class Applications(MethodView):
    @blp.doc(operationId="submitApplication")
    @blp.links(_BY_ID, *APPLICATION_LINKS, status=201)
    @blp.links(
        {"tracking_no": "$response.body#/tracking_no"}, "applications.ApplicationByTrackingNo"
    )
    @blp.auth(*APPLICANTS)
    @blp.on_behalf()
    @blp.idempotent
    @blp.arguments(ApplicationCreateSchema)
    @blp.response(201, ApplicationSchema, headers=VERSION_ETAG)
    def post(self, data):
        """Submit an application: the form is checked against the service item, required
        materials must be cited (your attachment, or a certificate of the required type from
        your wallet), and the item's audience must match your account"""
        return _one(service.submit(acting.subject(), data), 201)

    @blp.doc(operationId="listMyApplications")
    @blp.links(_FIRST_ITEM, *APPLICATION_LINKS, status=200)
    @blp.auth(*APPLICANTS)
    @blp.on_behalf()
    @blp.arguments(ApplicationListArgs, location="query")
    @blp.response(200, page_of(ApplicationSummarySchema))
    def get(self, args):
        """My applications, newest first"""
        page = service.list_own(acting.subject(), args["status"], args["limit"], args["cursor"])
        return page.to_dict()


@blp.route("/track/<string:tracking_no>")
class ApplicationByTrackingNo(MethodView):
    @blp.doc(operationId="trackApplication")
    @blp.auth(*READERS)
    @blp.on_behalf()
    @blp.not_found
    @blp.response(200, ApplicationSchema, headers=VERSION_ETAG)
    def get(self, tracking_no):
        """Find an application by its tracking number (owner, involved staff, supervisor)"""
        return _one(service.track(acting.subject(), tracking_no))


@blp.route("/<string:application_id>")
class ApplicationById(MethodView):
    @blp.doc(operationId="getApplication")
    @blp.auth(*READERS)
    @blp.on_behalf()
    @blp.not_found
    @blp.response(200, ApplicationSchema, headers=VERSION_ETAG)
    def get(self, application_id):
        """One application with its timeline, reviews, clock and visits (owner, involved
        staff, supervisor of the region)"""
        return _one(service.get(acting.subject(), application_id))


@blp.route("/<string:application_id>/withdraw")
class Withdraw(MethodView):
    @blp.doc(operationId="withdrawApplication")
    @blp.auth(*APPLICANTS)
    @blp.idempotent
    @blp.if_match
    @blp.not_found
    @blp.response(200, ApplicationSchema, headers=VERSION_ETAG)
    def post(self, application_id):
        """Withdraw my application (only before acceptance)"""
        return _one(service.withdraw(current_user(), application_id, if_match_version()))


@blp.route("/<string:application_id>/supplements")
class Supplements(MethodView):
    @blp.doc(operationId="submitSupplement")
    @blp.auth(*APPLICANTS)
    @blp.on_behalf()
    @blp.idempotent
    @blp.if_match
    @blp.not_found
    @blp.arguments(SupplementSchema)
    @blp.response(200, ApplicationSchema, headers=VERSION_ETAG)
    def post(self, data, application_id):
        """Hand in the requested materials; the case returns to review and the clock resumes,
        its due time extended by the pause. While the case is in review or approved with
        materials accepted for later outstanding (`deferred_materials`, 容缺受理), hand those
        in here: each one given is cleared and the status does not change (the clock never
        paused). The applicant only."""
        return _one(
            service.supplement(
                acting.subject(),
                application_id,
                data["materials"],
                data["note"],
                if_match_version(),
            )
        )


@blp.route("/<string:application_id>/rating")
class Rating(MethodView):
    @blp.doc(operationId="rateApplication")
    @blp.auth(*APPLICANTS)
    @blp.on_behalf()
    @blp.idempotent
    @blp.if_match
    @blp.not_found
    @blp.arguments(ApplicationRatingSchema)
    @blp.response(201, ApplicationSchema, headers=VERSION_ETAG)
    def post(self, data, application_id):
        """Rate the service after the application reached a final state, naming the window or
        a staff member who handled it if you like (the applicant). A rating of 1 or 2 opens a
        rectification; a second rating only after it was resolved (409 otherwise)"""
        return _one(service.rate(acting.subject(), application_id, data, if_match_version()), 201)


@blp.route("/<string:application_id>/accept")
class Accept(MethodView):
    @blp.doc(operationId="acceptApplication")
    @blp.auth("staff")
    @blp.idempotent
    @blp.if_match
    @blp.not_found
    @blp.response(200, ApplicationSchema, headers=VERSION_ETAG)
    def post(self, application_id):
        """Accept at the one window (the lead department, or window staff of the case's
        region): starts the clock and opens one review task per involved department"""
        return _one(service.accept(current_user(), application_id, if_match_version()))


@blp.route("/<string:application_id>/reject")
class Reject(MethodView):
    @blp.doc(operationId="rejectApplication")
    @blp.auth("staff")
    @blp.idempotent
    @blp.if_match
    @blp.not_found
    @blp.arguments(ReasonSchema)
    @blp.response(200, ApplicationSchema, headers=VERSION_ETAG)
    def post(self, data, application_id):
        """Refuse at acceptance, with a reason"""
        return _one(
            service.reject(current_user(), application_id, data["reason"], if_match_version())
        )


@blp.route("/<string:application_id>/request-supplement")
class RequestSupplement(MethodView):
    @blp.doc(operationId="requestSupplement")
    @blp.auth("staff")
    @blp.idempotent
    @blp.if_match
    @blp.not_found
    @blp.arguments(SupplementRequestSchema)
    @blp.response(200, ApplicationSchema, headers=VERSION_ETAG)
    def post(self, data, application_id):
        """Ask the applicant for materials (a department whose review is pending); the clock
        pauses"""
        return _one(
            service.request_supplement(
                current_user(),
                application_id,
                data["materials"],
                data["reason"],
                if_match_version(),
            )
        )


@blp.route("/<string:application_id>/reviews/<string:department_code>")
class Review(MethodView):
    @blp.doc(operationId="decideReview")
    @blp.auth("staff")
    @blp.idempotent
    @blp.if_match
    @blp.not_found
    @blp.arguments(ReviewDecisionSchema)
    @blp.response(200, ApplicationSchema, headers=VERSION_ETAG)
    def post(self, data, application_id, department_code):
        """Decide my department's review task: all approve → approved, any reject → rejected"""
        return _one(
            service.review(
                current_user(),
                application_id,
                department_code,
                data["decision"],
                data["opinion"],
                if_match_version(),
            )
        )


@blp.route("/<string:application_id>/complete")
class Complete(MethodView):
    @blp.doc(operationId="completeApplication")
    @blp.auth("staff")
    @blp.idempotent
    @blp.if_match
    @blp.not_found
    @blp.response(200, ApplicationSchema, headers=VERSION_ETAG)
    def post(self, application_id):
        """Complete an approved case (lead department): issues the item's certificate into
        the applicant's wallet"""
        return _one(service.complete(current_user(), application_id, if_match_version()))


@blp.route("/<string:application_id>/verification")
class Verification(MethodView):
    @blp.doc(operationId="verifyCommitments")
    @blp.auth("staff")
    @blp.idempotent
    @blp.if_match
    @blp.not_found
    @blp.arguments(CommitmentVerificationSchema)
    @blp.response(200, ApplicationSchema, headers=VERSION_ETAG)
    def post(self, data, application_id):
        """Verify, once, the commitments that replaced proofs on a completed case (告知承诺制;
        reviewers or heads of the lead department; its task is in the inbox, kind
        `verification`). `false` (with a note) revokes the certificate the case issued,
        raises `false_commitment` and bars the applicant from commitments for a time."""
        return _one(
            service.verify(
                current_user(), application_id, data["result"], data["note"], if_match_version()
            )
        )


@blp.route("/<string:application_id>/visits")
class Visits(MethodView):
    @blp.doc(operationId="recordVisit")
    @blp.auth("staff")
    @blp.idempotent
    @blp.if_match
    @blp.not_found
    @blp.arguments(VisitSchema)
    @blp.response(201, ApplicationSchema, headers=VERSION_ETAG)
    def post(self, data, application_id):
        """Record a physical visit of the applicant (involved staff); more visits than the
        item allows raise an extra_visit supervision event"""
        return _one(
            service.record_visit(
                current_user(), application_id, data["purpose"], if_match_version()
            ),
            201,
        )


@blp.route("/<string:application_id>/materials/<string:key>/certificate")
class CitedCertificate(MethodView):
    @blp.doc(operationId="readCitedCertificate")
    @blp.auth("staff")
    @blp.not_found
    @blp.response(200, CertificateSchema)
    def get(self, application_id, key):
        """Read a wallet certificate the applicant cited for a material (staff handling the
        case); the read is logged and shown to the holder"""
        return service.read_certificate(current_user(), application_id, key)
