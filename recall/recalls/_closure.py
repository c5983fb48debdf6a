"""Closing a recall with an electronic signature over its final reconciliation."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from recall import audit, auth, clock, db
from recall.actors import Actor
from recall.errors import Conflict
from recall.recalls._models import TEXT_MAX, Recall, RecallStatus, transition
from recall.recalls._opening import refuse_while_opening
from recall.recalls._reconciliation import Reconciliation, ReconciliationLine, reconcile
from recall.recalls._service import get_recall, recall_row, refusal_audited
from recall.rules import required_text, text

MEANING_MAX = 500


def _figures(line: ReconciliationLine) -> dict[str, int]:
    return {
        "quantity_produced": line.quantity_produced,
        "quantity_distributed": line.quantity_distributed,
        "quantity_on_hand": line.quantity_on_hand,
        "quantity_returned": line.quantity_returned,
        "quantity_destroyed": line.quantity_destroyed,
        "quantity_unaccounted": line.quantity_unaccounted,
    }


def closure_record(
    reference: str, reconciliation: Reconciliation, justification: str | None
) -> dict[str, Any]:
    """Exactly what a closure signs: the final reconciliation and any justification."""
    return {
        "reference": reference,
        "status": RecallStatus.CLOSED.value,
        "batches": [
            {"gtin": line.gtin, "batch_no": line.batch_no, **_figures(line)}
            for line in reconciliation.batches
        ],
        "totals": _figures(reconciliation.totals),
        "justification": justification,
    }


async def close_recall(
    actor: Actor,
    recall_id: int,
    password: str,
    meaning: str,
    justification: str | None = None,
) -> Recall:
    """Close an in-progress recall with the signer's electronic signature.

    The signature covers the final reconciliation. While any quantity is unaccounted for
    (over- or under-reported) closing needs a justification, which is stored and audited.
    In one transaction: the status change (optimistic lock on `version`), the signature and
    the audit entry. A wrong password changes nothing and is audited as "signature_refused"
    in a transaction of its own.
    """
    meaning = required_text(meaning, "meaning", MEANING_MAX)
    justification = text(justification, "justification", TEXT_MAX, required=False)
    row = await recall_row(recall_id)
    transition(row["status"], RecallStatus.CLOSED)
    refuse_while_opening(row, "closed")
    closed_at = clock.now().astimezone(UTC)
    async with refusal_audited(actor, recall_id), db.transaction():
        changed = await db.fetch(
            "UPDATE recall SET status = {}, closed_at = {}, closed_by = {}, "
            "closure_justification = {}, version = version + 1 "
            "WHERE id = {} AND version = {} AND status = {} RETURNING id",
            RecallStatus.CLOSED.value,
            closed_at,
            actor.id,
            justification,
            recall_id,
            row["version"],
            RecallStatus.IN_PROGRESS.value,
        )
        if not changed:
            raise Conflict(f"recall {row['reference']} was closed or changed meanwhile")
        # Counted after taking the row, so no close-out write slips in unsigned.
        reconciliation = await reconcile(recall_id)
        unaccounted = reconciliation.totals.quantity_unaccounted
        if unaccounted != 0 and justification is None:
            raise Conflict(
                f"{unaccounted} units are unaccounted for; closing anyway needs a justification"
            )
        signature = await auth.sign(
            actor,
            password,
            entity="recall",
            entity_id=recall_id,
            action="close",
            meaning=meaning,
            record=closure_record(row["reference"], reconciliation, justification),
        )
        await audit.record(
            actor,
            audit.Change(
                "recall",
                recall_id,
                "closed",
                old={"status": row["status"], "version": row["version"]},
                new={
                    "status": RecallStatus.CLOSED.value,
                    "closed_at": closed_at.isoformat(),
                    "signature_hash": signature.record_hash,
                    "meaning": meaning,
                    "totals": _figures(reconciliation.totals),
                    "justification": justification,
                },
                reason=justification or "",
            ),
        )
    return await get_recall(recall_id)
