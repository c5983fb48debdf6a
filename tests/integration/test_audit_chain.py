"""The audit trail is chained: any hand edit, removal or truncation is named by verify()."""

import asyncio
import hmac
import json
from datetime import UTC, datetime

import pytest

from recall import audit, db, keys
from recall.actors import SYSTEM
from recall.audit._chain import GENESIS_HASH, entry_hash, keyed_hash, row_material
from tests.factories import headers_for, make_user
from tests.harness import run_recall
from tests.pages.helpers import sign_in
from tests.tampering import rehash_from, tamper


async def write_entries(count: int) -> None:
    for number in range(count):
        async with db.transaction():
            await audit.record(SYSTEM, audit.Change("probe", number, "created", new={"n": number}))


async def test_fresh_chain_verifies():
    await write_entries(5)
    result = await audit.verify()
    assert (result.ok, result.entries, result.first_bad) == (True, 5, None)


async def test_chain_verifies_with_any_text_in_the_entries():
    # PostgreSQL hashes in SQL what Python hashes on verify: both must see the same text.
    tricky = 'Sirup "batuk" \\ cair\n\tkeruh — obat 漢字 é \x01\x1f'
    async with db.transaction():
        await audit.record(
            SYSTEM,
            audit.Change("probe", tricky, "created", new={"text": tricky}, reason=tricky),
            audit.Change("probe", 2, "changed", old={"n": 1}, new={"n": [2, None, 1.5]}),
        )
    await write_entries(2)
    result = await audit.verify()
    assert (result.ok, result.entries) == (True, 4)


async def test_altered_row_is_named():
    await write_entries(5)
    await tamper("UPDATE audit_entry SET new_values = {} WHERE seq = 3", '{"n": 99}')
    result = await audit.verify()
    assert (result.ok, result.first_bad, result.problem) == (False, 3, "entry altered")


async def test_removed_row_is_named():
    await write_entries(5)
    await tamper("DELETE FROM audit_entry WHERE seq = 2")
    result = await audit.verify()
    assert (result.ok, result.first_bad) == (False, 2)


async def test_removed_tail_is_detected():
    await write_entries(5)
    await tamper("DELETE FROM audit_entry WHERE seq = 5")
    result = await audit.verify()
    assert (result.ok, result.first_bad) == (False, 5)


async def test_record_outside_a_transaction_is_refused():
    try:
        await audit.record(SYSTEM, audit.Change("probe", 1, "created"))
    except RuntimeError:
        return
    raise AssertionError("audit.record outside a transaction must fail")


async def test_rolled_back_change_leaves_no_entry():
    class Boom(Exception):
        pass

    try:
        async with db.transaction():
            await audit.record(SYSTEM, audit.Change("probe", 1, "created"))
            raise Boom
    except Boom:
        pass
    _, total = await audit.list_entries()
    assert total == 0
    assert (await audit.verify()).ok


async def test_concurrent_writers_keep_one_chain():
    await asyncio.gather(*(make_user("cs") for _ in range(12)))
    result = await audit.verify()
    assert (result.ok, result.entries) == (True, 12)


async def test_history_is_oldest_first():
    await write_entries(3)
    async with db.transaction():
        await audit.record(SYSTEM, audit.Change("probe", 1, "changed", old={"n": 1}, new={"n": 2}))
    history = await audit.history("probe", 1)
    assert [entry.action for entry in history] == ["created", "changed"]
    assert history[1].old_values == {"n": 1}


async def test_postgresql_refuses_edits_of_the_trail():
    from piccolo.engine.postgres import PostgresEngine

    if not isinstance(db.get_engine(), PostgresEngine):
        return  # the trigger exists on PostgreSQL, the production database
    await write_entries(1)
    for statement in ("UPDATE audit_entry SET reason = 'x'", "DELETE FROM audit_entry"):
        try:
            await db.fetch(statement)
        except Exception as exc:
            assert "append-only" in str(exc)
        else:
            raise AssertionError(f"{statement} was allowed")


# Keyed hashes, checkpoints, snapshots (issue 13, finding 6) ---------------------------------


async def entry_hashes() -> list[str]:
    return [row["hash"] for row in await db.fetch("SELECT hash FROM audit_entry ORDER BY seq")]


async def test_a_rewritten_entry_rehashed_forward_with_plain_sha256_is_found():
    # The intruder edits an entry, recomputes every later hash as the old chain did, moves
    # the head: without the key the chain cannot be made whole again.
    await write_entries(5)
    await tamper("UPDATE audit_entry SET new_values = {} WHERE seq = 3", '{"n": 99}')
    await rehash_from(3)
    result = await audit.verify()
    assert (result.ok, result.first_bad) == (False, 3)
    assert not (await audit.verify(full=True)).ok


async def test_a_rewritten_entry_keeping_its_key_id_is_found():
    await write_entries(5)
    await tamper("UPDATE audit_entry SET new_values = {} WHERE seq = 3", '{"n": 99}')
    await rehash_from(3, keep_key_id=True)
    result = await audit.verify()
    assert (result.ok, result.first_bad, result.problem) == (False, 3, "entry altered")


async def test_the_whole_chain_rewritten_as_plain_sha256_is_found_after_a_checkpoint():
    await write_entries(5)
    assert (await audit.verify()).ok  # writes the checkpoint
    await tamper("UPDATE audit_entry SET new_values = {} WHERE seq = 3", '{"n": 99}')
    await rehash_from(1)
    assert not (await audit.verify()).ok
    assert not (await audit.verify(full=True)).ok


async def test_a_cut_tail_with_the_head_moved_back_is_found_by_the_checkpoint():
    await write_entries(5)
    assert (await audit.verify()).ok
    hashes = await entry_hashes()
    await tamper("DELETE FROM audit_entry WHERE seq > 3")
    await tamper("UPDATE audit_head SET seq = 3, hash = {} WHERE id = 1", hashes[2])
    for full in (False, True):
        result = await audit.verify(full=full)
        assert (result.ok, result.first_bad, result.problem) == (
            False, 4, "entries removed from the end",
        )  # fmt: skip


async def test_the_database_refuses_update_and_delete_of_audit_entries():
    await write_entries(2)
    for statement in (
        "UPDATE audit_entry SET reason = 'x'",
        "UPDATE audit_entry SET hash = prev_hash WHERE seq = 2",
        "DELETE FROM audit_entry WHERE seq = 2",
        "DELETE FROM audit_entry",
    ):
        with pytest.raises(Exception, match="append-only"):
            async with db.transaction():
                await db.fetch(statement)
    assert (await audit.verify()).entries == 2


async def test_a_forged_checkpoint_file_is_found(settings):
    await write_entries(5)
    assert (await audit.verify()).ok
    hashes = await entry_hashes()
    await tamper("DELETE FROM audit_entry WHERE seq > 3")
    await tamper("UPDATE audit_head SET seq = 3, hash = {} WHERE id = 1", hashes[2])
    # The intruder replaces the checkpoint with one at the cut tip, signed with a guessed key.
    folder = settings.audit_checkpoint_dir
    (original,) = folder.glob("checkpoint-*.json")
    document = json.loads(original.read_text())
    fields = {**document["fields"], "seq": 3, "hash": hashes[2]}
    forged = hmac.new(b"guess", json.dumps(fields, sort_keys=True).encode(), "sha256")
    original.unlink()
    (folder / "checkpoint-000000000000003.json").write_text(
        json.dumps({"fields": fields, "key_id": document["key_id"], "mac": forged.hexdigest()})
    )
    result = await audit.verify()
    assert (result.ok, result.problem) == (False, "checkpoint altered")
    # A genuine older file renamed to pass for the missing one is refused as well.
    (folder / "checkpoint-000000000000003.json").unlink()
    (folder / "checkpoint-000000000000005.json").write_text(json.dumps(document))
    assert (await audit.verify()).ok is False  # seq 5 checkpoint: tail cut
    document["fields"]["seq"] = 3
    (folder / "checkpoint-000000000000005.json").write_text(json.dumps(document))
    assert (await audit.verify()).problem == "checkpoint altered"


async def test_verification_while_entries_are_appended_never_reports_tampering():
    stop = asyncio.Event()

    async def append() -> int:
        count = 0
        while not stop.is_set():
            async with db.transaction():
                changes = [audit.Change("probe", count + n, "created") for n in range(3)]
                await audit.record(SYSTEM, *changes)
            count += 3
            await asyncio.sleep(0)
        return count

    writers = [asyncio.create_task(append()) for _ in range(2)]
    try:
        results = []
        for round_ in range(30):
            results.append(await audit.verify(full=round_ % 5 == 0))
            await asyncio.sleep(0.005)
    finally:
        stop.set()
        written = sum(await asyncio.gather(*writers))
    assert [r.problem for r in results if not r.ok] == []
    assert results[-1].entries > results[0].entries  # the appends did run meanwhile
    final = await audit.verify(full=True)
    assert (final.ok, final.entries) == (True, written)


async def test_verification_goes_on_from_the_last_checkpoint():
    await write_entries(10)
    first = await audit.verify()
    assert (first.ok, first.entries, first.checked, first.since) == (True, 10, 10, 0)
    await write_entries(3)
    second = await audit.verify()
    assert (second.ok, second.entries, second.checked, second.since) == (True, 13, 3, 10)
    again = await audit.verify()
    assert (again.entries, again.checked, again.since) == (13, 0, 13)
    full = await audit.verify(full=True)
    assert (full.ok, full.entries, full.checked, full.since) == (True, 13, 13, 0)


async def test_a_break_found_by_the_full_check_is_reported_by_later_quick_checks():
    await write_entries(5)
    assert (await audit.verify()).ok
    await tamper("UPDATE audit_entry SET actor_name = 'someone else' WHERE seq = 2")
    # Before the checkpoint: the quick check does not re-hash it, the full one does…
    assert (await audit.verify()).ok
    full = await audit.verify(full=True)
    assert (full.ok, full.first_bad, full.problem) == (False, 2, "entry altered")
    # …and from then on every quick check says so.
    await write_entries(1)
    quick = await audit.verify()
    assert (quick.ok, quick.first_bad, quick.checked) == (False, 2, 1)
    assert quick.last_full is not None and quick.last_full.first_bad == 2


KEY_A = "first-secret-key-" + "a" * 32
KEY_B = "second-secret-key-" + "b" * 32


async def test_entries_stay_verifiable_across_a_key_rotation(rotate):
    rotate(KEY_A)
    await write_entries(3)
    assert (await audit.verify()).ok
    rotate(KEY_B, KEY_A)
    await write_entries(3)
    key_ids = [row["key_id"] for row in await db.fetch("SELECT key_id FROM audit_entry")]
    assert len(set(key_ids)) == 2
    for full in (False, True):
        result = await audit.verify(full=full)
        assert (result.ok, result.entries) == (True, 6)
    rotate(KEY_B)  # the old key forgotten: its entries can no longer be checked
    result = await audit.verify(full=True)
    assert (result.ok, result.problem) == (False, "unknown key")


async def test_an_entry_under_the_old_key_after_the_new_one_is_reported(rotate):
    # An intruder holding the replaced key forges an entry and appends it, head moved.
    rotate(KEY_A)
    await write_entries(2)
    rotate(KEY_B, KEY_A)
    await write_entries(2)
    assert (await audit.verify()).ok
    old_key = keys.derive(KEY_A, keys.AUDIT)
    (tip,) = await db.fetch("SELECT * FROM audit_entry WHERE seq = 4")
    forged = {**tip, "seq": 5, "prev_hash": tip["hash"], "reason": "forged"}
    forged["hash"] = keyed_hash(old_key, 5, row_material(forged), tip["hash"])
    await db.fetch(
        "INSERT INTO audit_entry (seq, at, actor_id, actor_name, entity, entity_id, action, "
        "old_values, new_values, reason, prev_hash, hash, key_id) "
        "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
        5, forged["at"], forged["actor_id"], forged["actor_name"], forged["entity"],
        forged["entity_id"], forged["action"], forged["old_values"], forged["new_values"],
        forged["reason"], forged["prev_hash"], forged["hash"], old_key.id,
    )  # fmt: skip
    await tamper("UPDATE audit_head SET seq = 5, hash = {} WHERE id = 1", forged["hash"])
    result = await audit.verify()
    assert (result.ok, result.first_bad, result.problem) == (False, 5, "older key")


async def test_entries_from_before_keyed_hashes_stay_verifiable_and_are_pinned():
    # Entries the previous version wrote: plain SHA-256, no key id.
    prev = GENESIS_HASH
    for seq in (1, 2, 3):
        row = {
            "seq": seq, "at": datetime(2026, 11, 1, 8, seq, tzinfo=UTC), "actor_id": None,
            "actor_name": "System", "entity": "probe", "entity_id": str(seq),
            "action": "created", "old_values": "{}", "new_values": "{}", "reason": "",
        }  # fmt: skip
        digest = entry_hash(seq, row_material(row), prev)
        await db.fetch(
            "INSERT INTO audit_entry (seq, at, actor_id, actor_name, entity, entity_id, "
            "action, old_values, new_values, reason, prev_hash, hash) "
            "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
            *row.values(), prev, digest,
        )  # fmt: skip
        prev = digest
    await db.fetch("INSERT INTO audit_head (id, seq, hash) VALUES (1, 3, {})", prev)
    assert (await audit.verify()).ok  # the first checkpoint pins the three unkeyed entries
    await write_entries(2)
    result = await audit.verify(full=True)
    assert (result.ok, result.entries) == (True, 5)
    # Rewriting everything as unkeyed SHA-256 is now found, quick or full.
    await tamper("UPDATE audit_entry SET reason = 'edited' WHERE seq = 2")
    await rehash_from(2)
    assert not (await audit.verify()).ok
    result = await audit.verify(full=True)
    assert (result.ok, result.first_bad, result.problem) == (False, 4, "older key")


async def test_the_nightly_full_check_is_scheduled_once_per_night():
    from workers import jobs
    from workers.settings import WorkerSettings

    (job,) = [job for job in WorkerSettings.cron_jobs if job.name == "verify_audit_trail"]
    # arq gives a unique cron job the id name:time; a kept result refuses the same id again.
    assert job.unique and job.job_id is None and (job.keep_result_s or 0) >= 3600
    assert isinstance(job.hour, int) and isinstance(job.minute, int)
    # No long timeout: arq locks every job of a killed worker for the longest timeout + 10 s.
    assert job.timeout_s is None
    await write_entries(3)
    ctx: dict = {}
    assert await jobs.verify_audit_trail(ctx) == "started"
    assert await jobs.verify_audit_trail(ctx) == "already running"
    result = await ctx[jobs.AUDIT_FULL_CHECK]
    assert (result.ok, result.full, result.entries) == (True, True, 3)
    last_full = (await audit.verify()).last_full
    assert last_full is not None and (last_full.ok, last_full.entries) == (True, 3)


async def test_cli_full_verification_and_the_api_show_the_last_full_check(client):

    await write_entries(3)
    code, out, _ = await run_recall("audit", "verify", "--full")
    assert code == 0 and out.startswith("ok: 3 audit entries"), out
    code, out, _ = await run_recall("audit", "verify")
    assert code == 0 and "0 re-hashed after #3" in out, out
    headers = await headers_for("inspector")
    body = (await client.get("/api/audit/verify", headers=headers)).json()
    assert (body["ok"], body["entries"], body["first_bad"]) == (True, 4, None)
    assert (body["checked"], body["since"]) == (1, 3)
    assert body["last_full"]["ok"] is True and body["last_full"]["entries"] == 3
    user = await make_user("inspector")
    await sign_in(client, user.username)
    html = (await client.get("/audit", headers={"Accept-Language": "en"})).text
    assert "Last full check of every entry:" in html and "3 entries intact" in html


async def test_the_audit_page_names_an_altered_checkpoint(client, settings):
    await write_entries(2)
    assert (await audit.verify()).ok
    (checkpoint,) = settings.audit_checkpoint_dir.glob("checkpoint-*.json")
    checkpoint.write_text(checkpoint.read_text().replace('"seq": 2', '"seq": 1'))
    user = await make_user("inspector")
    await sign_in(client, user.username)
    html = (await client.get("/audit", headers={"Accept-Language": "en"})).text
    assert "Chain broken" in html
    assert "a checkpoint file outside the database was altered" in html
    assert "First bad entry: #None" not in html
