"""The complaint side of investigations: grouping triaged complaints under one investigation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from recall import audit, db
from recall.actors import Actor
from recall.complaints._models import ComplaintStatus, transition
from recall.errors import Conflict, InvalidInput


class AlreadyInvestigated(Conflict):
    """A complaint already belongs to an investigation; the caller, who keeps
    investigations, names it."""

    def __init__(self, complaint_reference: str, investigation_id: int) -> None:
        super().__init__(
            f"complaint {complaint_reference} already belongs to investigation {investigation_id}"
        )
        self.complaint_reference = complaint_reference
        self.investigation_id = investigation_id


@dataclass(frozen=True)
class GroupedComplaint:
    """A complaint as its investigation lists it."""

    id: int
    reference: str
    status: str
    batch_id: int | None
    batch_no: str | None


async def attach_to_investigation(
    actor: Actor, complaint_ids: Sequence[int], investigation_id: int
) -> list[GroupedComplaint]:
    """Put triaged complaints under an investigation; their status becomes under_investigation.

    Runs inside the caller's transaction. InvalidInput names `complaint_ids` when one
    does not exist; Conflict names the complaint that is not triaged for investigation
    or already belongs to one.
    """
    if not db.in_transaction():
        raise RuntimeError("attach_to_investigation must run inside the caller's transaction")
    ids = list(dict.fromkeys(complaint_ids))
    rows = await db.fetch_in(
        "SELECT c.id AS id, c.reference AS reference, c.status AS status, "
        "c.investigate AS investigate, c.investigation AS investigation, "
        "c.batch AS batch, c.batch_no AS batch_no, c.version AS version FROM complaint c "
        "WHERE c.id IN (*)",
        ids,
    )
    found = {row["id"]: row for row in rows}
    missing = [str(complaint_id) for complaint_id in ids if complaint_id not in found]
    if missing:
        raise InvalidInput("complaint_ids", f"no complaint with id {', '.join(missing)}")

    grouped: list[GroupedComplaint] = []
    changes: list[audit.Change] = []
    for complaint_id in ids:
        row = found[complaint_id]
        reference = row["reference"]
        if row["investigation"] is not None:
            raise AlreadyInvestigated(reference, int(row["investigation"]))
        if row["status"] == ComplaintStatus.RECEIVED:
            raise Conflict(f"complaint {reference} must be triaged before it is investigated")
        if row["status"] == ComplaintStatus.TRIAGED and not row["investigate"]:
            raise Conflict(f"complaint {reference} was triaged without an investigation")
        try:
            status = transition(row["status"], ComplaintStatus.UNDER_INVESTIGATION)
        except Conflict as exc:
            raise Conflict(f"complaint {reference}: {exc.detail}") from None
        # The version guard refuses the move if someone changed the complaint since we read it.
        updated = await db.fetch(
            "UPDATE complaint SET status = {}, investigation = {}, version = version + 1 "
            "WHERE id = {} AND version = {} AND investigation IS NULL RETURNING id",
            status.value,
            investigation_id,
            complaint_id,
            row["version"],
        )
        if not updated:
            raise Conflict(f"complaint {reference} changed meanwhile; try again")
        grouped.append(
            GroupedComplaint(complaint_id, reference, status.value, row["batch"], row["batch_no"])
        )
        changes.append(
            audit.Change(
                "complaint",
                complaint_id,
                "attached_to_investigation",
                old={"status": row["status"], "investigation_id": None},
                new={"status": status.value, "investigation_id": investigation_id},
            )
        )
    await audit.record(actor, *changes)
    return grouped


async def grouped_complaints(investigation_id: int) -> list[GroupedComplaint]:
    """The complaints grouped under one investigation, oldest first."""
    rows = await db.fetch(
        "SELECT id, reference, status, batch, batch_no FROM complaint "
        "WHERE investigation = {} ORDER BY received_at, id",
        investigation_id,
    )
    return [
        GroupedComplaint(row["id"], row["reference"], row["status"], row["batch"], row["batch_no"])
        for row in rows
    ]
