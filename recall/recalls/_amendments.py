"""Scope amendments of a running recall: batches (or a material lot's batches) added by QA,
approved by a QA manager with an e-signature (four eyes), reaching the consignees they add."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from recall import audit, auth, clock, db, masterdata, notices, regulatory
from recall.actors import Actor
from recall.errors import Conflict, Forbidden, InvalidInput, NotFound
from recall.recalls._amendment_reads import amendment_views, amendments_of, material_lot
from recall.recalls._deadlines import PROGRESS_MET
from recall.recalls._models import (
    AMENDMENT,
    TEXT_MAX,
    Amendment,
    AmendmentStatus,
    DeadlineBasis,
    RecallStatus,
    may_approve,
)
from recall.recalls._opening import refuse_while_opening
from recall.recalls._orders import profiles_of
from recall.recalls._plan import trace_plan
from recall.recalls._service import (
    MEANING_MAX,
    batches_by_id,
    covered_batches,
    recall_row,
)
from recall.rules import is_valid_id, required_text


def amendment_record(
    reference: str,
    number: int,
    reason: str,
    lot: masterdata.MaterialLot | None,
    batches: Iterable[masterdata.BatchView],
) -> dict[str, object]:
    """Exactly what the approval of an amendment signs; its hash is stored with the signature."""
    return {
        "reference": reference,
        "amendment": number,
        "reason": reason,
        "material_lot": None if lot is None else {"material": lot.material, "lot_no": lot.lot_no},
        "batches_added": sorted(
            ({"gtin": b.gtin, "batch_no": b.batch_no} for b in batches),
            key=lambda b: (b["gtin"], b["batch_no"]),
        ),
    }  # fmt: skip


async def _covered_ids(recall_id: int) -> set[int]:
    rows = await db.fetch("SELECT batch FROM recall_batch WHERE recall = {}", recall_id)
    return {int(row["batch"]) for row in rows}


async def _new_consignees(recall_id: int, planned: Sequence[notices.PlannedNotice]) -> int:
    reached = await notices.reached_consignees(recall_id, [p.consignee_id for p in planned])
    return sum(1 for notice in planned if notice.consignee_id not in reached)


def _running(row: Mapping[str, Any]) -> None:
    if row["status"] != RecallStatus.IN_PROGRESS.value:
        raise Conflict(
            f"recall {row['reference']} is {row['status']}: only a recall in progress can "
            "have its scope amended"
        )
    refuse_while_opening(row, "amended")


async def propose_amendment(
    actor: Actor,
    recall_id: int,
    reason: str | None,
    batch_ids: Sequence[int] | None = None,
    material_lot_id: int | None = None,
) -> Amendment:
    """Propose adding batches (or every batch that used a material lot) to a recall in
    progress; 422 naming the field when the ids are unknown or add nothing new."""
    row = await recall_row(recall_id)
    _running(row)
    reason = required_text(reason, "reason", TEXT_MAX)
    adding, lot, consignees_added = await _scope_added(row, batch_ids, material_lot_id)
    proposed_at = clock.now().astimezone(UTC)
    async with db.transaction():
        _running(await recall_row(recall_id))
        numbers = await db.fetch(
            "SELECT COALESCE(MAX(number), 0) AS n FROM recall_amendment WHERE recall = {}",
            recall_id,
        )
        number = int(numbers[0]["n"]) + 1
        amendment_id = await db.insert(
            "recall_amendment",
            {
                "recall": recall_id,
                "number": number,
                "status": AmendmentStatus.PROPOSED.value,
                "reason": reason,
                "material_lot": lot.id if lot else None,
                "batches": json.dumps([batch.id for batch in adding]),
                "consignees_added": consignees_added,
                "proposed_at": proposed_at,
                "proposed_by": actor.id,
                "approved_at": None,
                "approved_by": None,
                "version": 1,
            },
        )
        new = {
            "recall": row["reference"],
            "number": number,
            "reason": reason,
            "material_lot_id": lot.id if lot else None,
            "batches_added": [batch.batch_no for batch in adding],
            "consignees_added": consignees_added,
        }
        await audit.record(
            actor,
            audit.Change(AMENDMENT, amendment_id, "proposed", new=new, reason=reason),
            audit.Change(
                "recall", recall_id, "amendment_proposed", new={"amendment_id": amendment_id, **new}
            ),
        )
    return await get_amendment(recall_id, amendment_id)


async def _amendment_row(recall_id: int, amendment_id: int) -> dict[str, Any]:
    rows = (
        await db.fetch(
            "SELECT * FROM recall_amendment WHERE id = {} AND recall = {}",
            amendment_id,
            recall_id,
        )
        if is_valid_id(amendment_id) and is_valid_id(recall_id)
        else []
    )
    if not rows:
        raise NotFound(f"amendment {amendment_id} of recall {recall_id} not found")
    return dict(rows[0])


async def approve_amendment(
    actor: Actor, recall_id: int, amendment_id: int, password: str, meaning: str
) -> Amendment:
    """Approve a proposed amendment with the approver's electronic signature (four eyes).

    In one transaction: the amendment approved (optimistic lock on `version`), the signature,
    the batches added to the recall and set recalled, a notice to each consignee newly
    reached, the added lines and an update to each consignee already reached, the new
    consignees' deadlines from now (basis "amendment"), and the audit entries. A wrong
    password changes nothing and is audited as a refused signature.
    """
    meaning = required_text(meaning, "meaning", MEANING_MAX)
    row = await recall_row(recall_id)
    amendment = await _amendment_row(recall_id, amendment_id)
    if not may_approve(amendment["proposed_by"], actor):
        raise Forbidden("four eyes: the proposer of an amendment cannot approve it")
    if amendment["status"] != AmendmentStatus.PROPOSED.value:
        raise Conflict(f"amendment {amendment['number']} is {amendment['status']} already")
    _running(row)
    covered = await _covered_ids(recall_id)
    adding = [
        batch
        for batch in await batches_by_id(json.loads(amendment["batches"]))
        if batch.id not in covered
    ]
    if not adding:
        raise Conflict(f"recall {row['reference']} already covers every batch of this amendment")
    lot = await material_lot(amendment["material_lot"])
    record = amendment_record(
        row["reference"], amendment["number"], amendment["reason"], lot, adding
    )
    planned = await trace_plan(row["depth"], [batch.id for batch in adding])
    approved_at = clock.now().astimezone(UTC)
    reason = f"scope amendment {amendment['number']} of recall {row['reference']}"
    async with auth.signature_refusals_recorded(actor, AMENDMENT, amendment_id), db.transaction():
        changed = await db.fetch(
            "UPDATE recall_amendment SET status = {}, approved_at = {}, approved_by = {}, "
            "version = version + 1 WHERE id = {} AND version = {} AND status = {} RETURNING id",
            AmendmentStatus.APPROVED.value,
            approved_at,
            actor.id,
            amendment_id,
            amendment["version"],
            AmendmentStatus.PROPOSED.value,
        )
        running = await db.fetch(
            "UPDATE recall SET version = version + 1 WHERE id = {} AND status = {} RETURNING id",
            recall_id,
            RecallStatus.IN_PROGRESS.value,
        )
        if not changed or not running:
            raise Conflict(f"amendment {amendment['number']} was approved or changed meanwhile")
        signature = await auth.sign(
            actor,
            password,
            entity=AMENDMENT,
            entity_id=amendment_id,
            action="approve",
            meaning=meaning,
            record=record,
        )
        await db.insert_many(
            "recall_batch",
            (("recall", "int"), ("batch", "int"), ("amendment", "int")),
            [(recall_id, batch.id, amendment_id) for batch in adding],
        )
        if not row["drill"]:  # a drill rehearses the recall; the batches stay on sale
            await masterdata.recall_batches(
                actor,
                [batch.id for batch in adding],
                approved_at,
                f"{row['reference']} (amendment {amendment['number']})",
            )
        extended = await notices.extend_notices(
            actor, recall_id, planned, approved_at, reason=reason, amendment=amendment_id
        )
        deadlines = _deadlines(row, approved_at) if extended.created else []
        await db.insert_many(
            "recall_deadline",
            (
                ("recall", "int"), ("name", "text"), ("due_at", "timestamptz"),
                ("rule", "text"), ("profile", "text"), ("basis", "text"), ("amendment", "int"),
            ),
            [
                (recall_id, d.name[:50], d.due_at, d.rule[:100], profile,
                 DeadlineBasis.AMENDMENT.value, amendment_id)
                for profile, d in deadlines
            ],
        )  # fmt: skip
        await db.execute(
            "UPDATE recall_amendment SET consignees_added = {} WHERE id = {}",
            len(extended.created),
            amendment_id,
        )
        new = {
            "status": AmendmentStatus.APPROVED.value,
            "approved_at": approved_at.isoformat(),
            "signature_hash": signature.record_hash,
            "meaning": meaning,
            "batches_added": [batch.batch_no for batch in adding],
            "notices_created": len(extended.created),
            "notices_updated": len(extended.lines_added),
            "deadlines": [
                {"name": d.name, "profile": profile, "due_at": d.due_at.isoformat()}
                for profile, d in deadlines
            ],
        }
        await audit.record(
            actor,
            audit.Change(
                AMENDMENT, amendment_id, "approved",
                old={"status": amendment["status"], "version": amendment["version"]}, new=new,
            ),
            audit.Change(
                "recall", recall_id, "amendment_approved",
                new={"amendment_id": amendment_id, "number": amendment["number"], **new},
            ),
        )  # fmt: skip
    return await get_amendment(recall_id, amendment_id)


def _deadlines(row: Mapping[str, Any], start: datetime) -> list[tuple[str, regulatory.Deadline]]:
    """Each profile's consignee-side deadlines (notify, wholesale/retail complete) from `start`."""
    found = [
        (profile, deadline)
        for profile in profiles_of(row)
        for deadline in regulatory.recall_deadlines(
            profile, row["recall_class"], row["depth"], start
        )
        if deadline.name in PROGRESS_MET
    ]
    return sorted(found, key=lambda item: item[1].due_at)


async def list_amendments(recall_id: int) -> list[Amendment]:
    """A recall's scope amendments, first first (NotFound for an unknown recall)."""
    await recall_row(recall_id)
    return await amendments_of(recall_id)


async def get_amendment(recall_id: int, amendment_id: int) -> Amendment:
    """One amendment of a recall; NotFound otherwise."""
    return (await amendment_views([await _amendment_row(recall_id, amendment_id)]))[0]


async def preview_amendment(
    recall_id: int, batch_ids: Sequence[int] | None = None, material_lot_id: int | None = None
) -> tuple[list[masterdata.BatchView], int]:
    """What a proposal would add, without writing: the batches not yet covered and how many
    consignees would be newly reached (the same checks as proposing)."""
    row = await recall_row(recall_id)
    _running(row)
    adding, _, consignees_added = await _scope_added(row, batch_ids, material_lot_id)
    return adding, consignees_added


async def _scope_added(
    row: Mapping[str, Any], batch_ids: Sequence[int] | None, material_lot_id: int | None
) -> tuple[list[masterdata.BatchView], masterdata.MaterialLot | None, int]:
    """The batches a proposal adds that the recall `row` does not cover yet, the lot named,
    and how many consignees they newly reach; 422 naming the field when nothing is new."""
    batches, lot = await covered_batches(batch_ids, material_lot_id)
    covered = await _covered_ids(row["id"])
    adding = [batch for batch in batches if batch.id not in covered]
    if not adding:
        field = "batch_ids" if batch_ids is not None else "material_lot_id"
        raise InvalidInput(field, f"recall {row['reference']} already covers these batches")
    planned = await trace_plan(row["depth"], [batch.id for batch in adding])
    return adding, lot, await _new_consignees(row["id"], planned)
