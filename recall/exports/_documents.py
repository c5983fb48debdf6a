"""The documents an export makes: a recall's consignee table and reconciliation (CSV, XLSX),
its report and its reports to authorities (PDF).

The data is read on the event loop; every CPU-heavy step (rows to cells, the workbook's
zip, drawing a PDF) runs in a thread. Words in the reader's language come with the export:
the page that asked chose them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Any

from recall import clock, evidence, notices, recalls
from recall.actors import Actor, Role
from recall.exports._spreadsheets import MEDIA_TYPES, TableFile, TableFormat

# Rows written per step: progress is told between steps.
ROWS_PER_STEP = 5000
PDF = "application/pdf"

Progress = Callable[[int, int], Awaitable[None]]


class Document(StrEnum):
    CONSIGNEES = "consignees"
    RECONCILIATION = "reconciliation"
    RECALL_REPORT = "recall_report"
    AUTHORITY_REPORT = "authority_report"


@dataclass(frozen=True)
class Made:
    """A document written: the name and type the reader gets it under."""

    file_name: str
    content_type: str


def reader_of(parameters: dict[str, Any]) -> Actor:
    """Who asked, as the export stored them (the reports list what that reader may see)."""
    reader = parameters["reader"]
    return Actor(
        id=reader["id"],
        username=reader["username"],
        full_name=reader["full_name"],
        roles=frozenset(Role(role) for role in reader["roles"]),
        consignee_id=reader.get("consignee_id"),
        via_api_key=reader.get("via_api_key", False),
        api_key_id=reader.get("api_key_id"),
    )


def reader_parameters(actor: Actor) -> dict[str, Any]:
    return {
        "id": actor.id,
        "username": actor.username,
        "full_name": actor.full_name,
        "roles": sorted(actor.roles),
        "consignee_id": actor.consignee_id,
        "via_api_key": actor.via_api_key,
        "api_key_id": actor.api_key_id,
    }


def _destruction_files(reader: Actor) -> Any:
    """The reader's view of destruction evidence (none when the reader may not see it)."""
    if not evidence.may_read(reader, "destruction"):
        return None
    return partial(evidence.list_attachments, reader, "destruction")


def _consignee_line(row: notices.ConsigneeRow, words: dict[str, Any]) -> list[Any]:
    channels = [words["channels"][name] for name, has in
                (("webhook", row.has_webhook), ("email", row.has_email)) if has]  # fmt: skip
    return [
        row.code,
        row.name,
        words["kinds"].get(row.kind, row.kind),
        row.tier,
        ", ".join(channels) or words["phone_only"],
        words["statuses"].get(row.status, row.status),
        words["overdue"] if row.overdue else "",
        row.respond_by,
        row.notified_at,
        row.acknowledged_at,
        row.last_contact_at,
        row.quantity_distributed,
        row.quantity_on_hand,
        row.quantity_returned,
        row.quantity_destroyed,
        row.quantity_unaccounted,
    ]


async def _write_table(
    table: TableFile, lines: Sequence[Any], to_row: Callable[[Any], list[Any]], told: Progress
) -> None:
    done = 0
    await told(done, len(lines))
    try:
        for start in range(0, len(lines), ROWS_PER_STEP):
            step = lines[start : start + ROWS_PER_STEP]
            # Rows become cells in the thread too: 43,501 of them take a while.
            await asyncio.to_thread(table.add, map(to_row, step))
            done += len(step)
            await told(done, len(lines))
    except BaseException:
        table.discard()
        raise
    await asyncio.to_thread(table.finish)


async def _consignees(
    recall_id: int, format: TableFormat, parameters: dict[str, Any], target: Path, told: Progress
) -> Made:
    recall = await recalls.get_recall(recall_id)
    shown = notices.ConsigneeFilter(**parameters["filter"])
    rows, _total = await notices.consignee_rows(
        recall_id, shown, clock.now().astimezone(UTC), limit=None
    )
    words = parameters["words"]
    name = f"{recall.reference}-consignees"
    with target.open("wb") as output:
        table = TableFile(format, name, words["headers"], output)
        await _write_table(table, rows, partial(_consignee_line, words=words), told)
    return Made(f"{name}.{format.value}", MEDIA_TYPES[format])


def _reconciliation_lines(found: Any, words: dict[str, Any]) -> list[list[Any]]:
    def lines(level: str, batches: list[recalls.ReconciliationLine], total: Any) -> list[Any]:
        shown = [(line.batch_no, line.gtin, line.product_name, line) for line in batches]
        shown.append((words["total"], "", "", total))
        return [
            [level, batch_no, gtin, product, line.quantity_produced, line.quantity_distributed,
             line.quantity_on_hand, line.quantity_returned, line.quantity_destroyed,
             line.quantity_unaccounted]
            for batch_no, gtin, product, line in shown
        ]  # fmt: skip

    table = lines(words["plant"], found.batches, found.totals)
    for tier in found.tiers:
        table += lines(words["tier"] % {"tier": tier.tier}, tier.batches, tier.totals)
    return table


async def _reconciliation(
    recall_id: int, format: TableFormat, parameters: dict[str, Any], target: Path, told: Progress
) -> Made:
    recall = await recalls.get_recall(recall_id)
    found = await recalls.reconcile(recall_id)
    words = parameters["words"]
    name = f"{recall.reference}-reconciliation"
    with target.open("wb") as output:
        table = TableFile(format, name, words["headers"], output)
        await _write_table(table, _reconciliation_lines(found, words), list, told)
    return Made(f"{name}.{format.value}", MEDIA_TYPES[format])


async def _pdf(report: Awaitable[recalls.ReportPdf], target: Path) -> Made:
    made = await report  # drawn in a thread by the recalls context
    await asyncio.to_thread(target.write_bytes, made.content)
    return Made(made.filename, PDF)


async def make_document(
    document: Document,
    recall_id: int,
    format: str,
    parameters: dict[str, Any],
    target: Path,
    told: Progress,
) -> Made:
    """Write `document` of the recall to `target`; its file name and type."""
    if document is Document.CONSIGNEES:
        return await _consignees(recall_id, TableFormat(format), parameters, target, told)
    if document is Document.RECONCILIATION:
        return await _reconciliation(recall_id, TableFormat(format), parameters, target, told)
    files = _destruction_files(reader_of(parameters))
    if document is Document.RECALL_REPORT:
        return await _pdf(recalls.recall_report_pdf(recall_id, files), target)
    report = recalls.authority_report_pdf(
        recall_id, parameters.get("kind"), parameters.get("lang"), parameters.get("profile"), files
    )
    return await _pdf(report, target)
