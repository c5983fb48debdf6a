"""The recall report as PDF: final once closed, interim while in progress.

The figures are gathered from the database first (_report_data); the PDF is then drawn in a
thread (_report_drawing on _pdf_document: fpdf2 with an embedded Unicode font, so the text is
real and searchable) so the event loop keeps serving.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from recall.recalls._destruction import FilesOf
from recall.recalls._models import RecallStatus
from recall.recalls._report_data import recall_report


@dataclass(frozen=True)
class ReportPdf:
    filename: str
    content: bytes


async def recall_report_pdf(recall_id: int, files_of: FilesOf | None = None) -> ReportPdf:
    """The recall report as PDF bytes, drawn in a worker thread from data gathered first;
    `files_of` reads a destruction record's evidence files for the reader."""
    # The PDF library (fpdf2 and its fonts, ~45 MB) loads in the first process that draws.
    from recall.recalls._report_drawing import render_report

    report = await recall_report(recall_id, files_of)
    content = await asyncio.to_thread(render_report, report)
    suffix = "final" if report.recall.status == RecallStatus.CLOSED else "interim"
    return ReportPdf(f"{report.recall.reference}-{suffix}-report.pdf", content)
