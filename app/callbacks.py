"""Provider callbacks (payment providers, carriers): the ONE secrets loader and the ONE
signature check they share.

Secrets: `ONEVISIT_PAYMENT_SECRETS` / `ONEVISIT_DELIVERY_SECRETS` hold JSON objects
`{provider: secret}`. Unset outside production, a secret for the `sandbox` provider is
generated once and kept under the data directory (`keys/payment_secrets.json`, mode 600), like
the JWT keys; in production an unset variable means no provider is configured (every callback
answers 404).

Signature: `X-Signature` is the lowercase hex HMAC-SHA256 of the raw request body with the
provider's secret, compared in constant time. A bad or missing signature is 401; an unknown
provider is 404.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

from flask import current_app

from app.config import ConfigError, Settings
from app.http.errors import NotFound, Unauthorized
from app.i18n import N_

KINDS = ("payment", "delivery")
SIGNATURE_HEADER = "X-Signature"
SANDBOX = "sandbox"


def env_name(kind: str) -> str:
    return f"ONEVISIT_{kind.upper()}_SECRETS"


def dev_secrets_file(settings: Settings, kind: str) -> Path:
    return settings.data_dir / "keys" / f"{kind}_secrets.json"


def _parse(raw: str, origin: str) -> dict[str, str]:
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ConfigError(f"{origin}: not JSON ({exc})") from exc
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()
    ):
        raise ConfigError(f"{origin}: must be a JSON object {{provider: secret}}")
    return value


def load_secrets(settings: Settings, kind: str) -> dict[str, str]:
    """The {provider: secret} map of KIND ("payment" or "delivery")."""
    raw = os.environ.get(env_name(kind))
    if raw:
        return _parse(raw, env_name(kind))
    if settings.production:
        return {}
    path = dev_secrets_file(settings, kind)
    if not path.exists():
        # Development only: generated once and kept, so a sandbox keeps its secret.
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
        tmp.write_text(json.dumps({SANDBOX: secrets.token_hex(32)}))
        tmp.chmod(0o600)
        try:
            tmp.rename(path) if not path.exists() else tmp.unlink()
        except OSError:
            tmp.unlink(missing_ok=True)
    return _parse(path.read_text(), str(path))


def secrets_of(kind: str) -> dict[str, str]:
    """KIND's secrets, loaded once per application."""
    cache = current_app.extensions.setdefault("callback_secrets", {})
    if kind not in cache:
        cache[kind] = load_secrets(current_app.extensions["settings"], kind)
    return cache[kind]


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(kind: str, provider: str, body: bytes, signature: str | None) -> None:
    """Raise unless SIGNATURE is PROVIDER's HMAC of BODY (404: no such provider; 401: bad)."""
    secret = secrets_of(kind).get(provider)
    if secret is None:
        raise NotFound(N_("No such provider."))
    if not signature or not hmac.compare_digest(sign(secret, body), signature.strip().lower()):
        raise Unauthorized(N_("The callback's signature is not valid."), headers={})
