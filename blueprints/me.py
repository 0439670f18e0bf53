"""The signed-in user's own profile and push devices."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.accounts import service as accounts
from app.accounts.auth import current_user
from app.http.api import VERSION_ETAG, Blueprint, etag_for, if_match_version
from schemas.users import MAX_DEVICE_TOKEN, DeviceSchema, ProfileUpdateSchema, UserSchema

blp = Blueprint("me", __name__, url_prefix="/api/v1/me", description="My account")


def _profile(doc: dict[str, Any]):
    return doc, 200, {"ETag": etag_for(doc.get("version", 0))}


@blp.route("")
class Me(MethodView):
    @blp.doc(operationId="getMyProfile")
    @blp.auth()
    @blp.etag
    @blp.response(200, UserSchema, headers=VERSION_ETAG)
    def get(self):
        """My profile (with its ETag, for If-Match on PATCH)"""
        return _profile(accounts.profile(current_user()))

    @blp.doc(operationId="updateMyProfile")
    @blp.auth()
    @blp.if_match
    # Every field is optional, so no body at all is the same no-op as {}: say so in the document.
    @blp.arguments(ProfileUpdateSchema, required=False)
    @blp.response(200, UserSchema, headers=VERSION_ETAG)
    def patch(self, changes):
        """Change my profile, password or staff notification settings

        Name, ID number, enterprise data, password (needs current_password) and, for staff,
        `staff_notifications`: which kinds of work reaching their inbox they are told of.
        """
        return _profile(accounts.update_profile(current_user(), changes, if_match_version()))

    @blp.doc(operationId="closeMyAccount")
    @blp.auth("resident", "enterprise")
    @blp.response(204)
    def delete(self):
        """Close my account (PIPL): the account and every token end at once; my applications,
        complaints and certificates are kept as the law requires with my name, phone and ID
        number anonymised (by the worker, within its relay lag); my notifications, delegations
        and dependants are removed. Audited."""
        accounts.close_account(current_user())


@blp.route("/devices")
class Devices(MethodView):
    @blp.doc(operationId="registerDevice")
    @blp.links({"token": "$request.body#/token"}, "me.DeviceByToken", status=204)
    @blp.auth()
    @blp.arguments(DeviceSchema)
    @blp.response(204)
    def post(self, data):
        """Register this phone's push token (idempotent: registering twice is harmless)"""
        accounts.register_device(current_user(), data["platform"], data["token"])


@blp.route(f"/devices/<string(maxlength={MAX_DEVICE_TOKEN}):token>")
class DeviceByToken(MethodView):
    @blp.doc(operationId="unregisterDevice")
    @blp.auth()
    @blp.not_found
    @blp.response(204)
    def delete(self, token):
        """Stop pushing to this token"""
        accounts.remove_device(current_user(), token)
