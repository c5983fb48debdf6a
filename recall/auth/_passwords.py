"""Password hashing with argon2id."""

from __future__ import annotations

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from recall.settings import get_settings

# argon2id with the library's recommended parameters; the test suite and the demo (whose
# passwords are public) trade strength for start-up speed.
_hasher = (
    PasswordHasher.from_parameters(profiles.CHEAPEST)
    if get_settings().mode in {"test", "demo"}
    else PasswordHasher()
)

# Compared against when a username does not exist, so timing does not reveal it.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; a missing hash still costs one verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False
