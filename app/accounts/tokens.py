"""Access tokens (short-lived JWTs from a rotatable key set) and opaque refresh-token secrets.

Key set format (ONEVISIT_JWT_KEYS or the file at ONEVISIT_JWT_KEYS_FILE), newest first:
    [{"kid": "2026-11", "secret": "<>= 32 bytes>", "verify_until": null},
     {"kid": "2026-05", "secret": "...", "verify_until": "2026-11-27T00:00:00Z"}]
The first key signs. Every key verifies until its `verify_until` (null: forever), which gives
the overlap window of a rotation. In development a key set is generated under the data dir.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jwt

from app import clock
from app.config import ConfigError, Settings

ALGORITHM = "HS256"
# Pinned: a token naming any other algorithm (including "none") is refused before verifying.
ALLOWED_ALGORITHMS = [ALGORITHM]
MIN_SECRET_BYTES = 32
REFRESH_KEY_LABEL = b"onevisit refresh-token successor v1"


class TokenError(Exception):
    """The token is not one we issued, or no longer valid; callers answer 401."""


@dataclass(frozen=True)
class SigningKey:
    kid: str
    secret: str
    verify_until: datetime | None = None

    def verifies_at(self, at: datetime) -> bool:
        return self.verify_until is None or at <= self.verify_until


def parse_keys(raw: str, origin: str) -> list[SigningKey]:
    try:
        items = json.loads(raw)
        keys = []
        for item in items:
            until = item.get("verify_until")
            keys.append(
                SigningKey(
                    kid=str(item["kid"]),
                    secret=str(item["secret"]),
                    verify_until=datetime.fromisoformat(until.replace("Z", "+00:00"))
                    if until
                    else None,
                )
            )
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ConfigError(f"{origin}: not a valid JWT key set ({exc})") from exc
    if not keys:
        raise ConfigError(f"{origin}: the JWT key set is empty")
    for key in keys:
        if len(key.secret.encode()) < MIN_SECRET_BYTES:
            raise ConfigError(f"{origin}: key {key.kid!r} is shorter than {MIN_SECRET_BYTES} bytes")
    if len({key.kid for key in keys}) != len(keys):
        raise ConfigError(f"{origin}: duplicate kid")
    return keys


def serialize_keys(keys: list[SigningKey]) -> str:
    return json.dumps(
        [
            {
                "kid": k.kid,
                "secret": k.secret,
                "verify_until": clock.iso(k.verify_until) if k.verify_until else None,
            }
            for k in keys
        ],
        indent=2,
    )


def new_key() -> SigningKey:
    return SigningKey(
        kid=clock.now().strftime("%Y%m%d%H%M%S") + "-" + secrets.token_hex(3),
        secret=secrets.token_urlsafe(48),
    )


def dev_keys_file(settings: Settings) -> Path:
    return settings.data_dir / "keys" / "jwt.json"


def load_keys(settings: Settings) -> list[SigningKey]:
    if settings.jwt_keys:
        return parse_keys(settings.jwt_keys, "ONEVISIT_JWT_KEYS")
    path = Path(settings.jwt_keys_file) if settings.jwt_keys_file else dev_keys_file(settings)
    if not path.exists():
        if settings.production:
            raise ConfigError(f"ONEVISIT_JWT_KEYS_FILE {path} does not exist")
        # Development only: generate once and keep it, so tokens survive restarts.
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(serialize_keys([new_key()]))
        tmp.chmod(0o600)
        try:
            tmp.rename(path) if not path.exists() else tmp.unlink()
        except OSError:
            pass
    return parse_keys(path.read_text(), str(path))


def rotate_keys(keys: list[SigningKey], overlap: timedelta) -> list[SigningKey]:
    """A new signing key; the previous ones keep verifying for `overlap`, then stop."""
    until = clock.now() + overlap
    retired = [
        SigningKey(
            k.kid, k.secret, k.verify_until if k.verify_until and k.verify_until < until else until
        )
        for k in keys
    ]
    live = [k for k in retired if k.verifies_at(clock.now())]
    return [new_key(), *live]


class TokenService:
    def __init__(self, keys: list[SigningKey], settings: Settings) -> None:
        self.keys = keys
        self.by_kid = {key.kid: key for key in keys}
        self.issuer = settings.jwt_issuer
        self.audience = settings.jwt_audience
        self.access_ttl = settings.access_token_ttl

    def issue_access(
        self,
        subject: str,
        role: str,
        *,
        issued_at: datetime | None = None,
        jti: str | None = None,
        kid: str | None = None,
    ) -> str:
        """A signed access token. Given ISSUED_AT, JTI and KID, the same token again (HS256 is
        deterministic): that is how a refresh retry gets back the pair it lost."""
        key = self.by_kid.get(kid or "") or self.keys[0]
        if not key.verifies_at(clock.now()):
            key = self.keys[0]
        issued = issued_at or clock.now()
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "iat": int(issued.timestamp()),
            "nbf": int(issued.timestamp()) - 5,
            "exp": int(issued.timestamp()) + self.access_ttl,
            "jti": jti or uuid.uuid4().hex,
            "typ": "access",
            "role": role,
        }
        return jwt.encode(claims, key.secret, algorithm=ALGORITHM, headers={"kid": key.kid})

    @property
    def signing_kid(self) -> str:
        return self.keys[0].kid

    def _refresh_key(self, kid: str) -> bytes | None:
        key = self.by_kid.get(kid)
        if key is None or not key.verifies_at(clock.now()):
            return None
        # A key of its own, derived with a label, so nothing computed for refresh tokens can
        # ever be mistaken for a JWT signature made with the same secret.
        return hmac.new(key.secret.encode(), REFRESH_KEY_LABEL, hashlib.sha256).digest()

    def refresh_successor(self, refresh_token: str, kid: str) -> str | None:
        """The refresh token that rotating REFRESH_TOKEN hands out: an HMAC of it under a
        server key, so a retry of the rotation can hand out the same one again while the
        database holds only digests. None when KID no longer verifies."""
        key = self._refresh_key(kid)
        if key is None:
            return None
        mac = hmac.new(key, b"successor\0" + refresh_token.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    def client_fingerprint(self, user_agent: str, address: str, kid: str) -> str | None:
        """Keyed digest of the client that rotated a token: the database never holds the
        address or User-Agent, and a leaked digest cannot be tested against guesses."""
        key = self._refresh_key(kid)
        if key is None:
            return None
        message = b"client\0" + user_agent.encode() + b"\0" + address.encode()
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    def verify_access(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise TokenError("malformed token") from exc
        if header.get("alg") not in ALLOWED_ALGORITHMS:
            raise TokenError("algorithm not allowed")
        key = self.by_kid.get(str(header.get("kid")))
        now = clock.now()
        if key is None or not key.verifies_at(now):
            raise TokenError("unknown or retired signing key")
        try:
            claims = jwt.decode(
                token,
                key.secret,
                algorithms=ALLOWED_ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                # Times are checked below against the service clock (frozen in tests).
                options={
                    "require": ["exp", "iat", "sub", "jti", "iss", "aud"],
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise TokenError(str(exc)) from exc
        try:
            expires, not_before = float(claims["exp"]), float(claims.get("nbf", 0))
        except (TypeError, ValueError) as exc:
            raise TokenError("malformed time claims") from exc
        if expires <= now.timestamp():
            raise TokenError("token expired")
        if not_before > now.timestamp():
            raise TokenError("token not yet valid")
        if claims.get("typ") != "access":
            raise TokenError("not an access token")
        return claims


def new_refresh_secret() -> str:
    return secrets.token_urlsafe(32)


def refresh_digest(secret: str) -> str:
    """Refresh tokens are stored only as this digest: a database leak yields no usable token."""
    return hashlib.sha256(secret.encode()).hexdigest()


def access_jti(refresh_token: str) -> str:
    """The jti of the access token issued with REFRESH_TOKEN (not its digest: the stored key)."""
    return hashlib.sha256(b"jti\0" + refresh_token.encode()).hexdigest()[:32]


if __name__ == "__main__":
    # `python -m app.accounts.tokens > jwt.json`: a fresh key set for ONEVISIT_JWT_KEYS(_FILE),
    # without starting the application or touching a database.
    print(serialize_keys([new_key()]))
