"""Password hashing with Argon2id (argon2-cffi, RFC 9106 parameters)."""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

#: Replaced by a cheaper hasher in the test suite only (tests/conftest.py); the parameters are
#: stored in each hash, so hashes made with either verify with either.
HASHER = PasswordHasher()

MIN_PASSWORD_LENGTH = 10  # NIST SP 800-63B §5.1.1.2 asks for at least 8; we ask a little more


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def burn_verification_time(password: str) -> None:
    """Verify against a throwaway hash when the account does not exist, so that response time
    does not reveal which emails are registered."""
    verify_password(_dummy_hash(), password)


@functools.cache
def _dummy_hash() -> str:
    return HASHER.hash("relife-not-a-password")
