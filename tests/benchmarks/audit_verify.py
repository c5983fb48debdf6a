"""Benchmark: the audit chain — record() per transaction, and verification of a long chain
in full and from its last checkpoint. Run with `python -m tests.benchmarks.audit_verify`
(AUDIT_BENCH_ENTRIES sets the chain's length, default 1,000,000)."""

from __future__ import annotations

import asyncio
import inspect
import os
import tempfile
import time
from datetime import timedelta

from tests.benchmarks.scratch import migrate, report, scratch_environment

ENTRIES = int(os.environ.get("AUDIT_BENCH_ENTRIES", "1000000"))
RECORDS = 2000
CHUNK = 50_000


async def record_cost() -> float:
    """Mean milliseconds of a transaction writing one audit entry."""
    from recall import audit, db
    from recall.actors import SYSTEM

    started = time.perf_counter()
    for number in range(RECORDS):
        async with db.transaction():
            await audit.record(SYSTEM, audit.Change("bench", number, "created", new={"n": number}))
    return (time.perf_counter() - started) * 1000 / RECORDS


async def long_chain() -> None:
    """ENTRIES more entries, hashed here and written in bulk (as record() would chain them)."""
    from recall import clock, db, keys
    from recall.audit._chain import entry_material, keyed_hash

    key = keys.current(keys.AUDIT)
    (head,) = await db.fetch("SELECT seq, hash FROM audit_head WHERE id = 1")
    seq, prev = int(head["seq"]), str(head["hash"])
    at = clock.now() - timedelta(days=365)
    columns = [
        ("seq", "bigint"), ("at", "timestamptz"), ("actor_id", "integer"),
        ("actor_name", "text"), ("entity", "text"), ("entity_id", "text"), ("action", "text"),
        ("old_values", "text"), ("new_values", "text"), ("reason", "text"),
        ("prev_hash", "text"), ("hash", "text"), ("key_id", "text"),
    ]  # fmt: skip
    for start in range(0, ENTRIES, CHUNK):
        rows = []
        for number in range(start, min(ENTRIES, start + CHUNK)):
            seq += 1
            new = f'{{"n": {number}, "status": "received"}}'
            material = entry_material(at, None, "System", "complaint", str(number), "created",
                                      "{}", new, "")  # fmt: skip
            digest = keyed_hash(key, seq, material, prev)
            rows.append((seq, at, None, "System", "complaint", str(number), "created", "{}",
                         new, "", prev, digest, key.id))  # fmt: skip
            prev = digest
        await db.insert_many("audit_entry", columns, rows)
    await db.fetch("UPDATE audit_head SET seq = {}, hash = {} WHERE id = 1", seq, prev)
    await db.refresh_statistics("audit_entry")


async def main() -> dict[str, float]:
    from recall import audit, db

    await migrate()
    await db.connect()
    try:
        figures = {"audit_record_ms": round(await record_cost(), 3)}
        if "full" not in inspect.signature(audit.verify).parameters:
            return figures  # the version before checkpoints: record() only
        await long_chain()
        started = time.perf_counter()
        full = await audit.verify(full=True)
        figures["audit_full_seconds"] = round(time.perf_counter() - started, 2)
        assert full.ok, full
        await record_cost()  # RECORDS more entries after the checkpoint
        started = time.perf_counter()
        quick = await audit.verify()
        figures["audit_incremental_ms"] = round((time.perf_counter() - started) * 1000, 1)
        assert quick.ok and quick.checked == RECORDS, quick
        figures["audit_entries"] = quick.entries
        started = time.perf_counter()
        await audit.verify()
        figures["audit_incremental_idle_ms"] = round((time.perf_counter() - started) * 1000, 1)
        return figures
    finally:
        await db.disconnect()


if __name__ == "__main__":
    with scratch_environment(), tempfile.TemporaryDirectory() as checkpoints:
        os.environ["RECALL_AUDIT_CHECKPOINT_DIR"] = checkpoints
        report(asyncio.run(main()))
