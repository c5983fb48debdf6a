"""Reading investigations and their CAPA, and the overviews pages show (changes: _lifecycle)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from recall import auth, clock, complaints, db, masterdata
from recall.errors import InvalidInput, NotFound
from recall.investigations._models import (
    AffectedBatch,
    Capa,
    CapaStatus,
    ComplaintToInvestigate,
    ConclusionSignature,
    ContainmentAction,
    EffectivenessCheck,
    Investigation,
    InvestigationComplaint,
    InvestigationOrder,
    InvestigationStatus,
    InvestigationSummary,
    InvestigationTally,
    ResultingRecall,
    Risk,
    SharedLot,
    SuggestedBatch,
    is_overdue,
    risk_level,
)
from recall.rules import MAX_ID, choice, is_valid_id


async def _names(user_ids: Iterable[int | None]) -> dict[int, str]:
    names: dict[int, str] = {}
    for user_id in {user_id for user_id in user_ids if user_id is not None}:
        try:
            names[user_id] = (await auth.get_user(user_id)).full_name
        except NotFound:
            continue
    return names


def _complaint(grouped: complaints.GroupedComplaint) -> InvestigationComplaint:
    return InvestigationComplaint(
        grouped.id, grouped.reference, grouped.status, grouped.batch_id, grouped.batch_no
    )


# Reading ------------------------------------------------------------------------------


async def _investigation_row(investigation_id: int) -> Mapping[str, Any]:
    rows = []
    if is_valid_id(investigation_id):
        rows = await db.fetch("SELECT * FROM investigation WHERE id = {}", investigation_id)
    if not rows:
        raise NotFound(f"investigation {investigation_id} not found")
    return rows[0]


async def _affected_batches(investigation_id: int) -> list[AffectedBatch]:
    rows = await db.fetch(
        "SELECT b.id, b.batch_no, p.gtin, p.name AS product_name "
        "FROM investigation_batch ib JOIN batch b ON b.id = ib.batch "
        "JOIN product p ON p.id = b.product "
        "WHERE ib.investigation = {} ORDER BY p.name, b.batch_no, b.id",
        investigation_id,
    )
    return [AffectedBatch(r["id"], r["batch_no"], r["gtin"], r["product_name"]) for r in rows]


async def suggested_batches(investigation_id: int) -> list[SuggestedBatch]:
    """Other batches sharing a material lot with a complained or affected batch (one query)."""
    rows = await db.fetch(
        "WITH suspect AS ("
        " SELECT batch FROM complaint WHERE investigation = {} AND batch IS NOT NULL"
        " UNION SELECT batch FROM investigation_batch WHERE investigation = {}) "
        "SELECT DISTINCT b.id, b.batch_no, p.gtin, p.name AS product_name,"
        " lot.id AS lot_id, lot.lot_no, lot.material "
        "FROM batch_material used "
        "JOIN batch_material shared ON shared.material_lot = used.material_lot "
        "JOIN material_lot lot ON lot.id = used.material_lot "
        "JOIN batch b ON b.id = shared.batch "
        "JOIN product p ON p.id = b.product "
        "WHERE used.batch IN (SELECT batch FROM suspect) "
        "AND shared.batch NOT IN (SELECT batch FROM suspect) "
        "ORDER BY p.name, b.batch_no, b.id, lot.lot_no, lot.id",
        investigation_id,
        investigation_id,
    )
    batches: dict[int, tuple[Mapping[str, Any], list[SharedLot]]] = {}
    for row in rows:
        lots = batches.setdefault(row["id"], (row, []))[1]
        lots.append(SharedLot(row["lot_id"], row["lot_no"], row["material"]))
    return [
        SuggestedBatch(row["id"], row["batch_no"], row["gtin"], row["product_name"], tuple(lots))
        for row, lots in batches.values()
    ]


def _risk(row: Mapping[str, Any]) -> Risk | None:
    """The stored risk, or None while the investigation is not scored."""
    if row.get("risk_priority") is None:
        return None
    priority = int(row["risk_priority"])
    return Risk(
        int(row["risk_severity"]),
        int(row["risk_occurrence"]),
        int(row["risk_detectability"]),
        priority,
        risk_level(priority).value,
    )


def containment_of(stored: str | None) -> tuple[ContainmentAction, ...]:
    """The containment actions as the investigation's JSON column holds them."""
    return tuple(
        ContainmentAction(
            item["action"], date.fromisoformat(item["done_on"]) if item.get("done_on") else None
        )
        for item in json.loads(stored or "[]")
    )


async def _effectiveness(capa_ids: list[int]) -> dict[int, list[EffectivenessCheck]]:
    if not capa_ids:
        return {}
    rows = await db.fetch_in(
        "SELECT capa, effective, evidence, recorded_at, recorded_by FROM capa_effectiveness "
        "WHERE capa IN (*) ORDER BY recorded_at, id",
        capa_ids,
    )
    names = await _names(row["recorded_by"] for row in rows)
    checks: dict[int, list[EffectivenessCheck]] = {}
    for row in rows:
        checks.setdefault(row["capa"], []).append(
            EffectivenessCheck(
                bool(row["effective"]),
                row["evidence"],
                db.as_utc(row["recorded_at"]),
                names.get(row["recorded_by"]) if row["recorded_by"] else None,
            )
        )
    return checks


def _capa(
    row: Mapping[str, Any],
    on: date,
    names: dict[int, str],
    checks: Iterable[EffectivenessCheck] = (),
) -> Capa:
    return Capa(
        id=row["id"],
        investigation_id=row["investigation"],
        kind=row["kind"],
        description=row["description"],
        owner=row["owner"],
        due_on=row["due_on"],
        status=row["status"],
        overdue=is_overdue(row["due_on"], row["status"], on),
        completed_at=db.as_utc(row["completed_at"]),
        completed_by=row["completed_by"],
        completed_by_name=names.get(row["completed_by"]) if row["completed_by"] else None,
        completion_note=row["completion_note"],
        effectiveness_check_due_on=row["effectiveness_check_due_on"],
        created_at=db.as_utc(row["created_at"]) or row["created_at"],
        version=row["version"],
        effectiveness=tuple(checks),
    )


async def _capas(investigation_id: int) -> list[Capa]:
    rows = await db.fetch(
        "SELECT * FROM capa WHERE investigation = {} ORDER BY id", investigation_id
    )
    names = await _names(row["completed_by"] for row in rows)
    checks = await _effectiveness([row["id"] for row in rows])
    on = clock.today()
    return [_capa(row, on, names, checks.get(row["id"], ())) for row in rows]


async def get_investigation(investigation_id: int) -> Investigation:
    """One investigation with its complaints, batches, suggestions and CAPA; NotFound if none."""
    row = await _investigation_row(investigation_id)
    names = await _names([row["concluded_by"]])
    grouped = [_complaint(c) for c in await complaints.grouped_complaints(row["id"])]
    affected = await _affected_batches(row["id"])
    # Kept for its complaints' batches and the batches found affected (SPEC Retention).
    batch_ids = [c.batch_id for c in grouped] + [b.id for b in affected]
    return Investigation(
        id=row["id"],
        reference=row["reference"],
        title=row["title"],
        status=row["status"],
        root_cause_category=row["root_cause_category"],
        root_cause=row["root_cause"],
        findings=row["findings"],
        conclusion=row["conclusion"],
        recall_recommended=row["recall_recommended"],
        concluded_at=db.as_utc(row["concluded_at"]),
        concluded_by=row["concluded_by"],
        concluded_by_name=names.get(row["concluded_by"]) if row["concluded_by"] else None,
        created_at=db.as_utc(row["created_at"]) or row["created_at"],
        created_by=row["created_by"],
        version=row["version"],
        complaints=tuple(grouped),
        affected_batches=tuple(affected),
        suggested_batches=tuple(await suggested_batches(row["id"])),
        capas=tuple(await _capas(row["id"])),
        retain_until=await masterdata.batches_retain_until(batch_ids),
        risk=_risk(row),
        containment=containment_of(row["containment"]),
        signatures=tuple(
            ConclusionSignature(s.full_name, s.meaning, s.signed_at, s.action, s.record_hash)
            for s in await auth.signatures_of("investigation", row["id"])
        ),
    )


ORDER_BY = {
    InvestigationOrder.NEWEST: "created_at DESC, id DESC",
    # Unscored investigations last either way (NULLS LAST reads alike on both databases).
    InvestigationOrder.PRIORITY: "risk_priority IS NULL, risk_priority, created_at DESC, id DESC",
    InvestigationOrder.PRIORITY_DESC: (
        "risk_priority IS NULL, risk_priority DESC, created_at DESC, id DESC"
    ),
}


async def list_investigations(
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
    sort: str = InvestigationOrder.NEWEST.value,
) -> tuple[list[InvestigationSummary], int]:
    """Investigations newest first (or by risk priority, unscored last), optionally only
    those in one status."""
    order = ORDER_BY[choice(InvestigationOrder, sort, "sort")]
    if offset > MAX_ID:
        raise InvalidInput("offset", f"at most {MAX_ID}")
    where, values = "investigation", []
    if status:
        wanted = choice(InvestigationStatus, status, "status").value
        where, values = "investigation WHERE status = {}", [wanted]
    rows, total = await db.fetch_page(
        "id, reference, title, status, root_cause_category, recall_recommended, created_at, "
        "concluded_at, version, risk_severity, risk_occurrence, risk_detectability, "
        "risk_priority",
        where,
        order,
        values,
        limit,
        offset,
    )
    items = [
        InvestigationSummary(
            id=row["id"],
            reference=row["reference"],
            title=row["title"],
            status=row["status"],
            root_cause_category=row["root_cause_category"],
            recall_recommended=row["recall_recommended"],
            created_at=db.as_utc(row["created_at"]) or row["created_at"],
            concluded_at=db.as_utc(row["concluded_at"]),
            version=row["version"],
            risk=_risk(row),
        )
        for row in rows
    ]
    return items, total


async def _capa_row(capa_id: int) -> Mapping[str, Any]:
    rows = []
    if is_valid_id(capa_id):
        rows = await db.fetch("SELECT * FROM capa WHERE id = {}", capa_id)
    if not rows:
        raise NotFound(f"CAPA {capa_id} not found")
    return rows[0]


async def get_capa(capa_id: int) -> Capa:
    """One CAPA action; NotFound when there is none with this id."""
    row = await _capa_row(capa_id)
    checks = await _effectiveness([row["id"]])
    names = await _names([row["completed_by"]])
    return _capa(row, clock.today(), names, checks.get(row["id"], ()))


# Overviews ----------------------------------------------------------------------------------

MAX_TO_INVESTIGATE = 200


async def tallies(investigation_ids: list[int]) -> dict[int, InvestigationTally]:
    """Per investigation: complaints grouped, CAPA still open, and how many of those are overdue."""
    ids = sorted({i for i in investigation_ids if is_valid_id(i)})
    if not ids:
        return {}
    grouped = await db.fetch_in(
        "SELECT investigation, COUNT(*) AS n FROM complaint "
        "WHERE investigation IN (*) GROUP BY investigation",
        ids,
    )
    open_capas = await db.fetch_in(
        "SELECT investigation, due_on FROM capa WHERE investigation IN (*) AND status <> {}",
        ids,
        CapaStatus.DONE.value,
    )
    complaint_counts = {row["investigation"]: int(row["n"]) for row in grouped}
    on = clock.today()
    capas: dict[int, list[bool]] = {}
    for row in open_capas:
        overdue = is_overdue(db.as_date(row["due_on"]), CapaStatus.OPEN.value, on)
        capas.setdefault(row["investigation"], []).append(overdue)
    return {
        i: InvestigationTally(
            complaint_counts.get(i, 0), len(capas.get(i, [])), sum(capas.get(i, []))
        )
        for i in ids
    }


async def complaints_to_investigate(
    limit: int = MAX_TO_INVESTIGATE,
) -> list[ComplaintToInvestigate]:
    """Complaints triaged for investigation that no investigation groups yet, oldest first."""
    rows = await db.fetch(
        "SELECT c.id, c.reference, c.received_at, p.name AS product_name, c.batch_no, "
        "c.category, c.severity, c.description "
        "FROM complaint c LEFT JOIN product p ON p.id = c.product "
        "WHERE c.status = {} AND c.investigate = {} AND c.investigation IS NULL "
        "ORDER BY c.received_at, c.id LIMIT {}",
        complaints.ComplaintStatus.TRIAGED.value,
        True,
        min(limit, MAX_TO_INVESTIGATE),
    )
    return [
        ComplaintToInvestigate(
            id=row["id"],
            reference=row["reference"],
            received_at=db.as_utc(row["received_at"]),
            product_name=row["product_name"],
            batch_no=row["batch_no"],
            category=row["category"],
            severity=row["severity"],
            description=row["description"],
        )
        for row in rows
    ]


async def resulting_recalls(investigation_id: int) -> list[ResultingRecall]:
    """The recalls proposed from this investigation, oldest first."""
    if not is_valid_id(investigation_id):
        return []
    rows = await db.fetch(
        "SELECT id, reference, status FROM recall WHERE investigation = {} ORDER BY id",
        investigation_id,
    )
    return [ResultingRecall(row["id"], row["reference"], row["status"]) for row in rows]
