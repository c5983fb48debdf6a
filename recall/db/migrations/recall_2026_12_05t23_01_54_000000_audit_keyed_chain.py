"""Keyed audit hashes: audit_append() computes HMAC-SHA256; SQLite refuses edits of the trail.

PostgreSQL: audit_append() takes the audit key's id and its two HMAC pads (the key XOR ipad and
XOR opad, 64 bytes each, computed by the caller and never stored) and writes
HMAC-SHA256(key, '[<seq>, <material>, "<prev_hash>"]') with the built-in sha256(): no pgcrypto.
Entries written before have key_id NULL and stay plain SHA-256 (see recall.audit._chain).

SQLite: triggers refuse UPDATE and DELETE of audit entries, as on PostgreSQL.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-12-05T23:01:54:000000"
VERSION = "1.38.0"
DESCRIPTION = "keyed audit chain"

POSTGRES = [
    """
    DROP FUNCTION IF EXISTS audit_append(
        timestamptz, integer, text, text[], text[], text[], text[], text[], text[], text[]
    )
    """,
    """
    CREATE OR REPLACE FUNCTION audit_append(
        entry_at timestamptz, entry_actor_id integer, entry_actor_name text,
        entry_key_id text, inner_pad bytea, outer_pad bytea,
        entities text[], entity_ids text[], actions text[],
        olds text[], news text[], reasons text[], materials text[]
    ) RETURNS bigint AS $$
    DECLARE
        tip_seq bigint;
        tip_hash text;
        seqs bigint[] := '{}';
        prevs text[] := '{}';
        digests text[] := '{}';
    BEGIN
        IF octet_length(inner_pad) <> 64 OR octet_length(outer_pad) <> 64 THEN
            RAISE EXCEPTION 'audit_append: HMAC pads must be 64 bytes';
        END IF;
        -- Locking the tip queues concurrent writers here until commit; FOR UPDATE leaves
        -- one new row version per append (the UPDATE below), where an upsert left two.
        SELECT seq, hash INTO tip_seq, tip_hash FROM audit_head WHERE id = 1 FOR UPDATE;
        IF NOT FOUND THEN
            INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, repeat('0', 64))
            ON CONFLICT (id) DO NOTHING;
            SELECT seq, hash INTO tip_seq, tip_hash FROM audit_head WHERE id = 1 FOR UPDATE;
        END IF;
        FOR i IN 1 .. cardinality(materials) LOOP
            tip_seq := tip_seq + 1;
            prevs := prevs || tip_hash;
            -- HMAC-SHA256 (RFC 2104) over the text recall.audit._chain.message() builds.
            tip_hash := encode(sha256(outer_pad || sha256(inner_pad || convert_to(
                '[' || tip_seq || ', ' || materials[i] || ', "' || tip_hash || '"]', 'UTF8'
            ))), 'hex');
            seqs := seqs || tip_seq;
            digests := digests || tip_hash;
        END LOOP;
        INSERT INTO audit_entry (seq, at, actor_id, actor_name, entity, entity_id, action,
                                 old_values, new_values, reason, prev_hash, hash, key_id)
        SELECT entry.seq, entry_at, entry_actor_id, entry_actor_name, entry.entity,
               entry.entity_id, entry.action, entry.old, entry.new, entry.reason,
               entry.prev, entry.digest, entry_key_id
        FROM unnest(seqs, entities, entity_ids, actions, olds, news, reasons, prevs, digests)
            AS entry(seq, entity, entity_id, action, old, new, reason, prev, digest);
        UPDATE audit_head SET seq = tip_seq, hash = tip_hash WHERE id = 1;
        RETURN tip_seq;
    END;
    $$ LANGUAGE plpgsql
    """,
]

SQLITE = [
    """
    CREATE TRIGGER IF NOT EXISTS audit_entry_no_update BEFORE UPDATE ON audit_entry
    BEGIN SELECT RAISE(ABORT, 'audit entries are append-only (UPDATE refused)'); END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS audit_entry_no_delete BEFORE DELETE ON audit_entry
    BEGIN SELECT RAISE(ABORT, 'audit entries are append-only (DELETE refused)'); END
    """,
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="recall", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in POSTGRES if isinstance(engine, PostgresEngine) else SQLITE:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
