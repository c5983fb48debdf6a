"""Users and consignee API keys."""

from piccolo.columns import JSON, Boolean, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table

from recall.db.tables import foreign_key

CONSIGNEE = LazyTableReference("Consignee", module_path="recall.masterdata.tables")


class User(Table, tablename="app_user"):
    id: Serial
    username = Varchar(length=150, unique=True, index=True)
    password_hash = Text()
    full_name = Varchar(length=200)
    roles = JSON(default="[]")
    consignee = foreign_key(CONSIGNEE, null=True)
    active = Boolean(default=True)
    created_at = Timestamptz()
    last_sign_in_at = Timestamptz(null=True, default=None)
    # Raised by a password change, a role change or deactivation: older tokens no longer count.
    credentials_version = Integer(default=0)
    # Consecutive wrong e-signature passwords, and until when signing is locked after too many.
    signature_failures = Integer(default=0)
    signature_locked_until = Timestamptz(null=True, default=None)


class ApiKey(Table, tablename="api_key"):
    """A consignee's machine credential: only a SHA-256 of the key is kept."""

    id: Serial
    consignee = foreign_key(CONSIGNEE)
    prefix = Varchar(length=16, unique=True, index=True)
    key_hash = Varchar(length=64)
    created_at = Timestamptz()
    created_by = Varchar(length=150)
    revoked_at = Timestamptz(null=True, default=None)
    revoked_by = Varchar(length=150, null=True, default=None)
    # Written at most once a minute per key: keys are checked on every consignee request.
    last_used_at = Timestamptz(null=True, default=None)


class RevokedToken(Table, tablename="revoked_token"):
    """A bearer token ended by signing out, kept until it would have expired anyway."""

    id: Serial
    jti = Varchar(length=32, unique=True, index=True)
    expires_at = Timestamptz(index=True)


class Signature(Table, tablename="signature"):
    """An electronic signature (21 CFR Part 11): who, when, what it means, what was signed."""

    id: Serial
    entity = Varchar(length=50, index=True)
    entity_id = Varchar(length=50, index=True)
    action = Varchar(length=30)
    user = foreign_key(LazyTableReference("User", module_path=__name__))
    full_name = Varchar(length=200)
    meaning = Text()
    signed_at = Timestamptz()
    record_hash = Varchar(length=64)
