"""Password hashing (argon2 via pwdlib) and the password policy. Hashing is slow on purpose: call it off the loop."""

from __future__ import annotations

import secrets

from pwdlib import PasswordHash

from sales_growth.errors import InvalidInputError

MIN_LENGTH = 8
_hasher = PasswordHash.recommended()
# Verified against when the email is unknown, so unknown and known addresses take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def check_policy(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise InvalidInputError(f"パスワードは{MIN_LENGTH}文字以上にしてください。")


def hash_password(password: str) -> str:
    check_policy(password)
    return _hasher.hash(password)


def verify(password: str, password_hash: str | None) -> bool:
    if password_hash is None:
        _hasher.verify(password, _DUMMY_HASH)
        return False
    return _hasher.verify(password, password_hash)


def generate() -> str:
    """A random password for accounts created without one (shown once)."""
    return secrets.token_urlsafe(12)
