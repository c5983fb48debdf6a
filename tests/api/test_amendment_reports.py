"""The recall report and BPOM's progress and final reports list the approved scope
amendments: number, approval, batches and consignees added, and why."""

from __future__ import annotations

import re

from tests.api.test_authority_report_pdf import english_only_words, pages_of
from tests.api.test_destruction_reports import pdf_text, squeezed
from tests.api.test_recall_amendments import proposed, scope_world, sign

REASON = "Drum pelarut propilen glikol yang sama dipakai untuk bets ini"


async def amended(client) -> dict:
    world = await scope_world(client)
    amendment = await proposed(client, world, reason=REASON)
    assert (await sign(client, world, amendment["id"])).status_code == 200
    return world


async def test_the_recall_report_lists_each_amendment(client):
    world = await amended(client)
    text = await pdf_text(client, f"/api/recalls/{world['recall']['id']}/report.pdf")

    assert "Scope amendments (1)" in text
    section = squeezed(text.split("Scope amendments (1)", 1)[1])
    for value in ("Amendment1(approved)", world["b2"].batch_no, "Consigneesadded2", REASON):
        assert squeezed(value) in section, value
    assert "Recordhash(SHA-256)" in section
    assert "notify_consignees (A1)" in text


async def test_bpom_progress_and_final_reports_list_it_in_indonesian(client):
    world = await amended(client)
    english = english_only_words()
    assert {"amendment", "added"} <= english

    for kind in ("progress", "final"):
        text = "\n".join(await pages_of(client, world["recall"]["id"], kind=kind))
        assert "Perubahan Cakupan Penarikan" in text, kind
        section = text.split("Perubahan Cakupan Penarikan", 1)[1].split("Peringatan Publik")[0]
        for value in ("Perubahanke-1", world["b2"].batch_no, "Penerimabaru2penerima", REASON):
            assert squeezed(value) in squeezed(section), (kind, value)
        # The recall's own texts (the factory's are English) aside, no English label.
        assert not set(re.findall(r"[a-z]{3,}", section.lower())) & english, kind


async def test_the_report_in_english(client):
    world = await amended(client)
    text = "\n".join(await pages_of(client, world["recall"]["id"], kind="progress", lang="en"))
    assert "Scope amendments" in text
    assert squeezed("Consignees added 2 consignees") in squeezed(text)


async def test_a_recall_never_amended_has_no_such_section(client, world):
    text = "\n".join(await pages_of(client, world["recall"]["id"], kind="progress"))
    assert "Perubahan Cakupan" not in text
    report = await pdf_text(client, f"/api/recalls/{world['recall']['id']}/report.pdf")
    assert "Scope amendments" not in report
