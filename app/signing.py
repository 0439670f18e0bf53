"""The server's Ed25519 signing keys (the audit log's daily digests; later, signed
presentations): a rotatable key set like the JWT keys, newest first, the first one signs.

Key set format (ONEVISIT_SIGNING_KEYS or the file at ONEVISIT_SIGNING_KEYS_FILE):
    [{"kid": "20261202-ab12cd", "private_key": "<base64 of the 32-byte Ed25519 seed>"}]
Old keys stay in the set as long as anything they signed must verify. In development a key
set is generated once under the data dir (mode 600). `python -m app.signing` prints a new set.
"""

from __future__ import annotations

import base64
import json
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app import clock
from app.config import ConfigError, Settings


@dataclass(frozen=True)
class Ed25519Key:
    kid: str
    private: Ed25519PrivateKey

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()


class KeySet:
    def __init__(self, keys: list[Ed25519Key]) -> None:
        if not keys:
            raise ConfigError("the signing key set is empty")
        self.keys = keys
        self.by_kid = {key.kid: key for key in keys}

    def sign(self, message: bytes) -> tuple[str, str]:
        """(kid, base64 signature) of MESSAGE with the current key."""
        key = self.keys[0]
        return key.kid, base64.b64encode(key.private.sign(message)).decode()

    def verify(self, kid: str, signature: str, message: bytes) -> bool:
        key = self.by_kid.get(kid)
        if key is None:
            return False
        try:
            key.public.verify(base64.b64decode(signature), message)
        except (InvalidSignature, ValueError):
            return False
        return True

    def public_jwks(self) -> dict[str, list[dict[str, str]]]:
        """The public half of every key, as a JWK Set (RFC 8037 OKP/Ed25519), for offline
        verification of what the set signed (GET /.well-known/jwks.json)."""
        from jwt.algorithms import OKPAlgorithm

        items = []
        for key in self.keys:
            jwk = OKPAlgorithm.to_jwk(key.public, as_dict=True)
            items.append({**jwk, "kid": key.kid, "use": "sig", "alg": "EdDSA"})
        return {"keys": items}


def rotate(keys: KeySet) -> KeySet:
    """A new signing key first; every previous key stays in the set and keeps verifying what
    it signed (presentation tokens while they live, the audit log's digests for good)."""
    return KeySet([new_key(), *keys.keys])


def new_key() -> Ed25519Key:
    kid = clock.now().strftime("%Y%m%d%H%M%S") + "-" + secrets.token_hex(3)
    return Ed25519Key(kid, Ed25519PrivateKey.generate())


def serialize(keys: list[Ed25519Key]) -> str:
    from cryptography.hazmat.primitives import serialization

    raw = [
        {
            "kid": key.kid,
            "private_key": base64.b64encode(
                key.private.private_bytes(
                    serialization.Encoding.Raw,
                    serialization.PrivateFormat.Raw,
                    serialization.NoEncryption(),
                )
            ).decode(),
        }
        for key in keys
    ]
    return json.dumps(raw, indent=2)


def parse(raw: str, origin: str) -> KeySet:
    try:
        items = json.loads(raw)
        keys = [
            Ed25519Key(
                str(item["kid"]),
                Ed25519PrivateKey.from_private_bytes(base64.b64decode(item["private_key"])),
            )
            for item in items
        ]
    except (ValueError, TypeError, KeyError) as exc:
        raise ConfigError(f"{origin}: not a valid Ed25519 key set ({exc})") from exc
    if len({key.kid for key in keys}) != len(keys):
        raise ConfigError(f"{origin}: duplicate kid")
    return KeySet(keys)


def dev_keys_file(settings: Settings) -> Path:
    return settings.data_dir / "keys" / "signing.json"


def load(settings: Settings) -> KeySet:
    if settings.signing_keys:
        return parse(settings.signing_keys, "ONEVISIT_SIGNING_KEYS")
    path = (
        Path(settings.signing_keys_file) if settings.signing_keys_file else dev_keys_file(settings)
    )
    if not path.exists():
        if settings.production:
            raise ConfigError(f"ONEVISIT_SIGNING_KEYS_FILE {path} does not exist")
        # Development only: generated once and kept, so yesterday's digests still verify.
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
        tmp.write_text(serialize([new_key()]))
        tmp.chmod(0o600)
        try:
            tmp.rename(path) if not path.exists() else tmp.unlink()
        except OSError:
            tmp.unlink(missing_ok=True)
    return parse(path.read_text(), str(path))


if __name__ == "__main__":
    sys.stdout.write(serialize([new_key()]) + "\n")
