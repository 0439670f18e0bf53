"""The certificate wallet: the holder's certificates and who read each one, through which case."""

from __future__ import annotations

from flask.views import MethodView

from app.accounts import acting
from app.http.api import Blueprint
from app.wallet import certificates
from schemas.base import PageArgs, page_of
from schemas.certificates import CertificateAccessSchema, CertificateListArgs, CertificateSchema

blp = Blueprint(
    "certificates",
    __name__,
    url_prefix="/api/v1/me/certificates",
    description="My certificate wallet",
)


@blp.route("")
class Wallet(MethodView):
    @blp.doc(operationId="listMyCertificates")
    @blp.links(
        {"certificate_id": "$response.body#/items/0/id"},
        "certificates.CertificateById",
        "certificates.CertificateAccessLog",
        status=200,
    )
    @blp.auth()
    @blp.on_behalf(acting.WALLET)
    @blp.arguments(CertificateListArgs, location="query")
    @blp.response(200, page_of(CertificateSchema))
    def get(self, args):
        """My certificates, newest first"""
        return certificates.wallet(
            acting.subject(), args.get("type"), args["limit"], args["cursor"]
        ).to_dict()


@blp.route("/<string:certificate_id>")
class CertificateById(MethodView):
    @blp.doc(operationId="getMyCertificate")
    @blp.auth()
    @blp.on_behalf(acting.WALLET)
    @blp.not_found
    @blp.etag
    @blp.response(200, CertificateSchema)
    def get(self, certificate_id):
        """One of my certificates (another holder's id answers 404)"""
        return certificates.get_own(acting.subject(), certificate_id)


@blp.route("/<string:certificate_id>/access-log")
class CertificateAccessLog(MethodView):
    @blp.doc(operationId="listCertificateAccessLog")
    @blp.auth()
    @blp.on_behalf(acting.WALLET)
    @blp.not_found
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_of(CertificateAccessSchema))
    def get(self, page, certificate_id):
        """Who read this certificate of mine, when, and for which case, newest first"""
        return certificates.access_log(
            acting.subject(), certificate_id, page["limit"], page["cursor"]
        ).to_dict()
