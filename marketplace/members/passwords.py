"""Password hashing with Argon2id (argon2-cffi, RFC 9106 parameters)."""

from __future__ import annotations

import functools
import gzip
import re
import string
from pathlib import Path

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


# --- what a new password must not be ---------------------------------------------------------

#: 19 646 passwords that recur in breach corpora, lowercased (one per line, gzip). Source: the list
#: Django ships (django/contrib/auth/common-passwords.txt.gz, Django 5.2, BSD-3-Clause), made by Royce
#: Williams from public breach-frequency lists (https://gist.github.com/roycewilliams/226886fd01572964e1431ac8afc999ce).
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common-passwords.txt.gz")
#: Fewer different characters than this is a pattern, not a secret ("xxxxxxxxxx", twelve spaces).
MIN_DISTINCT_CHARACTERS = 5
_EDGES = string.digits + string.punctuation + string.whitespace


@functools.cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def policy_problems(password: str, *, email: str = "", display_name: str = "") -> list[str]:
    """Why ``password`` is refused (empty when it is accepted), as NIST SP 800-63B §5.1.1.2 asks:
    long enough, not a known breached or common password (nor one with digits or symbols stuck
    around it: "password12", "Football2024!"), not a repetition, not mostly the person's own email
    or name. No composition rules."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return [f"At least {MIN_PASSWORD_LENGTH} characters."]
    problems = []
    lowered = password.lower()
    if len(set(lowered)) < MIN_DISTINCT_CHARACTERS:
        return [f"Use at least {MIN_DISTINCT_CHARACTERS} different characters: this is a repetition."]
    common = common_passwords()
    core = lowered.strip(_EDGES)
    if lowered in common or lowered.strip() in common:
        problems.append("This password is in lists of passwords leaked from other sites: choose another.")
    elif not core or core in common:
        problems.append("This is a common password with digits or symbols added: choose another.")
    for personal in _personal_words(email, display_name):
        if personal in lowered and len(lowered.replace(personal, "").strip(_EDGES)) < MIN_PASSWORD_LENGTH - 4:
            problems.append("This password is mostly your email address or name: choose another.")
            break
    return problems


def _personal_words(email: str, display_name: str) -> list[str]:
    email = email.strip().lower()
    local = email.partition("@")[0]
    name = display_name.strip().lower()
    words = [email, local, name, *re.split(r"[\W_]+", local), *re.split(r"[\W_]+", name)]
    return sorted({w for w in words if len(w) >= 4}, key=len, reverse=True)
