"""Use cases of the recall decision: propose, approve with an e-signature, read."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC
from typing import Any

from recall import audit, auth, clock, db, masterdata, notices
from recall.actors import Actor
from recall.errors import Conflict, Forbidden, InvalidInput, NotFound
from recall.recalls._amendment_reads import amendments_of
from recall.recalls._authority_records import list_public_warnings
from recall.recalls._deadlines import recall_deadlines
from recall.recalls._models import (
    AUTHORITY_REFERENCE_MAX,
    MAX_BATCHES,
    REFERENCES,
    TEXT_MAX,
    Depth,
    Recall,
    RecallClass,
    RecallProposal,
    RecallStatus,
    RecallSummary,
    RecallType,
    SignatureShown,
    may_approve,
    signed_record,
    transition,
)
from recall.recalls._opening import open_at_approval
from recall.recalls._orders import (
    checked_order,
    checked_profiles,
    checked_public_warning,
    plan_deadlines,
    profiles_of,
)
from recall.recalls._readiness import readiness
from recall.rules import choice, is_valid_id, required_text

MEANING_MAX = 500
# From this many notices, an approval refreshes the planner's statistics.
BULK_NOTICES = 1000

_BATCH_SQL = (
    f"SELECT {masterdata.BATCH_VIEW_COLUMNS} FROM batch b JOIN product p ON p.id = b.product "
)


async def batches_by_id(batch_ids: list[int]) -> list[masterdata.BatchView]:
    """The recalled-batch view of these batches (unknown ids add none)."""
    rows = await db.fetch_in(_BATCH_SQL + "WHERE b.id IN (*) ORDER BY b.batch_no, b.id", batch_ids)
    return [masterdata.batch_view(row) for row in rows]


async def _batches_in(table: str, column: str, key: int) -> list[masterdata.BatchView]:
    """The batches `table` links to the row `key` of its `column`."""
    rows = await db.fetch(
        _BATCH_SQL + f"WHERE b.id IN (SELECT batch FROM {table} WHERE {column} = {{}}) "
        "ORDER BY b.batch_no, b.id",
        key,
    )
    return [masterdata.batch_view(row) for row in rows]


async def _batches_of_lot(lot_id: int) -> list[masterdata.BatchView]:
    return await _batches_in("batch_material", "material_lot", lot_id)


async def _recalled_batches(recall_id: int) -> list[masterdata.BatchView]:
    return await _batches_in("recall_batch", "recall", recall_id)


async def covered_batches(
    batch_ids: Sequence[int] | None, material_lot_id: int | None
) -> tuple[list[masterdata.BatchView], masterdata.MaterialLot | None]:
    """The batches a proposal covers: the ids given, or every batch that used the lot."""
    if (batch_ids is None) == (material_lot_id is None):
        raise InvalidInput("batch_ids", "give exactly one of batch_ids or material_lot_id")
    if batch_ids is not None:
        ids = sorted(set(batch_ids))
        if not ids:
            raise InvalidInput("batch_ids", "must not be empty")
        if len(ids) > MAX_BATCHES:
            raise InvalidInput("batch_ids", f"at most {MAX_BATCHES} batches")
        unknown = [batch_id for batch_id in ids if not is_valid_id(batch_id)]
        found = await batches_by_id([batch_id for batch_id in ids if is_valid_id(batch_id)])
        unknown += sorted(set(ids) - set(unknown) - {batch.id for batch in found})
        if unknown:
            raise InvalidInput("batch_ids", f"batch {unknown[0]} not found")
        return found, None
    assert material_lot_id is not None  # one of the two, checked above
    try:
        lot = await masterdata.get_material_lot(material_lot_id)
    except NotFound:
        raise InvalidInput("material_lot_id", f"material lot {material_lot_id} not found") from None
    batches = await _batches_of_lot(lot.id)
    if not batches:
        raise InvalidInput("material_lot_id", f"no batch used material lot {lot.lot_no}")
    if len(batches) > MAX_BATCHES:
        raise InvalidInput("material_lot_id", f"used by more than {MAX_BATCHES} batches")
    return batches, lot


async def _check_investigation(investigation_id: int | None) -> None:
    if investigation_id is None:
        return
    found = is_valid_id(investigation_id) and await db.fetch(
        "SELECT id FROM investigation WHERE id = {}", investigation_id
    )
    if not found:
        raise InvalidInput("investigation_id", f"investigation {investigation_id} not found")


async def propose_recall(actor: Actor, proposal: RecallProposal) -> Recall:
    """Propose a recall of batches, or of every batch that used a material lot."""
    profiles = checked_profiles(proposal.profile, proposal.profiles)
    values: dict[str, Any] = {
        "reason": required_text(proposal.reason, "reason", TEXT_MAX),
        "recall_class": choice(RecallClass, proposal.recall_class, "recall_class").value,
        "recall_type": choice(RecallType, proposal.recall_type, "recall_type").value,
        "depth": choice(Depth, proposal.depth, "depth").value,
        "profile": profiles[0],
        "health_hazard_assessment": required_text(
            proposal.health_hazard_assessment, "health_hazard_assessment", TEXT_MAX
        ),
        "drill": bool(proposal.drill),
    }
    if proposal.authority_reference is not None and proposal.authority_reference.strip():
        values["authority_reference"] = required_text(
            proposal.authority_reference, "authority_reference", AUTHORITY_REFERENCE_MAX
        )
    else:
        values["authority_reference"] = None
    if values["recall_type"] == RecallType.MANDATORY and values["authority_reference"] is None:
        raise InvalidInput("authority_reference", "required for a mandatory recall")
    values["ordered_on"] = checked_order(values["recall_type"], proposal.ordered_on)
    values["public_warning"] = checked_public_warning(
        values["recall_class"], values["depth"], proposal.public_warning
    )
    batches, lot = await covered_batches(proposal.batch_ids, proposal.material_lot_id)
    await _check_investigation(proposal.investigation_id)

    proposed_at = clock.now().astimezone(UTC)
    async with db.transaction():
        reference = await db.next_reference(REFERENCES, proposed_at)
        row = {
            **values,
            "reference": reference,
            "status": RecallStatus.PROPOSED.value,
            "profiles": json.dumps(profiles),
            "investigation": proposal.investigation_id,
            "material_lot": lot.id if lot else None,
            "proposed_at": proposed_at,
            "proposed_by": actor.id,
            "approved_at": None,
            "approved_by": None,
            "version": 1,
        }
        recall_id = await db.insert("recall", row)
        await db.insert_many(
            "recall_batch",
            (("recall", "int"), ("batch", "int")),
            [(recall_id, batch.id) for batch in batches],
        )
        new = {
            **values,
            "reference": reference,
            "status": RecallStatus.PROPOSED.value,
            "investigation_id": proposal.investigation_id,
            "material_lot_id": lot.id if lot else None,
            "batches": [batch.batch_no for batch in batches],
            "profiles": profiles,
        }
        await audit.record(actor, audit.Change("recall", recall_id, "proposed", new=new))
    return Recall(
        id=recall_id,
        reference=reference,
        status=RecallStatus.PROPOSED.value,
        investigation_id=proposal.investigation_id,
        material_lot=lot,
        batches=batches,
        proposed_at=proposed_at,
        proposed_by=actor.id,
        approved_at=None,
        approved_by=None,
        version=1,
        profiles=profiles,
        retain_until=await masterdata.batches_retain_until(b.id for b in batches),
        **values,
    )


async def recall_row(recall_id: int) -> dict[str, Any]:
    rows = (
        await db.fetch("SELECT * FROM recall WHERE id = {}", recall_id)
        if is_valid_id(recall_id)
        else []
    )
    if not rows:
        raise NotFound(f"recall {recall_id} not found")
    return dict(rows[0])


@asynccontextmanager
async def refusal_audited(actor: Actor, recall_id: int) -> AsyncIterator[None]:
    """A wrong password at an e-signature is audited and counted, in a transaction of its own."""
    async with auth.signature_refusals_recorded(actor, "recall", recall_id):
        yield


def approval_record(row: Mapping[str, Any], batches: list[masterdata.BatchView]) -> dict[str, Any]:
    """What an approval of the recall `row` signs (see signed_record)."""
    return signed_record(
        row["reference"], row["recall_class"], row["recall_type"], row["depth"],
        row["profile"], row["reason"], row["health_hazard_assessment"], batches,
        ordered_on=db.as_date(row["ordered_on"]) if row.get("ordered_on") else None,
        public_warning=row.get("public_warning"),
        profiles=profiles_of(row),
    )  # fmt: skip


async def approve_recall(actor: Actor, recall_id: int, password: str, meaning: str) -> Recall:
    """Approve a proposed recall with the approver's electronic signature.

    In one transaction: the status change (optimistic lock on `version`), the signature,
    each profile's deadlines (from the order letter's day, or from now), one pending notice per
    consignee within the depth, and the audit entry. A wrong password changes nothing and
    is audited as "signature_refused" in a transaction of its own.
    """
    meaning = required_text(meaning, "meaning", MEANING_MAX)
    row = await recall_row(recall_id)
    if not may_approve(row["proposed_by"], actor):
        raise Forbidden("four eyes: the proposer of a recall cannot approve it")
    transition(row["status"], RecallStatus.IN_PROGRESS)
    batches = await _recalled_batches(recall_id)
    record = approval_record(row, batches)
    approved_at = clock.now().astimezone(UTC)
    deadlines = plan_deadlines(row, approved_at)
    async with refusal_audited(actor, recall_id), db.transaction():
        changed = await db.fetch(
            "UPDATE recall SET status = {}, approved_at = {}, approved_by = {}, "
            "version = version + 1 WHERE id = {} AND version = {} AND status = {} RETURNING id",
            RecallStatus.IN_PROGRESS.value,
            approved_at,
            actor.id,
            recall_id,
            row["version"],
            RecallStatus.PROPOSED.value,
        )
        if not changed:
            raise Conflict(f"recall {row['reference']} was approved or changed meanwhile")
        signature = await auth.sign(
            actor,
            password,
            entity="recall",
            entity_id=recall_id,
            action="approve",
            meaning=meaning,
            record=record,
        )
        await db.insert_many(
            "recall_deadline",
            (
                ("recall", "int"), ("name", "text"), ("due_at", "timestamptz"),
                ("rule", "text"), ("profile", "text"), ("basis", "text"),
            ),
            [
                (recall_id, p.deadline.name[:50], p.deadline.due_at, p.deadline.rule[:100],
                 p.profile, p.basis)
                for p in deadlines
            ],
        )  # fmt: skip
        if not row["drill"]:  # a drill rehearses the recall; the batches stay on sale
            await masterdata.recall_batches(
                actor, [batch.id for batch in batches], approved_at, row["reference"]
            )
        started = time.perf_counter()
        planned, created = await open_at_approval(
            recall_id, row["recall_class"], row["depth"], [b.id for b in batches], approved_at
        )
        trace_ms = round((time.perf_counter() - started) * 1000)
        await db.fetch("UPDATE recall SET trace_ms = {} WHERE id = {}", trace_ms, recall_id)
        await notices.schedule_deliveries(created)
        new = {
            "status": RecallStatus.IN_PROGRESS.value,
            "approved_at": approved_at.isoformat(),
            "signature_hash": signature.record_hash,
            "meaning": meaning,
            "notices": planned,
            "notices_opened": len(created),  # the rest open right after (see _opening)
            "trace_ms": trace_ms,
            "deadlines": [
                {
                    "name": p.deadline.name,
                    "profile": p.profile,
                    "basis": p.basis,
                    "due_at": p.deadline.due_at.isoformat(),
                    "rule": p.deadline.rule,
                }
                for p in deadlines
            ],
        }
        old = {"status": row["status"], "version": row["version"]}
        await audit.record(actor, audit.Change("recall", recall_id, "approved", old=old, new=new))
    if len(created) >= BULK_NOTICES:
        await db.refresh_statistics("notice", "notice_line")
    return await get_recall(recall_id)


async def _material_lot(lot_id: int | None) -> masterdata.MaterialLot | None:
    return None if lot_id is None else await masterdata.get_material_lot(lot_id)


async def get_recall(recall_id: int) -> Recall:
    """One recall with its batches, deadlines, signatures and progress; NotFound otherwise."""
    row = await recall_row(recall_id)
    signatures = await auth.signatures_of("recall", recall_id)
    approved_at = db.as_utc(row["approved_at"]) if row["approved_at"] else None
    progress = await notices.progress(recall_id, clock.now())
    if row["approved_at"] is not None and row["notices_opened_at"] is None:
        # Still opening: the total is the approval's plan, so nobody counts as all notified.
        total = max(progress.consignees_total, int(row["notices_planned"]))
        progress = replace(progress, consignees_total=total)
    to_trace, to_notify = readiness(row["trace_ms"], approved_at, progress)
    batches = await _recalled_batches(recall_id)
    return Recall(
        id=row["id"],
        reference=row["reference"],
        status=row["status"],
        investigation_id=row["investigation"],
        material_lot=await _material_lot(row["material_lot"]),
        reason=row["reason"],
        recall_class=row["recall_class"],
        recall_type=row["recall_type"],
        authority_reference=row["authority_reference"],
        depth=row["depth"],
        profile=row["profile"],
        health_hazard_assessment=row["health_hazard_assessment"],
        drill=bool(row["drill"]),
        batches=batches,
        proposed_at=db.as_utc(row["proposed_at"]),
        proposed_by=row["proposed_by"],
        approved_at=db.as_utc(row["approved_at"]) if row["approved_at"] else None,
        approved_by=row["approved_by"],
        version=row["version"],
        deadlines=await recall_deadlines(row),
        signatures=[
            SignatureShown(s.full_name, s.meaning, s.signed_at, s.action, s.record_hash)
            for s in signatures
        ],
        progress=progress,
        closed_at=db.as_utc(row["closed_at"]) if row["closed_at"] else None,
        closed_by=row["closed_by"],
        closure_justification=row["closure_justification"],
        time_to_trace_seconds=to_trace,
        time_to_notify_seconds=to_notify,
        ordered_on=db.as_date(row["ordered_on"]) if row["ordered_on"] else None,
        public_warning=row["public_warning"],
        profiles=profiles_of(row),
        public_warnings=await list_public_warnings(recall_id),
        retain_until=await masterdata.batches_retain_until(b.id for b in batches),
        amendments=await amendments_of(recall_id),
    )


async def list_recalls(
    status: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[RecallSummary], int]:
    """Recalls, newest proposal first, optionally in one status."""
    where, values = "recall", []
    if status:
        where, values = "recall WHERE status = {}", [choice(RecallStatus, status, "status").value]
    rows, total = await db.fetch_page(
        "*", where, "proposed_at DESC, id DESC", values, limit, offset
    )
    items = [
        RecallSummary(
            id=row["id"],
            reference=row["reference"],
            status=row["status"],
            recall_class=row["recall_class"],
            recall_type=row["recall_type"],
            depth=row["depth"],
            profile=row["profile"],
            drill=bool(row["drill"]),
            proposed_at=db.as_utc(row["proposed_at"]),
            approved_at=db.as_utc(row["approved_at"]) if row["approved_at"] else None,
        )
        for row in rows
    ]
    return items, total


async def list_recall_notices(
    recall_id: int, limit: int = 50, offset: int = 0
) -> tuple[list[notices.NoticeSummary], int]:
    """The notices of one recall (NotFound for an unknown recall)."""
    await recall_row(recall_id)
    return await notices.list_notices(recall_id, limit, offset)
