"""Who is calling: bearer-token authentication and the role/duty rules every endpoint declares."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from flask import current_app, g, request

from app.accounts import repository as users_repo
from app.accounts.tokens import TokenError, TokenService
from app.http.errors import Forbidden, Unauthorized

ROLES = ("resident", "enterprise", "staff", "supervisor", "admin")
DUTIES = ("window", "reviewer", "head")


@dataclass(frozen=True)
class Principal:
    """The signed-in user as the rules need them; loaded fresh on every request."""

    id: str
    role: str
    name: str = ""
    department: str | None = None
    duties: tuple[str, ...] = ()
    region: str | None = None
    region_path: tuple[str, ...] = ()
    kind: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    # Acting for someone else (app/accounts/acting.py): this Principal is the person acted
    # for, AGENT the signed-in person acting; MATTERS the service items a grant limits it to.
    agent: Principal | None = field(default=None, compare=False)
    matters: tuple[str, ...] | None = None

    @property
    def oid(self) -> ObjectId:
        return ObjectId(self.id)

    def may_handle_matter(self, code: str | None) -> bool:
        """False when a delegation limits this acting to other service items."""
        return self.matters is None or code in self.matters

    def has_duty(self, duty: str) -> bool:
        return duty in self.duties

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Principal:
        return cls(
            id=str(doc["_id"]),
            role=doc["role"],
            name=doc.get("name", ""),
            department=doc.get("department"),
            duties=tuple(doc.get("duties") or ()),
            region=doc.get("region"),
            region_path=tuple(doc.get("region_path") or ()),
            kind=doc.get("kind"),
        )


def token_service() -> TokenService:
    return current_app.extensions["tokens"]


def _bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("A bearer access token is required.")
    return token.strip()


def authenticate() -> Principal:
    """The caller of this request, or 401."""
    cached = g.get("user")
    if cached is not None:
        return cached
    try:
        claims = token_service().verify_access(_bearer_token())
        user_id = ObjectId(claims["sub"])
    except (TokenError, InvalidId, TypeError) as exc:
        raise Unauthorized("The access token is invalid or expired.") from exc
    doc = users_repo.get(user_id)
    if doc is None or doc.get("disabled"):
        raise Unauthorized("The access token is invalid or expired.")
    principal = Principal.from_document(doc)
    g.user = principal
    g.user_document = doc
    return principal


def current_user_document() -> dict[str, Any] | None:
    """The caller's user document exactly as authenticate() read it for this request, so a
    service that needs it (the profile, an applicant snapshot) does not read it again."""
    return g.get("user_document")


def optional_user() -> Principal | None:
    if not request.headers.get("Authorization"):
        return None
    return authenticate()


def require(roles: Iterable[str] = (), duties: Iterable[str] = ()) -> Principal:
    """Authenticate, then check the role and (for staff) that at least one duty matches."""
    user = authenticate()
    roles = tuple(roles)
    duties = tuple(duties)
    if roles and user.role not in roles:
        raise Forbidden("Your role may not do this.")
    if duties and user.role == "staff" and not set(duties) & set(user.duties):
        raise Forbidden("This needs the duty: " + " or ".join(duties) + ".")
    return user


def current_user() -> Principal:
    user = g.get("user")
    if user is None:
        raise Unauthorized()
    return user
