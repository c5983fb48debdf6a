"""What a password must be: long, not trivial, not the username, not a common one."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from recall.errors import InvalidInput

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (lower-case), read once."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def check_password_policy(password: str, username: str, field: str = "password") -> None:
    """Refuse a password anyone could guess, with InvalidInput naming `field`."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(field, f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(field, f"must be at most {MAX_PASSWORD_LENGTH} characters")
    folded = password.strip().casefold()
    if len(set(password)) == 1 or not folded:
        raise InvalidInput(field, "must not be one character repeated")
    name = username.strip().casefold()
    if name and (folded == name or folded == name[::-1]):
        raise InvalidInput(field, "must not be the username")
    if folded in common_passwords() or "".join(folded.split()) in common_passwords():
        raise InvalidInput(field, "is too common; choose one that is not on lists of passwords")
