"""The recall report as PDF: final once closed, interim while in progress.

The figures are gathered from the database first; the PDF is then drawn in a thread
(fpdf2, core fonts, so the text is real and searchable) so the event loop keeps serving.
"""

from __future__ import annotations

import asyncio
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import CoreFont

from recall import alerts, audit, clock, db
from recall.alerts import Alert
from recall.recalls.destruction import DestructionRecord, list_destructions
from recall.recalls.effectiveness import EffectivenessCheckShown, list_effectiveness_checks
from recall.recalls.models import Recall, RecallStatus
from recall.recalls.reconciliation import Reconciliation, ReconciliationLine, reconcile
from recall.recalls.reports import StatusReport, list_status_reports
from recall.recalls.service import get_recall
from recall.settings import get_settings

ALERTS_LISTED = 100
LISTED = 1000  # destructions, checks, status reports, recall audit entries
DRILL_MARK = "DRILL / LATIHAN"


@dataclass(frozen=True)
class ConsigneeLine:
    """One consignee's notice as the report shows it."""

    code: str
    name: str
    kind: str
    tier: int
    status: str
    notified_at: datetime | None
    acknowledged_at: datetime | None
    responded_at: datetime | None
    distributed: int
    on_hand: int | None  # None: never reported
    returned: int
    destroyed: int
    reminders_sent: int


@dataclass(frozen=True)
class DeadlineShown:
    name: str
    rule: str
    due_at: datetime
    escalated_at: datetime | None


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    event: str
    by: str = ""


@dataclass(frozen=True)
class RecallReport:
    """Everything the PDF shows, gathered before drawing."""

    recall: Recall
    proposed_by: str
    reconciliation: Reconciliation
    deadlines: list[DeadlineShown]
    consignees: list[ConsigneeLine]
    destructions: list[DestructionRecord]
    checks: list[EffectivenessCheckShown]
    status_reports: list[StatusReport]
    alerts: list[Alert]
    alerts_total: int
    timeline: list[TimelineEvent]
    generated_at: datetime
    time_zone: str


@dataclass(frozen=True)
class ReportPdf:
    filename: str
    content: bytes


# Gathering ------------------------------------------------------------------------------------

_CONSIGNEES_SQL = (
    "SELECT c.code AS code, c.name AS name, c.kind AS kind, n.tier AS tier, n.status AS status, "
    "n.notified_at AS notified_at, n.acknowledged_at AS acknowledged_at, "
    "n.responded_at AS responded_at, n.reminders_sent AS reminders_sent, "
    "COALESCE((SELECT SUM(l.quantity_distributed) FROM notice_line l WHERE l.notice = n.id), 0)"
    " AS distributed, "
    "(SELECT SUM(l.quantity_on_hand) FROM notice_line l WHERE l.notice = n.id) AS on_hand, "
    "COALESCE((SELECT SUM(l.quantity_returned) FROM notice_line l WHERE l.notice = n.id), 0)"
    " AS returned, "
    "COALESCE((SELECT SUM(d.quantity) FROM destruction d WHERE d.notice = n.id), 0)"
    " AS destroyed "
    "FROM notice n JOIN consignee c ON c.id = n.consignee WHERE n.recall = {} "
    "ORDER BY n.tier, c.code, n.id"
)


async def _consignees(recall_id: int) -> list[ConsigneeLine]:
    return [
        ConsigneeLine(
            code=row["code"],
            name=row["name"],
            kind=row["kind"],
            tier=int(row["tier"]),
            status=row["status"],
            notified_at=db.as_utc(row["notified_at"]),
            acknowledged_at=db.as_utc(row["acknowledged_at"]),
            responded_at=db.as_utc(row["responded_at"]),
            distributed=int(row["distributed"]),
            on_hand=None if row["on_hand"] is None else int(row["on_hand"]),
            returned=int(row["returned"]),
            destroyed=int(row["destroyed"]),
            reminders_sent=int(row["reminders_sent"]),
        )
        for row in await db.fetch(_CONSIGNEES_SQL, recall_id)
    ]


async def _deadlines(recall_id: int) -> list[DeadlineShown]:
    rows = await db.fetch(
        "SELECT name, rule, due_at, escalated_at FROM recall_deadline WHERE recall = {} "
        "ORDER BY due_at, id",
        recall_id,
    )
    return [
        DeadlineShown(
            row["name"], row["rule"], db.as_utc(row["due_at"]), db.as_utc(row["escalated_at"])
        )
        for row in rows
    ]


def _recall_event(entry: audit.Entry) -> str:
    new = entry.new_values
    action = entry.action
    if action == "proposed":
        return "Recall proposed"
    if action == "approved":
        return (
            f"Recall approved with e-signature; {new.get('notices', 0)} notice(s) created, "
            f"consignees traced in {new.get('trace_ms', '?')} ms"
        )
    if action == "signature_refused":
        return "Signature refused (password re-check failed)"
    if action == "reminders_sent":
        by = ", ".join(f"#{n}: {count}" for n, count in (new.get("by_reminder") or {}).items())
        return f"Reminders queued to {new.get('notices', 0)} consignee(s) ({by})"
    if action == "deadline_passed":
        raised = "alert raised" if new.get("alert_id") else "nothing open"
        return f"Deadline {new.get('deadline')} passed; {new.get('open', 0)} open ({raised})"
    if action == "status_report_filed":
        return f"Status report {new.get('number')} filed"
    if action == "closed":
        return "Recall closed with e-signature"
    return action.replace("_", " ").capitalize()


# Notice events summarised per action: consignee answers and cascade, not each delivery.
_NOTICE_ACTIONS = {
    "stock_reported": "Stock reports",
    "returns_recorded": "Returns recorded",
    "sub_consignees_named": "Sub-consignees named (cascade)",
    "delivery_failed": "Notice deliveries failed",
}


def _spread(
    label: str, count: int, first: Any, last: Any, total: int | None = None
) -> list[TimelineEvent]:
    """A first and (when later) a last event of `count` like events."""
    if not count or first is None:
        return []
    first_at, last_at = db.as_utc(first), db.as_utc(last)
    of = f" ({total:,} notices)" if total is not None else ""
    if count == 1:
        return [TimelineEvent(first_at, f"{label}: 1{of}")]
    events = [TimelineEvent(first_at, f"{label}: first of {count:,}{of}")]
    if last_at != first_at:
        events.append(TimelineEvent(last_at, f"{label}: last of {count:,}{of}"))
    return events


async def _timeline(
    recall: Recall,
    entries: Sequence[audit.Entry],
    checks: Sequence[EffectivenessCheckShown],
    destructions: Sequence[DestructionRecord],
) -> list[TimelineEvent]:
    """The recall's course, aggregated: its own audit entries, then its notices summarised."""
    events = [
        TimelineEvent(db.as_utc(entry.at), _recall_event(entry), entry.actor_name)
        for entry in entries[:LISTED]
    ]
    times = (
        await db.fetch(
            "SELECT COUNT(*) AS total, "
            "COUNT(notified_at) AS notified, MIN(notified_at) AS notified_first, "
            "MAX(notified_at) AS notified_last, "
            "COUNT(acknowledged_at) AS acknowledged, MIN(acknowledged_at) AS acknowledged_first,"
            " MAX(acknowledged_at) AS acknowledged_last, "
            "COUNT(responded_at) AS responded, MIN(responded_at) AS responded_first, "
            "MAX(responded_at) AS responded_last FROM notice WHERE recall = {}",
            recall.id,
        )
    )[0]
    total = int(times["total"])
    for key, label in (
        ("notified", "Notices delivered"),
        ("acknowledged", "Notices acknowledged"),
        ("responded", "Consignees responded"),
    ):
        count = int(times[key])
        events += _spread(label, count, times[f"{key}_first"], times[f"{key}_last"], total)
    marks = ", ".join("{}" for _ in _NOTICE_ACTIONS)
    rows = await db.fetch(
        "SELECT action, COUNT(*) AS n, MIN(at) AS first, MAX(at) AS last FROM audit_entry "
        f"WHERE entity = 'notice' AND action IN ({marks}) AND entity_id IN "
        "(SELECT CAST(id AS VARCHAR(50)) FROM notice WHERE recall = {}) GROUP BY action",
        *_NOTICE_ACTIONS,
        recall.id,
    )
    for row in rows:
        events += _spread(_NOTICE_ACTIONS[row["action"]], int(row["n"]), row["first"], row["last"])
    events += [
        TimelineEvent(
            check.created_at,
            f"Effectiveness check level {check.level} started ({check.contacts_total} contacts)",
        )
        for check in checks
    ]
    events += [
        TimelineEvent(
            item.recorded_at,
            f"Destruction recorded: {item.quantity} of {item.batch_no} at {item.place}",
        )
        for item in destructions
    ]
    kinds = await db.fetch(
        "SELECT kind, COUNT(*) AS n, MIN(created_at) AS first, MAX(created_at) AS last "
        "FROM alert WHERE recall = {} GROUP BY kind",
        recall.id,
    )
    for row in kinds:
        label = f"Alert {row['kind'].replace('_', ' ')}"
        events += _spread(label, int(row["n"]), row["first"], row["last"])
    return sorted(events, key=lambda event: event.at)


async def recall_report(recall_id: int) -> RecallReport:
    """Everything the recall report shows, as it stands now; NotFound for an unknown recall."""
    recall = await get_recall(recall_id)
    entries = await audit.history("recall", recall_id)
    checks, _ = await list_effectiveness_checks(recall_id, limit=LISTED)
    destructions, _ = await list_destructions(recall_id, limit=LISTED)
    reports, _ = await list_status_reports(recall_id, limit=LISTED)
    found_alerts, alerts_total = await alerts.list_alerts(recall_id=recall_id, limit=ALERTS_LISTED)
    proposed_by = next((e.actor_name for e in entries if e.action == "proposed"), "")
    return RecallReport(
        recall=recall,
        proposed_by=proposed_by,
        reconciliation=await reconcile(recall_id),
        deadlines=await _deadlines(recall_id),
        consignees=await _consignees(recall_id),
        destructions=destructions,
        checks=checks,
        status_reports=reports,
        alerts=found_alerts,
        alerts_total=alerts_total,
        timeline=await _timeline(recall, entries, checks, destructions),
        generated_at=clock.now().astimezone(UTC),
        time_zone=get_settings().time_zone,
    )


async def recall_report_pdf(recall_id: int) -> ReportPdf:
    """The recall report as PDF bytes, drawn in a worker thread from data gathered first."""
    report = await recall_report(recall_id)
    content = await asyncio.to_thread(render_report, report)
    suffix = "final" if report.recall.status == RecallStatus.CLOSED else "interim"
    return ReportPdf(f"{report.recall.reference}-{suffix}-report.pdf", content)


# Drawing --------------------------------------------------------------------------------------

_REPLACEMENTS = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": ",",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2026": "...",
        "\u2022": "*",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
        "\u2264": "<=",
        "\u2265": ">=",
        "\u2192": "->",
        "\t": " ",
        "\r": "",
    }
)


def latin1(value: object) -> str:
    """Text the PDF core fonts can draw: typographic marks simplified, accents kept when
    Latin-1 has them, stripped when it does not, anything else as "?"."""
    text = str(value).translate(_REPLACEMENTS)
    if all(ord(char) < 256 for char in text):
        return "".join(char for char in text if char == "\n" or ord(char) >= 32)
    out = []
    for char in text:
        if ord(char) < 256:
            out.append(char if char == "\n" or ord(char) >= 32 else "")
            continue
        base = unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode("latin-1")
        out.append(base or "?")
    return "".join(out)


class _Clock:
    """Times shown in UTC and in the plant's time zone."""

    def __init__(self, time_zone: str) -> None:
        self.zone = ZoneInfo(time_zone)

    def zone_name(self, moment: datetime) -> str:
        return moment.astimezone(self.zone).tzname() or str(self.zone)

    def both(self, moment: datetime | None) -> str:
        if moment is None:
            return "-"
        local = moment.astimezone(self.zone)
        return (
            f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC "
            f"({local:%Y-%m-%d %H:%M} {self.zone_name(moment)})"
        )

    def local(self, moment: datetime | None) -> str:
        return "-" if moment is None else f"{moment.astimezone(self.zone):%Y-%m-%d %H:%M}"


def _seconds(value: float | None) -> str:
    if value is None:
        return "not yet (some notices are not delivered)"
    if value < 10:
        return f"{value * 1000:,.0f} ms"
    if value < 120:
        return f"{value:.1f} s"
    minutes = value / 60
    return f"{minutes:.1f} min" if minutes < 120 else f"{minutes / 60:.1f} h"


@dataclass(frozen=True)
class _Column:
    title: str
    width: float
    numeric: bool = False


LINE = 4.6
PAD = 1.0


class _Document(FPDF):
    def __init__(self, running_head: str, running_foot: str, drill: bool) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.running_head = running_head
        self.running_foot = running_foot
        self.drill = drill
        self.set_margins(10, 16, 10)
        self.set_auto_page_break(True, margin=16)

    def header(self) -> None:
        self.set_font("Helvetica", "", 7.5)
        self.set_text_color(90, 90, 90)
        self.set_xy(self.l_margin, 7)
        self.cell(self.epw * 0.7, 4, self.running_head)
        if self.drill:
            self.set_font("Helvetica", "B", 9)
            self.set_text_color(190, 0, 0)
            self.cell(self.epw * 0.3, 4, DRILL_MARK, align="R")
        self.set_text_color(0, 0, 0)
        self.set_draw_color(160, 160, 160)
        self.line(self.l_margin, 12, self.w - self.r_margin, 12)
        self.set_xy(self.l_margin, self.t_margin)

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font("Helvetica", "", 7)
        self.set_text_color(90, 90, 90)
        self.cell(self.epw * 0.75, 4, self.running_foot)
        self.cell(self.epw * 0.25, 4, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(0, 0, 0)

    # Building blocks --------------------------------------------------------------------------

    def heading(self, text: str) -> None:
        if self.will_page_break(18):
            self.add_page(same=True)
        self.ln(3)
        self.set_font("Helvetica", "B", 11)
        self.cell(0, 7, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("Helvetica", "", 8.5)

    def note(self, text: str) -> None:
        self.set_font("Helvetica", "I", 8)
        self.multi_cell(0, 4.2, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("Helvetica", "", 8.5)

    def fields(self, pairs: Iterable[tuple[str, str]], label_width: float = 48) -> None:
        for label, value in pairs:
            text = latin1(value)
            self.set_font("Helvetica", "", 8.5)
            lines = self.multi_cell(self.epw - label_width, 4.6, text, dry_run=True, output="LINES")
            height = max(1, len(lines) if isinstance(lines, list) else 1) * 4.6
            if self.will_page_break(min(height, 40)):
                self.add_page(same=True)
            self.set_font("Helvetica", "B", 8.5)
            self.cell(label_width, 4.6, latin1(label))
            self.set_font("Helvetica", "", 8.5)
            self.multi_cell(self.epw - label_width, 4.6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def grid(
        self,
        columns: Sequence[_Column],
        rows: Iterable[Sequence[object]],
        *,
        size: float = 7.5,
        bold: frozenset[int] = frozenset(),
    ) -> None:
        """A table drawn with plain text and rules (fast enough for tens of thousands of rows);
        cells too wide are cut with "...", the header repeats on every page; rows whose index
        is in `bold` are bold."""
        rows = list(rows)
        bottom = self.h - self.b_margin

        def head() -> None:
            self.set_font("Helvetica", "B", size)
            self.set_fill_color(232, 232, 232)
            x = self.l_margin
            for column in columns:
                self.set_xy(x, self.get_y())
                self.cell(column.width, LINE + 0.4, column.title, fill=True,
                          align="R" if column.numeric else "L")  # fmt: skip
                x += column.width
            self.set_xy(self.l_margin, self.get_y() + LINE + 0.4)
            self.set_font("Helvetica", "", size)

        if self.get_y() + 2 * LINE > bottom:
            self.add_page(same=True)
        head()
        right = self.l_margin + sum(column.width for column in columns)
        self.set_draw_color(200, 200, 200)
        for index, row in enumerate(rows):
            y = self.get_y()
            if y + LINE > bottom:
                self.add_page(same=True)
                head()
                y = self.get_y()
            last = index in bold
            if last:
                self.set_font("Helvetica", "B", size)
            x = self.l_margin
            for column, value in zip(columns, row, strict=True):
                text = self._fit(latin1(value), column.width - 2 * PAD)
                if column.numeric:
                    self.text(x + column.width - PAD - self.width_of(text), y + 3.3, text)
                else:
                    self.text(x + PAD, y + 3.3, text)
                x += column.width
            self.line(self.l_margin, y + LINE, right, y + LINE)
            self.set_xy(self.l_margin, y + LINE)
            if last:
                self.set_font("Helvetica", "", size)
        self.ln(1.5)

    def width_of(self, text: str) -> float:
        """get_string_width for the core fonts, without its per-call overhead (big tables)."""
        font = self.current_font
        if not isinstance(font, CoreFont):
            return float(self.get_string_width(text))
        widths = font.cw
        return sum(widths.get(char, 500) for char in text) * self.font_size_pt * 0.001 / self.k

    def _fit(self, text: str, width: float) -> str:
        if self.width_of(text) <= width:
            return text
        while text and self.width_of(text + "...") > width:
            text = text[: max(0, min(len(text) - 1, int(len(text) * 0.9)))]
        return text + "..."


def _n(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


_RECONCILIATION = [
    _Column("Batch", 22), _Column("GTIN", 25), _Column("Product", 35),
    _Column("Produced", 18, True), _Column("Distributed", 18, True), _Column("On hand", 17, True),
    _Column("Returned", 17, True), _Column("Destroyed", 17, True),
    _Column("Unaccounted", 21, True),
]  # fmt: skip

_TIER_RECONCILIATION = [
    _Column("Tier", 16), _Column("Batch", 22), _Column("GTIN", 25), _Column("Product", 37),
    _Column("Distributed", 18, True), _Column("On hand", 17, True),
    _Column("Returned", 17, True), _Column("Destroyed", 17, True),
    _Column("Unaccounted", 21, True),
]  # fmt: skip

_CONSIGNEE_COLUMNS = [
    _Column("Code", 26), _Column("Name", 56), _Column("Kind", 16), _Column("Tier", 9, True),
    _Column("Status", 20), _Column("Notified", 24), _Column("Acknowledged", 24),
    _Column("Responded", 24), _Column("Distributed", 19, True), _Column("On hand", 19, True),
    _Column("Returned", 20, True), _Column("Destroyed", 20, True),
]  # fmt: skip


def _figures(line: ReconciliationLine) -> list[object]:
    return [
        _n(line.quantity_distributed), _n(line.quantity_on_hand), _n(line.quantity_returned),
        _n(line.quantity_destroyed), _n(line.quantity_unaccounted),
    ]  # fmt: skip


def _reconciliation_rows(
    lines: Sequence[ReconciliationLine], totals: ReconciliationLine
) -> list[list[object]]:
    rows = [
        [line.batch_no, line.gtin, line.product_name, _n(line.quantity_produced), *_figures(line)]
        for line in lines
    ]
    rows.append(["Total", "", "", _n(totals.quantity_produced), *_figures(totals)])
    return rows


def _tier_rows(found: Reconciliation) -> tuple[list[list[object]], frozenset[int]]:
    """Each tier's batch lines followed by its total (the indexes of the totals, for bold)."""
    rows: list[list[object]] = []
    totals = set()
    for tier in found.tiers:
        rows += [
            [tier.tier, line.batch_no, line.gtin, line.product_name, *_figures(line)]
            for line in tier.batches
        ]
        totals.add(len(rows))
        rows.append([f"Tier {tier.tier}", "Total", "", "", *_figures(tier.totals)])
    return rows, frozenset(totals)


def _title(recall: Recall) -> tuple[str, str]:
    if recall.status == RecallStatus.CLOSED:
        return "Final recall report", "Laporan akhir penarikan kembali obat"
    if recall.status == RecallStatus.IN_PROGRESS:
        return "Interim recall report", "Laporan sementara penarikan kembali obat"
    return "Recall report - proposed, not approved", "Usulan penarikan kembali obat"


def render_report(report: RecallReport) -> bytes:
    """Draw the report (synchronous, CPU-bound: run it in a thread)."""
    recall = report.recall
    times = _Clock(report.time_zone)
    title, subtitle = _title(recall)
    generated = times.both(report.generated_at)
    document = _Document(
        running_head=latin1(f"{recall.reference} - {title}"),
        running_foot=latin1(f"Generated {generated}"),
        drill=recall.drill,
    )
    document.set_title(latin1(f"{recall.reference} {title}"))
    document.set_subject(latin1(f"Recall {recall.reference}"))
    document.set_creator("Recall")
    document.add_page()
    _cover(document, report, title, subtitle, generated, times)
    _execution(document, report, times)
    _close_out(document, report, times)
    _course(document, report, times)
    _consignee_pages(document, report, times)
    return bytes(document.output())


def _cover(
    pdf: _Document, report: RecallReport, title: str, subtitle: str, generated: str, times: _Clock
) -> None:
    recall = report.recall
    pdf.set_font("Helvetica", "B", 17)
    pdf.cell(0, 9, latin1(f"{title}: {recall.reference}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, latin1(subtitle), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 8)
    pdf.cell(0, 5, latin1(f"Generated {generated}; times in UTC and {report.time_zone}"),
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)  # fmt: skip
    if recall.drill:
        pdf.ln(2)
        pdf.set_font("Helvetica", "B", 20)
        pdf.set_text_color(190, 0, 0)
        pdf.set_draw_color(190, 0, 0)
        pdf.cell(0, 12, DRILL_MARK, border=1, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("Helvetica", "", 8.5)
        pdf.cell(0, 5, "Mock recall (readiness drill): no product is actually being recalled.",
                 align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)  # fmt: skip
        pdf.set_text_color(0, 0, 0)
    pdf.heading("Recall")
    lot = recall.material_lot
    pdf.fields(
        [
            ("Reference", recall.reference),
            ("Status", recall.status.replace("_", " ")),
            ("Recall class", recall.recall_class),
            ("Type", recall.recall_type),
            ("Authority reference", recall.authority_reference or "-"),
            ("Depth", recall.depth),
            ("Regulatory profile", recall.profile),
            ("Proposed", f"{times.both(recall.proposed_at)} by {report.proposed_by or '-'}"),
            ("Approved", times.both(recall.approved_at)),
            ("Closed", times.both(recall.closed_at)),
            ("Material lot", f"{lot.material}, lot {lot.lot_no} ({lot.supplier})" if lot else "-"),
            ("Reason", recall.reason),
            ("Health-hazard assessment", recall.health_hazard_assessment),
            *([("Closure justification", recall.closure_justification)]
              if recall.closure_justification else []),
        ]
    )  # fmt: skip
    pdf.heading(f"Batches ({len(recall.batches)})")
    pdf.grid(
        [_Column("GTIN", 30), _Column("Product", 90), _Column("Batch", 40), _Column("Expiry", 30)],
        [[b.gtin, b.product_name, b.batch_no, b.expires_on.isoformat()] for b in recall.batches],
    )
    pdf.heading("Readiness" + (" (drill metrics)" if recall.drill else ""))
    pdf.fields(
        [
            ("Time to trace", _seconds(recall.time_to_trace_seconds)),
            ("Time to notify", _seconds(recall.time_to_notify_seconds)),
        ]
    )
    pdf.heading("Electronic signatures")
    if not recall.signatures:
        pdf.note("No signature yet.")
    for signature in recall.signatures:
        pdf.fields(
            [
                ("Signed by (printed name)", signature.full_name),
                ("Meaning", signature.meaning),
                ("Action", signature.action),
                ("Signed at", times.both(signature.signed_at)),
                ("Record hash (SHA-256)", signature.record_hash),
            ]
        )
        pdf.ln(1.5)


def _execution(pdf: _Document, report: RecallReport, times: _Clock) -> None:
    recall = report.recall
    pdf.heading("Deadlines")
    now = report.generated_at
    pdf.grid(
        [_Column("Deadline", 36), _Column("Rule", 52), _Column(f"Due ({report.time_zone})", 30),
         _Column("Due (UTC)", 30), _Column("State", 18), _Column("Escalated (UTC)", 24)],
        [[d.name, d.rule, times.local(d.due_at), f"{d.due_at:%Y-%m-%d %H:%M}",
          "passed" if d.due_at < now else "ahead",
          f"{d.escalated_at:%Y-%m-%d %H:%M}" if d.escalated_at else "-"]
         for d in report.deadlines],
    )  # fmt: skip
    progress = recall.progress
    pdf.heading("Progress")
    pdf.fields(
        [
            ("Consignees", _n(progress.consignees_total)),
            ("Notified", _n(progress.notified)),
            ("Acknowledged", _n(progress.acknowledged)),
            ("Responded", _n(progress.responded)),
            ("Overdue (no response by deadline)", _n(progress.overdue)),
        ],
        label_width=60,
    )
    tiers: dict[int, list[ConsigneeLine]] = {}
    for line in report.consignees:
        tiers.setdefault(line.tier, []).append(line)
    pdf.grid(
        [_Column("Tier", 20, True), _Column("Consignees", 34, True), _Column("Notified", 34, True),
         _Column("Acknowledged", 34, True), _Column("Responded", 34, True),
         _Column("Reminded", 34, True)],
        [[tier, _n(len(lines)), _n(sum(1 for x in lines if x.notified_at)),
          _n(sum(1 for x in lines if x.acknowledged_at)),
          _n(sum(1 for x in lines if x.responded_at)),
          _n(sum(1 for x in lines if x.reminders_sent))]
         for tier, lines in sorted(tiers.items())],
    )  # fmt: skip


def _close_out(pdf: _Document, report: RecallReport, times: _Clock) -> None:
    found = report.reconciliation
    pdf.heading("Reconciliation per batch (what left the plant)")
    pdf.note(
        "Distributed counts what tier-1 consignees received from the plant; on hand, returned "
        "and destroyed are what they report. Unaccounted = distributed - on hand - returned - "
        "destroyed (negative when over-reported)."
    )
    rows = _reconciliation_rows(found.batches, found.totals)
    pdf.grid(_RECONCILIATION, rows, bold=frozenset({len(rows) - 1}))
    pdf.heading("Reconciliation per tier (what each tier received from its supplier)")
    tier_rows, tier_totals = _tier_rows(found)
    pdf.grid(_TIER_RECONCILIATION, tier_rows, bold=tier_totals)
    pdf.heading(f"Destruction records ({len(report.destructions)})")
    if report.destructions:
        pdf.grid(
            [_Column("Destroyed on", 20), _Column("Batch", 22), _Column("Quantity", 18, True),
             _Column("At", 34), _Column("Method", 34), _Column("Place", 32),
             _Column("Witness", 30)],
            [[d.destroyed_on.isoformat(), d.batch_no, _n(d.quantity),
              d.consignee_code or "plant (returned stock)", d.method, d.place, d.witness]
             for d in report.destructions],
        )  # fmt: skip
    pdf.heading(f"Effectiveness checks ({len(report.checks)})")
    if report.checks:
        pdf.grid(
            [_Column("Started", 34), _Column("Level", 14), _Column("Sample %", 18, True),
             _Column("Population", 22, True), _Column("Contacts", 20, True),
             _Column("Contacted", 20, True), _Column("Effective", 20, True),
             _Column("Ineffective", 22, True), _Column("Pending", 20, True)],
            [[times.local(c.created_at), c.level, c.sample_percent, _n(c.population),
              _n(c.contacts_total), _n(c.contacted), _n(c.effective), _n(c.ineffective),
              _n(c.pending)] for c in report.checks],
        )  # fmt: skip
    else:
        pdf.note("No effectiveness check started.")
    pdf.heading(f"Status reports filed ({len(report.status_reports)})")
    if report.status_reports:
        rows = []
        for item in report.status_reports:
            content = item.content
            responses = content.get("responses", {})
            quantities = content.get("quantities", {})
            notification = content.get("notification", {})
            rows.append(
                [item.number, times.local(item.filed_at), _n(notification.get("notified")),
                 _n(responses.get("responding")), _n(responses.get("not_responding")),
                 _n(quantities.get("returned")), _n(quantities.get("destroyed")),
                 _n(quantities.get("unaccounted"))]
            )  # fmt: skip
        pdf.grid(
            [_Column("No.", 12, True), _Column(f"Filed ({report.time_zone})", 38),
             _Column("Notified", 23, True), _Column("Responding", 23, True),
             _Column("Not responding", 26, True), _Column("Returned", 22, True),
             _Column("Destroyed", 22, True), _Column("Unaccounted", 24, True)],
            rows,
        )  # fmt: skip
    else:
        pdf.note("No status report filed.")


def _course(pdf: _Document, report: RecallReport, times: _Clock) -> None:
    shown = len(report.alerts)
    more = f", the latest {shown} shown" if report.alerts_total > shown else ""
    pdf.heading(f"Alerts ({report.alerts_total}{more})")
    if not report.alerts:
        pdf.note("No alert.")
    for alert in report.alerts:
        state = (
            f"acknowledged {times.local(alert.acknowledged_at)}"
            if alert.acknowledged_at
            else "open"
        )
        pdf.fields(
            [(f"{times.local(alert.created_at)} {alert.kind.replace('_', ' ')} ({state})",
              alert.detail)],
            label_width=70,
        )  # fmt: skip
    pdf.heading("Timeline (from the audit trail, summarised)")
    pdf.grid(
        [_Column(f"When ({report.time_zone})", 30), _Column("When (UTC)", 30),
         _Column("Event", 100), _Column("By", 30)],
        [[times.local(event.at), f"{event.at:%Y-%m-%d %H:%M}", event.event, event.by]
         for event in report.timeline],
        size=7,
    )  # fmt: skip


def _consignee_pages(pdf: _Document, report: RecallReport, times: _Clock) -> None:
    pdf.add_page(orientation="L")
    pdf.heading(f"Consignees ({len(report.consignees):,})")
    pdf.note(
        f"Times in {report.time_zone}. On hand '-': not reported. Distributed is what each "
        "consignee received at its tier (tier 1: from the plant)."
    )
    pdf.grid(
        _CONSIGNEE_COLUMNS,
        (
            [line.code, line.name, line.kind, line.tier, line.status,
             times.local(line.notified_at), times.local(line.acknowledged_at),
             times.local(line.responded_at), _n(line.distributed), _n(line.on_hand),
             _n(line.returned), _n(line.destroyed)]
            for line in report.consignees
        ),
        size=7,
    )  # fmt: skip
