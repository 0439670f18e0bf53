"""Fees paid online: opening a payment (resident app), the providers' confirmations, and the
development sandbox that stands in for a provider."""

from __future__ import annotations

from flask import request
from flask.views import MethodView

from app.accounts.auth import current_user
from app.applications import rules as wf
from app.http.api import VERSION_ETAG, Blueprint, etag_for, if_match_version
from app.payments import service
from schemas.delivery import CallbackAckSchema
from schemas.payments import PaymentNotificationSchema, PaymentSchema

blp = Blueprint(
    "payments",
    __name__,
    url_prefix="/api/v1",
    description="Fees in integer fen, paid online through a provider (development: `sandbox`). "
    "An application of a service item with a fee carries `payment`; acceptance waits for it "
    "(409). Providers confirm through a callback signed with HMAC-SHA256 over the raw body "
    "(`X-Signature`, lowercase hex, the provider's secret from ONEVISIT_PAYMENT_SECRETS). "
    "Rejection or withdrawal after payment refunds it.",
)


@blp.route("/applications/<string:application_id>/payments")
class Payments(MethodView):
    @blp.doc(operationId="createPayment")
    @blp.auth(*wf.APPLICANT_ROLES)
    @blp.idempotent
    @blp.if_match
    @blp.not_found
    @blp.response(201, PaymentSchema, headers=VERSION_ETAG)
    @blp.alt_response(409, description="The service item is free, or the fee is paid already")
    def post(self, application_id):
        """Pay my application's fee (the applicant): opens a payment order at the provider, or
        answers the one still open; the app hands `pay_payload` to the provider's SDK. The
        ETag is the application's version"""
        doc = service.start(current_user(), application_id, if_match_version())
        return service.view(doc), 201, {"ETag": etag_for(doc["version"])}


@blp.route("/callbacks/payments/<string:provider>")
class PaymentCallback(MethodView):
    @blp.doc(operationId="paymentCallback", security=[])
    @blp.not_found
    @blp.arguments(PaymentNotificationSchema)
    @blp.response(200, CallbackAckSchema)
    @blp.alt_response(400, description="The notification is not readable")
    @blp.alt_response(401, description="The signature is missing or wrong")
    @blp.alt_response(
        422, description="The amount differs from the payment's; the payment stays pending"
    )
    def post(self, _data, provider):
        """A payment provider confirms a payment (the provider, signed; no login). A replay is
        answered 200 and changes nothing"""
        service.confirm(provider, request.get_data(cache=True), request.headers)
        return {"ok": True}


@blp.route("/sandbox/payments/<string:payment_id>/pay")
class SandboxPay(MethodView):
    @blp.doc(operationId="paySandboxPayment", security=[])
    @blp.not_found
    @blp.response(200, PaymentSchema)
    def post(self, payment_id):
        """Development only (404 in production): the sandbox provider completes an open
        payment and confirms it through the signed callback, as a real provider would"""
        return service.sandbox_pay(payment_id)
