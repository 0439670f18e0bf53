"""Password hashing with argon2id; hashes made with old parameters are upgraded at login."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# argon2-cffi defaults to argon2id with RFC 9106's low-memory profile.
_hasher = PasswordHasher()
# Verified against when the phone is unknown, so both failures take the same time.
_DUMMY_HASH = _hasher.hash("onevisit-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


def set_parameters(time_cost: int, memory_cost: int, parallelism: int) -> None:
    """Change the hashing cost (tests use it to prove rehash-on-login)."""
    global _hasher
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
