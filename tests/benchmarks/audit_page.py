"""Benchmark: the audit trail page over 1,000,000 audit entries, with the chain's
verification status it shows.

The entries are chained here with the project's own hashing (recall.audit's chain: each
entry's HMAC under the audit key covers the one before) and loaded by COPY; `recall audit
verify --full` then checks the whole chain and checkpoints its tip, as the nightly run
does. A `recall serve` process (production mode, access log on) answers a signed-in QA
reader: the web page /audit in its usual views (newest first, the next page, one kind of
record, one record's history) and the API (/api/audit list, /api/audit/verify). Before each
round a few entries are appended through `audit.record`, as a working day adds them, so
every page view re-hashes from the last checkpoint. Each answer must be 200 and the page
must show the chain intact; audit_page_* are the web page's timings.

Run with `python -m tests.benchmarks.audit_page [entries]`.
"""

from __future__ import annotations

import statistics
import time
from datetime import timedelta
from typing import Any

from tests.benchmarks.scratch import migrate, percentiles
from tests.benchmarks.served import recall_command, recall_serve, run_at_size

ROUNDS = 25
CHUNK = 50_000
ENTRIES_PER_ROUND = 5
ENTITIES = ("complaint", "notice", "recall", "batch", "consignee", "investigation")
ACTIONS = ("created", "updated", "sent", "acknowledged")
ACTORS = ((None, "System"), (1, "Ani Wijaya (qa)"), (2, "Budi Santoso (cs)"))
COLUMNS = (
    "seq", "at", "actor_id", "actor_name", "entity", "entity_id", "action", "old_values",
    "new_values", "reason", "prev_hash", "hash", "key_id",
)  # fmt: skip
PAGES = ("/audit", "/audit?page=2", "/audit?entity=notice", "/audit?entity=recall&entity_id=7")
API = ("/api/audit?limit=50", "/api/audit?entity=notice&limit=50", "/api/audit/verify")


async def long_chain(entries: int) -> None:
    """`entries` more entries after the chain's tip, hashed as audit.record hashes them."""
    from recall import clock, db, keys
    from recall.audit._chain import entry_material, keyed_hash

    key = keys.current(keys.AUDIT)
    head = await db.fetch("SELECT seq, hash FROM audit_head WHERE id = 1")
    seq, prev = (int(head[0]["seq"]), str(head[0]["hash"])) if head else (0, "0" * 64)
    start = clock.now() - timedelta(seconds=30 * entries)
    for first in range(0, entries, CHUNK):
        rows = []
        for number in range(first, min(entries, first + CHUNK)):
            seq += 1
            at = start + timedelta(seconds=30 * number)
            actor_id, actor_name = ACTORS[number % len(ACTORS)]
            entity, action = ENTITIES[number % len(ENTITIES)], ACTIONS[number % len(ACTIONS)]
            entity_id, new = str(number // len(ENTITIES)), f'{{"n": {number}, "status": "open"}}'
            material = entry_material(at, actor_id, actor_name, entity, entity_id, action,
                                      "{}", new, "")  # fmt: skip
            digest = keyed_hash(key, seq, material, prev)
            rows.append((seq, at, actor_id, actor_name, entity, entity_id, action, "{}", new,
                         "", prev, digest, key.id))  # fmt: skip
            prev = digest
        await db.copy("audit_entry", COLUMNS, rows)
    await db.fetch(
        "INSERT INTO audit_head (id, seq, hash) VALUES (1, {}, {}) "
        "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
        seq,
        prev,
    )
    await db.refresh_statistics("audit_entry")


def nightly_verification() -> None:
    """`recall audit verify --full`, which must pass; it checkpoints the chain's tip."""
    started = time.perf_counter()
    checked = recall_command("audit", "verify", "--full")
    print(f"{checked} in {time.perf_counter() - started:.1f} s", flush=True)


async def a_working_day() -> None:
    """A few more entries, as the day's work appends them."""
    from recall import audit, db
    from recall.actors import SYSTEM

    async with db.transaction():
        await audit.record(
            SYSTEM,
            *[audit.Change("notice", n, "sent", new={"status": "sent"})
              for n in range(ENTRIES_PER_ROUND)],
        )  # fmt: skip


async def timed_get(client: Any, path: str, times: dict[str, list[float]]) -> str:
    """The answer's text, which must be 200; its milliseconds kept under `path`."""
    started = time.perf_counter()
    answer = await client.get(path)
    times.setdefault(path, []).append((time.perf_counter() - started) * 1000)
    assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
    return str(answer.text)


async def timed_reads(base: str, rounds: int) -> dict[str, list[float]]:
    """Milliseconds of each read, by path: the web page's views and the API's."""
    import httpx

    from tests.factories import headers_for, make_user
    from tests.pages.helpers import sign_in

    reader = await make_user("qa")
    times: dict[str, list[float]] = {}
    async with (
        httpx.AsyncClient(base_url=base, timeout=60, headers={"Accept-Language": "en"}) as web,
        httpx.AsyncClient(base_url=base, timeout=60, headers=await headers_for("qa")) as api,
    ):
        signed_in = await sign_in(web, reader.username)
        assert signed_in.status_code == 303, signed_in.text
        for _ in range(rounds):
            await a_working_day()
            for path in PAGES:
                shown = await timed_get(web, path, times)
                assert 'class="chain ok"' in shown, f"{path}: the chain is not shown intact"
            for path in API:
                await timed_get(api, path, times)
        verified = (await api.get("/api/audit/verify")).json()
    assert verified["ok"], verified
    print(f"{verified['entries']:,} entries, chain intact after {rounds} rounds of reads")
    for path, timings in times.items():
        print(f"{path}: median {statistics.median(timings):.1f} ms, max {max(timings):.1f} ms")
    return times


async def benchmark(entries: int) -> dict[str, float]:
    from recall import db

    await migrate()
    await db.connect()
    try:
        started = time.perf_counter()
        await long_chain(entries)
        print(f"{entries:,} chained entries in {time.perf_counter() - started:.1f} s", flush=True)
        nightly_verification()
        with recall_serve() as base:
            times = await timed_reads(base, ROUNDS)
    finally:
        await db.disconnect()
    pages = [ms for path in PAGES for ms in times[path]]
    api = [ms for path in API for ms in times[path]]
    return percentiles(pages, "audit_page") | percentiles(api, "audit_api")


if __name__ == "__main__":
    run_at_size(benchmark, 1_000_000)
