"""Password hashing with argon2id; hashes are upgraded at login when the cost changes."""

from __future__ import annotations

from contextlib import suppress
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_PASSWORD_LENGTH = 12
# Long passphrases are welcome; the bound keeps hashing a submitted "password" cheap.
MAX_PASSWORD_LENGTH = 1024
COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")

# Verified against when the username is unknown, so a login takes as long either way.
_DUMMY_PASSWORD = "not-a-member-password"  # noqa: S105


@lru_cache(maxsize=8)
def _hasher_for(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(
        time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism, type=Type.ID
    )


@lru_cache(maxsize=8)
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    # Hashed once per cost setting: hashing it on every unknown-user login would make that
    # path slower than a real check, and so tell an attacker which usernames exist.
    return _hasher_for(time_cost, memory_cost, parallelism).hash(_DUMMY_PASSWORD)


def _cost() -> tuple[int, int, int]:
    config = current_app.config
    return (
        config["ARGON2_TIME_COST"],
        config["ARGON2_MEMORY_COST"],
        config["ARGON2_PARALLELISM"],
    )


def hash_password(password: str) -> str:
    """Return the argon2id hash of `password` at the configured cost."""
    return _hasher_for(*_cost()).hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash, still spend the time of one check."""
    cost = _cost()
    hasher = _hasher_for(*cost)
    if password_hash is None:
        with suppress(VerificationError):
            hasher.verify(_dummy_hash(*cost), password)
        return False
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other cost parameters than the configured ones."""
    return _hasher_for(*_cost()).check_needs_rehash(password_hash)


def password_problem(
    password: str, confirmation: str | None = None, *, username: str | None = None
) -> str | None:
    """Say what is wrong with a new password, or None when it is acceptable.

    At least 12 characters (a long passphrase is welcome, up to 1,024), not a common password
    or a common word padded with digits and symbols, not the username, not one character
    repeated (NIST SP 800-63B §5.1.1.2: length and a blocklist, no composition rules).
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"The password must have at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"The password may have at most {MAX_PASSWORD_LENGTH} characters."
    folded = password.casefold()
    core = folded.strip("0123456789!@#$%^&*()_+-=.,;:?~ ")
    if folded in _common() or core in _common() or len(set(folded)) == 1:
        return (
            "This password is too common: it is among the first an attacker tries. "
            "A few unrelated words make a strong passphrase."
        )
    if username and len(username) >= 3 and username.casefold() in folded:
        return "The password must not contain the username."
    if confirmation is not None and confirmation != password:
        return "The two passwords do not match."
    return None


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text().splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))
