"""Identity: users and roles, sign-in tokens, consignee API keys, signatures."""

from recall.auth._accounts import (
    change_own_password,
    end_token,
    list_users,
    set_password,
    sign_in_locked,
    update_user,
)
from recall.auth._api_keys import (
    ApiKeyInfo,
    create_api_key,
    get_api_key,
    list_api_keys,
    revoke_api_key,
)
from recall.auth._models import User
from recall.auth._password_policy import check_password_policy
from recall.auth._service import (
    actor_for_token,
    check_signer,
    create_user,
    get_user,
    login,
    parse_roles,
)
from recall.auth._signatures import Signature, record_hash, sign, signatures_of
from recall.auth._signing import (
    SignatureRefused,
    SigningLocked,
    signature_refusals_recorded,
)

__all__ = [
    "ApiKeyInfo",
    "Signature",
    "SignatureRefused",
    "SigningLocked",
    "User",
    "actor_for_token",
    "change_own_password",
    "check_password_policy",
    "check_signer",
    "create_api_key",
    "create_user",
    "end_token",
    "get_api_key",
    "get_user",
    "list_api_keys",
    "list_users",
    "login",
    "parse_roles",
    "record_hash",
    "revoke_api_key",
    "set_password",
    "sign",
    "sign_in_locked",
    "signature_refusals_recorded",
    "signatures_of",
    "update_user",
]
