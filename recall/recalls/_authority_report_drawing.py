"""Drawing reports to authorities (synchronous: run in a thread, see _authority_report):
BPOM's letter and the FDA-style status report, from the sections of
_authority_report_sections."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from recall.recalls._authority_report_data import AuthorityReport
from recall.recalls._authority_report_sections import Sheet
from recall.recalls._authority_report_text import Words
from recall.regulatory import country_name


def _letter(report: AuthorityReport) -> bytes:
    """The BPOM-style report: a letter with the recall's particulars and its course."""
    kind = report.kind
    sheet = Sheet(report, sheet_title(report))
    words = sheet.words
    product = ", ".join(dict.fromkeys(b.product_name for b in report.batches))
    sheet.letterhead()
    sheet.addressed(f"{sheet.title} {product}")
    sheet.heading_title()
    sheet.paragraph(words(f"opening.{kind}"))
    sheet.company()
    sheet.products()
    sheet.batches()
    sheet.recall_fields()
    sheet.amendments()
    sheet.public_warning()
    sheet.distribution()
    sheet.execution()
    sheet.deadlines()
    sheet.submissions()
    if kind in ("progress", "final"):
        sheet.checks()
    if kind == "final":
        sheet.destructions()
        sheet.closure()
    sheet.pdf.ln(3)
    sheet.paragraph(words("closing"))
    sheet.signature(words("pharmacist"))
    sheet.copies()
    return sheet.output()


def _status_report(report: AuthorityReport) -> bytes:
    """The FDA-style recall status report: the firm, the recall, then 21 CFR 7.53(b) (1)-(6)."""
    sheet = Sheet(report, sheet_title(report))
    words, pdf = sheet.words, sheet.pdf
    notification, responses = report.notification, report.responses
    sheet.letterhead()
    sheet.addressed(sheet.title)
    sheet.heading_title(words("fda.basis"))
    sheet.company("s.firm")
    sheet.recall_fields()
    sheet.products()
    sheet.batches()
    provinces = [p for tier in report.market.tiers for p in tier.provinces]
    notified = sum(p.notified for p in provinces)
    responded = sum(p.responded for p in provinces)
    methods = "; ".join(
        f"{words.coded('channel', channel)}: {words.counted(count, 'notices')}"
        for channel, count in (notification.get("methods") or {}).items()
    )
    pdf.heading(words("s.b1"))
    pdf.fields(
        [
            (words("f.notified"), words.counted(notified, "consignees")),
            (words("f.first_notified"), words.moment(_at(notification, "first_notified_at"))),
            (words("f.last_notified"), words.moment(_at(notification, "last_notified_at"))),
            (words("f.methods"), methods or "-"),
            (words("f.reminded"), words.counted(notification.get("reminded"), "consignees")),
        ],
        label_width=50,
    )
    pdf.heading(words("s.b2"))
    pdf.fields(
        [
            (words("f.responded"), words.counted(responded, "consignees")),
            (words("f.on_hand"), words.counted(responses.get("quantity_on_hand"))),
        ],
        label_width=50,
    )
    pdf.heading(words("s.b3"))
    _silent(sheet)
    pdf.heading(words("s.b4"))
    totals = report.totals
    pdf.fields(
        [
            (words("f.returned"), words.counted(totals.quantity_returned)),
            (words("f.destroyed"), words.counted(totals.quantity_destroyed)),
            (words("f.unaccounted"), words.counted(totals.quantity_unaccounted)),
        ],
        label_width=50,
    )
    sheet.execution()
    sheet.checks("s.b5")
    pdf.heading(words("s.b6"))
    completion = report.completion
    pdf.fields(
        [(words("f.completion"),
          f"{words.moment(completion.due_at)} ({words.coded('deadline', completion.key)})"
          if completion else "-")],
        label_width=50,
    )  # fmt: skip
    sheet.public_warning("s.warning_fda")
    sheet.distribution()
    sheet.deadlines()
    sheet.submissions()
    if report.kind == "final":
        sheet.destructions()
        sheet.closure()
    sheet.signature(words("official"))
    return sheet.output()


def _at(content: dict[str, Any], key: str) -> datetime | None:
    value = content.get(key)
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _silent(sheet: Sheet) -> None:
    """The market's consignees that have not responded, by identity."""
    report, words, pdf = sheet.report, sheet.words, sheet.pdf
    pdf.fields([(words("f.consignees"), words.counted(report.silent_total, "consignees"))],
               label_width=50)  # fmt: skip
    if not report.silent:
        pdf.note(words("nothing.not_responding"))
        return
    pdf.grid(
        sheet.columns(("f.code", 30), ("f.name", 72), ("f.tier", 14, True), ("f.province", 44),
                      ("f.country", 30)),
        [[s.code, s.name, s.tier, s.province or "-", country_name(s.country, words.language)]
         for s in report.silent],
        size=7,
    )  # fmt: skip
    more = report.silent_total - len(report.silent)
    if more > 0:
        pdf.note(words("more_listed").format(words.number(more)))


def sheet_title(report: AuthorityReport) -> str:
    words = Words(report.language, report.rules.time_zone)
    style = "title" if report.rules.language == "id" else "fda"
    return words(f"{style}.{report.kind}")


def render_authority_report(report: AuthorityReport) -> bytes:
    """Draw the report (synchronous, CPU-bound: run it in a thread)."""
    return _letter(report) if report.rules.language == "id" else _status_report(report)
