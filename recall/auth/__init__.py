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

__all__ = [
    "SYSTEM",
    "Actor",
    "Role",
    "User",
    "actor_for_token",
    "check_signer",
    "create_api_key",
    "create_user",
    "get_user",
    "login",
    "parse_roles",
]
