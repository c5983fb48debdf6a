"""Reports to authorities as PDF, ready to sign and send: BPOM's initial, progress and final
drug recall reports (a letter to the head of Badan POM, copied to the regional offices of the
provinces the batches reached), and for an authority writing English (FDA) a recall status
report with the items of 21 CFR 7.53(b). Data first (_authority_report_data), then drawn in a
thread (_authority_report_drawing)."""

from __future__ import annotations

import asyncio

from recall.recalls._authority_report_data import authority_report
from recall.recalls._destruction import FilesOf
from recall.recalls._report_pdf import ReportPdf


async def authority_report_pdf(
    recall_id: int,
    kind: str | None,
    language: str | None = None,
    profile: str | None = None,
    files_of: FilesOf | None = None,
) -> ReportPdf:
    """The `kind` (initial, progress, final) report to `profile`'s authority as PDF, in
    `language` (id, en; by default the authority's); `files_of` reads a destruction record's
    evidence files for the reader."""
    # The PDF library (fpdf2 and its fonts, ~45 MB) loads in the first process that draws.
    from recall.recalls._authority_report_drawing import render_authority_report

    report = await authority_report(recall_id, kind, language, profile, files_of)
    content = await asyncio.to_thread(render_authority_report, report)
    name = f"{report.recall.reference}-{report.rules.name}-{report.kind}-{report.language}.pdf"
    return ReportPdf(name, content)
