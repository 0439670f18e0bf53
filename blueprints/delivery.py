"""Delivery of results by post: dispatch (staff app), a result's delivery (resident and staff
apps), and the carriers' status reports."""

from __future__ import annotations

from flask import request
from flask.views import MethodView

from app.accounts.auth import current_user
from app.applications import service as applications
from app.delivery import service
from app.http.api import VERSION_ETAG, Blueprint, etag_for, if_match_version
from schemas.applications import ApplicationSchema
from schemas.delivery import CallbackAckSchema, CarrierReportSchema, DeliverySchema, DispatchSchema

blp = Blueprint(
    "delivery",
    __name__,
    url_prefix="/api/v1",
    description="Results sent by post instead of collected: an address at submission "
    '(`delivery: "post"`), dispatch by the lead department after completion, and carriers\' '
    "status reports signed with HMAC-SHA256 over the raw body (`X-Signature`, the carrier's "
    "secret from ONEVISIT_DELIVERY_SECRETS; development: `sandbox`).",
)


@blp.route("/applications/<string:application_id>/dispatch")
class Dispatch(MethodView):
    @blp.doc(operationId="dispatchResult")
    @blp.auth("staff")
    @blp.idempotent
    @blp.if_match
    @blp.not_found
    @blp.arguments(DispatchSchema)
    @blp.response(200, ApplicationSchema, headers=VERSION_ETAG)
    @blp.alt_response(
        409, description="Not completed, not delivered by post, or dispatched already"
    )
    def post(self, data, application_id):
        """Send the result by post (staff of the lead department, after completion)"""
        doc = service.dispatch(
            current_user(), application_id, data["carrier"], data["waybill_no"], if_match_version()
        )
        return applications.present(doc), 200, {"ETag": etag_for(doc["version"])}


@blp.route("/applications/<string:application_id>/delivery")
class Delivery(MethodView):
    @blp.doc(operationId="getDelivery")
    @blp.auth("resident", "enterprise", "staff")
    @blp.not_found
    @blp.response(200, DeliverySchema)
    def get(self, application_id):
        """Where my result is (the applicant, staff handling the case; the address is masked
        for staff of other departments)"""
        return service.get(current_user(), application_id)


@blp.route("/callbacks/delivery/<string:provider>")
class DeliveryCallback(MethodView):
    @blp.doc(operationId="deliveryCallback", security=[])
    @blp.not_found
    @blp.arguments(CarrierReportSchema)
    @blp.response(200, CallbackAckSchema)
    @blp.alt_response(400, description="The report is not readable")
    @blp.alt_response(401, description="The signature is missing or wrong")
    def post(self, _data, provider):
        """A carrier reports a posted result's status (the carrier, signed; no login). A replay
        of an event is answered 200 with no second event"""
        service.report(provider, request.get_data(cache=True), request.headers)
        return {"ok": True}
