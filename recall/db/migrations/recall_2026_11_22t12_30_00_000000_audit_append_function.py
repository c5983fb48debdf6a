"""audit_append(): the audit chain's tip locked, entries hashed and written in one statement.

PostgreSQL only. Python passes each entry's hash material without its sequence number and
previous hash (see recall.audit._service.entry_material); the function fills in both, so the
chain's lock is held for the rest of one statement instead of across round trips.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

ID = "2026-11-22T12:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit_append function"

STATEMENTS = [
    """
    CREATE OR REPLACE FUNCTION audit_append(
        entry_at timestamptz, entry_actor_id integer, entry_actor_name text,
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
            tip_hash := encode(sha256(convert_to(
                '[' || tip_seq || ', ' || materials[i] || ', "' || tip_hash || '"]', 'UTF8'
            )), 'hex');
            seqs := seqs || tip_seq;
            digests := digests || tip_hash;
        END LOOP;
        INSERT INTO audit_entry (seq, at, actor_id, actor_name, entity, entity_id, action,
                                 old_values, new_values, reason, prev_hash, hash)
        SELECT entry.seq, entry_at, entry_actor_id, entry_actor_name, entry.entity,
               entry.entity_id, entry.action, entry.old, entry.new, entry.reason,
               entry.prev, entry.digest
        FROM unnest(seqs, entities, entity_ids, actions, olds, news, reasons, prevs, digests)
            AS entry(seq, entity, entity_id, action, old, new, reason, prev, digest);
        UPDATE audit_head SET seq = tip_seq, hash = tip_hash WHERE id = 1;
        RETURN tip_seq;
    END;
    $$ LANGUAGE plpgsql
    """,
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="recall", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        if isinstance(engine, PostgresEngine):
            for statement in STATEMENTS:
                await engine.run_ddl(statement)

    manager.add_raw(run)
    return manager
