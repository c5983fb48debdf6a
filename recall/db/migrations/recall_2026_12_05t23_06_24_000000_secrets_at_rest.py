"""Secrets stored in clear before are converted: portal tokens hashed and sealed, webhook
secrets sealed, and answers kept for Idempotency-Key replays cleared of both.

Runs with the installation's own RECALL_SECRET_KEY (the keys come from recall.keys), on
SQLite as on PostgreSQL; a row already converted is left alone, so running it twice is safe.
"""

import hashlib
import json

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-05T23:06:24:000000"
VERSION = "1.38.0"
DESCRIPTION = "hash and seal portal tokens, seal webhook secrets"

CHUNK = 500


async def _update(table: str, changes: dict[int, dict[str, str]]) -> None:
    """Set each row's new values, a chunk of rows per statement."""
    from recall import db

    ids = sorted(changes)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        columns = list(changes[chunk[0]])
        sets, values = [], []
        for column in columns:
            sets.append(
                f"{column} = CASE id " + " ".join("WHEN {} THEN {}" for _ in chunk) + " END"
            )
            for row_id in chunk:
                values += [row_id, changes[row_id][column]]
        marks = ", ".join("{}" for _ in chunk)
        await db.fetch(
            f"UPDATE {table} SET {', '.join(sets)} WHERE id IN ({marks})", *values, *chunk
        )


async def convert() -> None:
    from recall import db, keys, sealing

    tokens = {
        int(row["id"]): {
            "token": hashlib.sha256(row["token"].encode()).hexdigest(),
            "token_sealed": sealing.seal(keys.PORTAL_LINKS, row["token"]),
        }
        for row in await db.fetch("SELECT id, token FROM notice WHERE token_sealed = ''")
    }
    await _update("notice", tokens)
    secrets = {
        int(row["id"]): {
            "webhook_secret": sealing.seal(keys.WEBHOOK_SECRETS, row["webhook_secret"])
        }
        for row in await db.fetch(
            "SELECT id, webhook_secret FROM consignee WHERE webhook_secret LIKE 'whsec_%'"
        )
    }
    await _update("consignee", secrets)
    answers: dict[int, dict[str, str]] = {}
    for row in await db.fetch(
        "SELECT id, body FROM idempotent_response "
        "WHERE body LIKE '%\"token\":%' OR body LIKE '%whsec_%'"
    ):
        body = json.loads(row["body"])
        if isinstance(body, dict):
            body.pop("token", None)  # a consignee's notice carried its portal token
            for named in body.get("consignees", []):
                secret = named.get("webhook_secret") if isinstance(named, dict) else None
                if secret and secret.startswith("whsec_"):
                    named["webhook_secret"] = sealing.seal(keys.WEBHOOK_SECRETS, secret)
        answers[int(row["id"])] = {
            "body": json.dumps(body, separators=(",", ":"), ensure_ascii=False)
        }
    await _update("idempotent_response", answers)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="recall", description=DESCRIPTION)
    manager.add_raw(convert)
    return manager
