"""Identity: users and roles, sign-in tokens, consignee API keys, signatures."""

from recall.auth.models import SYSTEM, Actor, Role, User
from recall.auth.service import (
    actor_for_token,
    check_signer,
    create_api_key,
    create_user,
    get_user,
    login,
    parse_roles,
)
from recall.auth.signatures import Signature, record_hash, sign, signatures_of

__all__ = [
    "SYSTEM",
    "Actor",
    "Role",
    "Signature",
    "User",
    "actor_for_token",
    "check_signer",
    "create_api_key",
    "create_user",
    "get_user",
    "login",
    "parse_roles",
    "record_hash",
    "sign",
    "signatures_of",
]
