"""Destruction records: recalled units destroyed on site at a consignee, or at the plant."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

from recall import audit, clock, db, notices
from recall.actors import Actor
from recall.errors import Conflict, InvalidInput, NotFound
from recall.recalls._models import RecallStatus
from recall.recalls._service import recall_row
from recall.rules import is_valid_id, required_text, text

PLACE_MAX = 200
DOCUMENT_NO_MAX = 100
MAX_WITNESSES = 10
# Integer columns hold at most this on PostgreSQL.
MAX_QUANTITY = 2**31 - 1


@dataclass(frozen=True)
class Witness:
    """Who witnessed a destruction, for which agency (BPOM, a Balai POM, Dinas Kesehatan, QA)."""

    name: str
    agency: str


@dataclass(frozen=True)
class DestructionRecord:
    """Units of one batch destroyed: at a consignee (with its notice) or at the plant (none)."""

    id: int
    recall_id: int
    batch_no: str
    gtin: str
    product_name: str
    quantity: int
    method: str
    place: str
    witness: str
    destroyed_on: date
    # The berita acara pemusnahan: its number, who destroyed the units, who witnessed.
    document_no: str | None
    executor: str | None
    witnesses: list[Witness]
    consignee_code: str | None
    consignee_name: str | None
    tier: int | None
    notice_id: int | None
    recorded_at: datetime
    recorded_by: int | None


def require_in_progress(row: dict[str, Any], doing: str) -> None:
    """Conflict unless the recall is approved and not yet closed."""
    if row["status"] != RecallStatus.IN_PROGRESS.value:
        raise Conflict(f"recall {row['reference']} is {row['status']}; {doing} needs in_progress")


async def lock_in_progress(recall_id: int, doing: str) -> None:
    """Inside a transaction: hold the recall's row so close-out writes and closure take turns.

    Conflict when the recall left in_progress meanwhile (closed by someone else).
    """
    held = await db.fetch(
        "UPDATE recall SET status = status WHERE id = {} AND status = {} RETURNING id",
        recall_id,
        RecallStatus.IN_PROGRESS.value,
    )
    if not held:
        require_in_progress(await recall_row(recall_id), doing)


async def _recalled_batch(recall_id: int, batch_no: str, gtin: str | None) -> Mapping[str, Any]:
    rows = await db.fetch(
        "SELECT b.id AS id, b.batch_no AS batch_no, p.gtin AS gtin, p.name AS product_name "
        "FROM recall_batch rb JOIN batch b ON b.id = rb.batch JOIN product p ON p.id = b.product "
        "WHERE rb.recall = {} AND b.batch_no = {}" + (" AND p.gtin = {}" if gtin else ""),
        recall_id,
        batch_no,
        *([gtin] if gtin else []),
    )
    if not rows:
        raise InvalidInput("batch_no", f"batch {batch_no} is not in this recall")
    if len(rows) > 1:
        raise InvalidInput("batch_no", f"batch {batch_no} is in this recall for several products")
    return rows[0]


async def _notice_holding(recall_id: int, batch_id: int, consignee_code: str) -> Mapping[str, Any]:
    """The consignee's notice line of this batch; InvalidInput naming consignee_code if none.

    The notice row is held first, as the consignee's own returns hold it, so a return and a
    destruction at the same moment cannot both use the same units.
    """
    await notices.hold_consignee_notice(recall_id, consignee_code)
    rows = await db.fetch(
        "SELECT n.id AS notice, n.tier AS tier, c.code AS code, c.name AS name, "
        "l.quantity_distributed AS distributed, l.quantity_returned AS returned, "
        "COALESCE((SELECT SUM(d.quantity) FROM destruction d "
        "WHERE d.notice = n.id AND d.batch = l.batch), 0) AS destroyed "
        "FROM notice n JOIN consignee c ON c.id = n.consignee "
        "JOIN notice_line l ON l.notice = n.id AND l.batch = {} "
        "WHERE n.recall = {} AND c.code = {}",
        batch_id,
        recall_id,
        consignee_code,
    )
    if not rows:
        raise InvalidInput(
            "consignee_code",
            f"consignee {consignee_code} holds no notice of this recall for this batch",
        )
    return rows[0]


async def _destroyable_at_plant(recall_id: int, batch_id: int) -> int:
    """What tier-1 consignees returned of the batch, less what the plant destroyed already."""
    rows = await db.fetch(
        "SELECT COALESCE((SELECT SUM(l.quantity_returned) FROM notice_line l "
        "JOIN notice n ON n.id = l.notice WHERE n.recall = {} AND n.tier = 1 AND l.batch = {}), 0)"
        " - COALESCE((SELECT SUM(d.quantity) FROM destruction d "
        "WHERE d.recall = {} AND d.batch = {} AND d.notice IS NULL), 0) AS remaining",
        recall_id,
        batch_id,
        recall_id,
        batch_id,
    )
    return int(rows[0]["remaining"])


def checked_witnesses(witnesses: Sequence[Witness]) -> list[Witness]:
    """The witnesses trimmed; InvalidInput naming `witnesses` (too many) or the blank, long or
    multi-line `witnesses[i].name` / `witnesses[i].agency`."""
    if len(witnesses) > MAX_WITNESSES:
        raise InvalidInput("witnesses", f"at most {MAX_WITNESSES} witnesses")
    return [
        Witness(
            name=required_text(item.name, f"witnesses[{i}].name", PLACE_MAX, one_line=True),
            agency=required_text(item.agency, f"witnesses[{i}].agency", PLACE_MAX, one_line=True),
        )
        for i, item in enumerate(witnesses)
    ]


def _first_named(witnesses: Sequence[Witness]) -> str:
    """The old single witness column as first-release readers expect it: "name (agency)"."""
    first = witnesses[0]
    return f"{first.name} ({first.agency})"[:PLACE_MAX]


def _witness_json(witness: Witness) -> dict[str, str]:
    return {"name": witness.name, "agency": witness.agency}


def _witnesses_of(stored: str | None) -> list[Witness]:
    return [Witness(str(w["name"]), str(w["agency"])) for w in json.loads(stored or "[]")]


async def record_destruction(
    actor: Actor,
    recall_id: int,
    *,
    batch_no: str,
    quantity: int,
    method: str,
    place: str,
    witness: str,
    destroyed_on: date,
    consignee_code: str | None = None,
    gtin: str | None = None,
    document_no: str | None = None,
    executor: str | None = None,
    witnesses: Sequence[Witness] = (),
) -> DestructionRecord:
    """Record recalled units destroyed, audited.

    With `consignee_code` they were destroyed on site at that consignee, which must hold a
    notice of this recall for the batch; they count as destroyed for that notice (at most
    what it received less what it returned and already destroyed). Without, returned stock
    was destroyed at the plant: recorded, not counted again (it counts as returned), and at
    most what tier-1 consignees returned less what the plant destroyed already.

    The berita acara's `document_no`, `executor` and `witnesses` are optional; `witness`
    may be left out when `witnesses` are given (it then names the first of them).
    """
    batch_no = required_text(batch_no, "batch_no", 50, one_line=True)
    gtin = text(gtin, "gtin", 14, required=False, one_line=True)
    code = text(consignee_code, "consignee_code", 50, required=False, one_line=True)
    if quantity < 1:
        raise InvalidInput("quantity", "must be greater than 0")
    if quantity > MAX_QUANTITY:
        raise InvalidInput("quantity", f"must be at most {MAX_QUANTITY}")
    present = checked_witnesses(witnesses)
    named = text(witness, "witness", PLACE_MAX, required=not present, one_line=True)
    values = {
        "method": required_text(method, "method", PLACE_MAX, one_line=True),
        "place": required_text(place, "place", PLACE_MAX, one_line=True),
        "witness": named or _first_named(present),
        "document_no": text(
            document_no, "document_no", DOCUMENT_NO_MAX, required=False, one_line=True
        ),
        "executor": text(executor, "executor", PLACE_MAX, required=False, one_line=True),
    }
    if destroyed_on > clock.today():
        raise InvalidInput("destroyed_on", "must not be in the future")
    require_in_progress(await recall_row(recall_id), "recording a destruction")
    recorded_at = clock.now().astimezone(UTC)
    async with db.transaction():
        await lock_in_progress(recall_id, "recording a destruction")
        batch = await _recalled_batch(recall_id, batch_no, gtin)
        notice_id: int | None = None
        if code is not None:
            held = await _notice_holding(recall_id, int(batch["id"]), code)
            notice_id = int(held["notice"])
            left = int(held["distributed"]) - int(held["returned"]) - int(held["destroyed"])
            where = f"at {code}"
        else:
            left = await _destroyable_at_plant(recall_id, int(batch["id"]))
            where = "returned to the plant"
        if quantity > left:
            raise InvalidInput(
                "quantity", f"at most {max(left, 0)} units of batch {batch_no} {where} remain"
            )
        rows = await db.fetch(
            "INSERT INTO destruction (recall, batch, notice, quantity, method, place, witness, "
            "document_no, executor, witnesses, destroyed_on, recorded_at, recorded_by) "
            "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}) RETURNING id",
            recall_id,
            int(batch["id"]),
            notice_id,
            quantity,
            values["method"],
            values["place"],
            values["witness"],
            values["document_no"],
            values["executor"],
            json.dumps([_witness_json(w) for w in present], ensure_ascii=False),
            destroyed_on,
            recorded_at,
            actor.id,
        )
        destruction_id = int(rows[0]["id"])
        await audit.record(
            actor,
            audit.Change(
                "destruction",
                destruction_id,
                "recorded",
                new={
                    **values,
                    "witnesses": [_witness_json(w) for w in present],
                    "recall_id": recall_id,
                    "batch_no": batch["batch_no"],
                    "gtin": batch["gtin"],
                    "quantity": quantity,
                    "destroyed_on": destroyed_on.isoformat(),
                    "consignee_code": code,
                    "notice_id": notice_id,
                },
            ),
        )
    return (await _destructions("d.id = {}", destruction_id))[0]


_SELECT = (
    "SELECT d.id AS id, d.recall AS recall_id, b.batch_no AS batch_no, p.gtin AS gtin, "
    "p.name AS product_name, d.quantity AS quantity, d.method AS method, d.place AS place, "
    "d.witness AS witness, d.destroyed_on AS destroyed_on, d.document_no AS document_no, "
    "d.executor AS executor, d.witnesses AS witnesses, c.code AS consignee_code, "
    "c.name AS consignee_name, n.tier AS tier, d.notice AS notice_id, "
    "d.recorded_at AS recorded_at, d.recorded_by AS recorded_by "
    "FROM destruction d JOIN batch b ON b.id = d.batch JOIN product p ON p.id = b.product "
    "LEFT JOIN notice n ON n.id = d.notice LEFT JOIN consignee c ON c.id = n.consignee "
)


async def _destructions(where: str, *values: Any) -> list[DestructionRecord]:
    rows = await db.fetch(_SELECT + "WHERE " + where, *values)
    return [
        DestructionRecord(
            id=int(row["id"]),
            recall_id=int(row["recall_id"]),
            batch_no=row["batch_no"],
            gtin=row["gtin"],
            product_name=row["product_name"],
            quantity=int(row["quantity"]),
            method=row["method"],
            place=row["place"],
            witness=row["witness"],
            destroyed_on=db.as_date(row["destroyed_on"]),
            document_no=row["document_no"],
            executor=row["executor"],
            witnesses=_witnesses_of(row["witnesses"]),
            consignee_code=row["consignee_code"],
            consignee_name=row["consignee_name"],
            tier=None if row["tier"] is None else int(row["tier"]),
            notice_id=None if row["notice_id"] is None else int(row["notice_id"]),
            recorded_at=db.as_utc(row["recorded_at"]),
            recorded_by=row["recorded_by"],
        )
        for row in rows
    ]


async def list_destructions(
    recall_id: int, limit: int = 50, offset: int = 0
) -> tuple[list[DestructionRecord], int]:
    """A recall's destruction records, oldest destruction first (NotFound for no recall)."""
    await recall_row(recall_id)
    items = await _destructions(
        "d.recall = {} ORDER BY d.destroyed_on, d.id LIMIT {} OFFSET {}", recall_id, limit, offset
    )
    total = await db.fetch("SELECT COUNT(*) AS n FROM destruction WHERE recall = {}", recall_id)
    return items, int(total[0]["n"])


class EvidenceFile(Protocol):
    """A file attached to a destruction record, as the reports name it."""

    @property
    def filename(self) -> str: ...

    @property
    def sha256(self) -> str: ...


# The evidence files of one destruction record, read for whoever asks for the report (the
# evidence context reads recalls, so its reader is handed in rather than imported).
FilesOf = Callable[[int], Awaitable[Sequence[EvidenceFile]]]


async def destruction_files(
    destructions: Sequence[DestructionRecord], files_of: FilesOf | None
) -> dict[int, list[tuple[str, str]]]:
    """Each record's attached files as (file name, SHA-256); none without a reader."""
    if files_of is None:
        return {}
    return {d.id: [(f.filename, f.sha256) for f in await files_of(d.id)] for d in destructions}


async def get_destruction(destruction_id: int) -> DestructionRecord:
    """One destruction record (NotFound when there is none)."""
    found = await _destructions("d.id = {}", destruction_id) if is_valid_id(destruction_id) else []
    if not found:
        raise NotFound(f"destruction {destruction_id} not found")
    return found[0]
