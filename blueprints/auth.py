"""Registration, login, token refresh and logout."""

from __future__ import annotations

from flask import request
from flask.views import MethodView

from app.accounts import service as accounts
from app.accounts.auth import current_user
from app.http import ratelimit
from app.http.api import Blueprint
from schemas.auth import LoginSchema, RefreshSchema, RegisterSchema, TokenPairSchema
from schemas.users import UserSchema

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Accounts and tokens")


@blp.route("/register")
class Register(MethodView):
    @blp.doc(operationId="registerAccount")
    @blp.idempotent
    @blp.arguments(RegisterSchema)
    @blp.response(201, UserSchema)
    @blp.alt_response(409, description="The phone number is registered already")
    @blp.alt_response(429, description="Too many registrations from this address")
    def post(self, data):
        """Create a resident or enterprise account"""
        ratelimit.hit(
            "register", ratelimit.client_address(), ratelimit.rate("register_limit_address")
        )
        return accounts.register(data)


@blp.route("/login")
class Login(MethodView):
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenPairSchema)
    @blp.alt_response(401, description="Wrong phone number or password (same answer for both)")
    @blp.alt_response(
        429,
        description="Too many failed sign-ins: this phone from this address backs off "
        "exponentially after a few wrong passwords; addresses the phone never signed in from "
        "also share a window per phone and per address. An address the phone signed in from "
        "before is only slowed by its own failures. See Retry-After.",
    )
    @blp.doc(operationId="login")
    def post(self, data):
        """Exchange phone and password for an access and a refresh token"""
        return accounts.login(data["phone"], data["password"], ratelimit.client_address())


@blp.route("/refresh")
class Refresh(MethodView):
    @blp.arguments(RefreshSchema)
    @blp.response(200, TokenPairSchema)
    @blp.alt_response(
        401,
        description="Invalid, expired, revoked or reused refresh token. Reuse revokes the "
        "token's whole family, except a retry: the same client (User-Agent and address) "
        "presenting the token it just rotated, within ONEVISIT_REFRESH_GRACE_SECONDS and "
        "before the new pair's refresh token was used, gets that same pair again (200).",
    )
    @blp.doc(operationId="refreshTokens")
    def post(self, data):
        """Rotate a refresh token: a new pair; a lost answer may be retried briefly, any
        other reuse revokes the whole family"""
        return accounts.refresh(
            data["refresh_token"],
            user_agent=request.headers.get("User-Agent", ""),
            address=ratelimit.client_address(),
        )


@blp.route("/logout")
class Logout(MethodView):
    @blp.doc(operationId="logout")
    @blp.auth()
    @blp.arguments(RefreshSchema)
    @blp.response(204)
    def post(self, data):
        """Revoke the refresh token's family (this device's session)"""
        accounts.logout(current_user(), data["refresh_token"])
