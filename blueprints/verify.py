"""Verifiable e-certificates: holders make presentation tokens; anyone verifies them online,
or offline with the published keys."""

from __future__ import annotations

from flask.views import MethodView

from app.accounts.auth import current_user
from app.http import ratelimit
from app.http.api import Blueprint
from app.wallet import presentations
from schemas.certificates import PresentationSchema, VerificationSchema

blp = Blueprint(
    "verify",
    __name__,
    description="Verifiable e-certificates: a holder's short-lived presentation token of a "
    "wallet certificate (JWS, EdDSA over Ed25519), verified by anyone online or offline with "
    "the keys at /.well-known/jwks.json. Tokens live DomainRules presentation_ttl_seconds "
    "(default 300 s); after a key rotation older keys stay published, so tokens they signed "
    "keep verifying until they expire.",
)


@blp.route("/api/v1/me/certificates/<string:certificate_id>/presentations")
class Presentations(MethodView):
    @blp.doc(operationId="createPresentation")
    @blp.auth()
    @blp.idempotent
    @blp.not_found
    @blp.response(201, PresentationSchema)
    @blp.alt_response(409, description="The certificate is revoked")
    def post(self, certificate_id):
        """Make a short-lived presentation token of one of my certificates (its QR payload is
        what a verifier app scans); audited"""
        return presentations.create(current_user(), certificate_id)


@blp.route("/api/v1/verify/<string:token>")
class Verify(MethodView):
    @blp.doc(operationId="verifyPresentation")
    @blp.response(200, VerificationSchema)
    @blp.alt_response(429, description="Too many verifications from this address")
    def get(self, token):
        """Verify a presentation token (anyone, no login): always 200, with `valid: false` and
        a `reason` for a malformed, tampered, foreign, expired or revoked one. A verification
        whose signature holds is logged in the certificate's access log for its holder."""
        ratelimit.hit("verify", ratelimit.client_address(), ratelimit.rate("verify_limit_address"))
        return presentations.verify(token)


@blp.route("/.well-known/jwks.json")
class Jwks(MethodView):
    @blp.doc(operationId="getVerificationKeys")
    @blp.response(200)
    def get(self):
        """The public keys presentation tokens are signed with (JWK Set, OKP/Ed25519, RFC
        8037), every key that may have signed a live token, by kid"""
        return presentations.jwks(), 200, {"Cache-Control": "public, max-age=300"}
