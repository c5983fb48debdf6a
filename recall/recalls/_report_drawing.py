"""Drawing the recall report: its sections laid out on the document, from data gathered
first (synchronous and CPU-bound: run in a thread)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from fpdf.enums import XPos, YPos

from recall.recalls._authority_report_text import Words
from recall.recalls._destruction_sheet import draw_destructions
from recall.recalls._models import Recall, RecallStatus
from recall.recalls._pdf_document import DRILL_MARK, FONT, _Column, _Document, printable
from recall.recalls._reconciliation import Reconciliation, ReconciliationLine
from recall.recalls._report_data import ConsigneeLine, RecallReport


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


def _n(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


_RECONCILIATION = [
    _Column("Batch", 20), _Column("GTIN", 26), _Column("Product", 32),
    _Column("Produced", 18, True), _Column("Distributed", 20, True), _Column("On hand", 16, True),
    _Column("Returned", 17, True), _Column("Destroyed", 18, True),
    _Column("Unaccounted", 23, True),
]  # fmt: skip

_TIER_RECONCILIATION = [
    _Column("Tier", 14), _Column("Batch", 20), _Column("GTIN", 26), _Column("Product", 36),
    _Column("Distributed", 20, True), _Column("On hand", 16, True),
    _Column("Returned", 17, True), _Column("Destroyed", 18, True),
    _Column("Unaccounted", 23, True),
]  # fmt: skip

_CONSIGNEE_COLUMNS = [
    _Column("Code", 26), _Column("Name", 48), _Column("Kind", 16), _Column("Tier", 9, True),
    _Column("Status", 20), _Column("Notified", 25), _Column("Acknowledged", 25),
    _Column("Responded", 25), _Column("Distributed", 20, True), _Column("On hand", 18, True),
    _Column("Returned", 22, True), _Column("Destroyed", 23, True),
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
        running_head=printable(f"{recall.reference} - {title}"),
        running_foot=printable(f"Generated {generated}"),
        drill=recall.drill,
    )
    document.set_title(printable(f"{recall.reference} {title}"))
    document.set_subject(printable(f"Recall {recall.reference}"))
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
    pdf.set_font(FONT, "B", 17)
    pdf.cell(0, 9, printable(f"{title}: {recall.reference}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 10)
    pdf.cell(0, 6, printable(subtitle), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 8)
    pdf.cell(0, 5, printable(f"Generated {generated}; times in UTC and {report.time_zone}"),
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)  # fmt: skip
    if recall.drill:
        pdf.ln(2)
        pdf.set_font(FONT, "B", 20)
        pdf.set_text_color(190, 0, 0)
        pdf.set_draw_color(190, 0, 0)
        pdf.cell(0, 12, DRILL_MARK, border=1, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT, "", 8.5)
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
    _amendments(pdf, recall, times)
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


def _amendments(pdf: _Document, recall: Recall, times: _Clock) -> None:
    """Each scope amendment: what it added, why, and who proposed and signed it."""
    if not recall.amendments:
        return
    pdf.heading(f"Scope amendments ({len(recall.amendments)})")
    for amendment in recall.amendments:
        lot = amendment.material_lot
        signature = amendment.signature
        pdf.fields(
            [
                ("Amendment", f"{amendment.number} ({amendment.status})"),
                ("Approved", times.both(amendment.approved_at)),
                ("Batches added", ", ".join(
                    f"{b.batch_no} ({b.product_name})" for b in amendment.batches_added)),
                *([("Material lot", f"{lot.material}, lot {lot.lot_no}")] if lot else []),
                ("Consignees added", _n(amendment.consignees_added)),
                ("Reason", amendment.reason),
                ("Proposed", f"{times.both(amendment.proposed_at)} by "
                             f"{amendment.proposed_by_name or '-'}"),
                *([("Signed by (printed name)", signature.full_name),
                   ("Meaning", signature.meaning),
                   ("Record hash (SHA-256)", signature.record_hash)] if signature else []),
            ]
        )  # fmt: skip
        pdf.ln(1.5)


def _execution(pdf: _Document, report: RecallReport, times: _Clock) -> None:
    recall = report.recall
    pdf.heading("Deadlines")
    now = report.generated_at
    pdf.grid(
        [_Column("Deadline", 34), _Column("Rule", 50), _Column(f"Due ({report.time_zone})", 30),
         _Column("Due (UTC)", 28), _Column("State", 16), _Column("Escalated (UTC)", 30)],
        [[d.name, d.rule, times.local(d.due_at), f"{d.due_at:%Y-%m-%d %H:%M}",
          "passed" if d.due_at < now else "ahead",
          f"{d.escalated_at:%Y-%m-%d %H:%M}" if d.escalated_at else "-"]
         for d in report.deadlines],
    )  # fmt: skip
    if recall.amendments:
        pdf.note("(A1), (A2), ...: runs from the approval of that scope amendment, for the "
                 "consignees it added.")  # fmt: skip
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
        label_width=66,
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
    words = Words("en", report.time_zone)
    draw_destructions(pdf, words, report.destructions, report.destruction_files)
    pdf.heading(f"Effectiveness checks ({len(report.checks)})")
    if report.checks:
        pdf.grid(
            [_Column("Started", 28), _Column("Level", 14), _Column("Sample %", 19, True),
             _Column("Population", 22, True), _Column("Contacts", 20, True),
             _Column("Contacted", 21, True), _Column("Effective", 21, True),
             _Column("Ineffective", 23, True), _Column("Pending", 20, True)],
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
            [_Column("No.", 10, True), _Column(f"Filed ({report.time_zone})", 34),
             _Column("Notified", 22, True), _Column("Responding", 23, True),
             _Column("Not responding", 27, True), _Column("Returned", 22, True),
             _Column("Destroyed", 24, True), _Column("Unaccounted", 26, True)],
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
        [_Column(f"When ({report.time_zone})", 28), _Column("When (UTC)", 25),
         _Column("Event", 102), _Column("By", 35)],
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
