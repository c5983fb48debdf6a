"""Destruction records drawn as BPOM's berita acara pemusnahan lists them: one block a record
(number, date, place, method, quantity, executor, witnesses with their agency), every value
wrapped rather than cut, in the report's language."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fpdf.enums import XPos, YPos

from recall.recalls._authority_report_text import Words
from recall.recalls._destruction import DestructionRecord
from recall.recalls._pdf_document import FONT, _Document, printable

LABEL_WIDTH = 44
# A record's title and its first lines stay on one page.
KEEP_TOGETHER = 30


def witnesses_text(record: DestructionRecord) -> str:
    """One line a witness, "name (agency)"; a first-release record's single witness as typed."""
    if not record.witnesses:
        return record.witness
    return "\n".join(
        f"{number}. {w.name} ({w.agency})" for number, w in enumerate(record.witnesses, 1)
    )


def _where(record: DestructionRecord, words: Words) -> str:
    if record.consignee_code is None:
        return words("plant_stock")
    return f"{record.consignee_code} {record.consignee_name or ''}".strip()


def destruction_fields(
    record: DestructionRecord, words: Words, files: Sequence[tuple[str, str]] = ()
) -> list[tuple[str, str]]:
    """The record's label-value pairs, labels in the report's language; its evidence files
    (the signed scan of the berita acara) by name and SHA-256 when there are any."""
    attached = "\n".join(f"{name}\nSHA-256 {sha256}" for name, sha256 in files)
    return [
        (words("f.document_no"), record.document_no or "-"),
        (words("f.destroyed_on"), words.day(record.destroyed_on)),
        (words("f.place"), record.place),
        (words("f.method"), record.method),
        (words("f.batch"), f"{record.batch_no} ({record.product_name}, GTIN {record.gtin})"),
        (words("f.quantity"), words.counted(record.quantity)),
        (words("f.where"), _where(record, words)),
        (words("f.executor"), record.executor or "-"),
        (words("f.witnesses"), witnesses_text(record)),
        *([(words("f.files"), attached)] if files else []),
    ]


def draw_destructions(
    pdf: _Document,
    words: Words,
    destructions: Sequence[DestructionRecord],
    files: Mapping[int, Sequence[tuple[str, str]]],
) -> None:
    """Each record as a numbered block under the section's heading (drawn by the caller)."""
    if not destructions:
        pdf.note(words("nothing.destructions"))
        return
    for number, record in enumerate(destructions, 1):
        if pdf.will_page_break(KEEP_TOGETHER):
            pdf.add_page(same=True)
        pdf.ln(1)
        pdf.set_font(FONT, "B", 9)
        # The number may be long: it is wrapped among the fields, not put in the title.
        title = f"{number}. {words('destruction')}"
        pdf.cell(0, 5.5, printable(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        fields = destruction_fields(record, words, files.get(record.id, ()))
        pdf.fields(fields, label_width=LABEL_WIDTH)
