"""Batch status on the pages: the badge on the lists, the batch and the complaint, and the
hold and release forms QA uses."""

from __future__ import annotations

import re

from recall import masterdata
from recall.actors import SYSTEM
from tests.factories import (
    add_material,
    approved_recall,
    make_complaint,
    make_consignee,
    make_material_lot,
    recent_batch,
    ship,
)
from tests.pages.helpers import EN, post_form, signed_in_as

ID = {"Accept-Language": "id"}
# English words of this feature that must not show on its Indonesian pages.
ENGLISH = ("On hold", "Recalled", "Released", "Batch status", "Put on hold", "Reason", "since")


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def badge(html: str) -> list[str]:
    return re.findall(r'<span class="state (?:ok|warn|bad)">([^<]+)</span>', html)


async def test_qa_puts_a_batch_on_hold_and_releases_it_from_its_page(client):
    await signed_in_as(client, "qa")
    batch = await recent_batch()
    path = f"/masterdata/batches/{batch.id}"
    shown = await client.get(path, headers=EN)
    assert "Released" in badge(shown.text)
    assert f'action="{path}/hold"' in shown.text

    held = await post_form(client, f"{path}/hold", {"reason": "Out-of-trend assay"}, page=path)
    assert held.status_code == 303, held.text
    assert held.headers["location"] == f"{path}?saved=held"
    page = await client.get(path, headers=EN)
    assert "On hold" in badge(page.text)
    text = text_of(page.text)
    assert "Out-of-trend assay" in text
    assert "Stopped since" in text
    assert f'action="{path}/release"' in page.text
    assert (await masterdata.get_batch(batch.id)).status == "on_hold"

    released = await post_form(client, f"{path}/release", {"reason": "Assay repeated"}, page=path)
    assert released.status_code == 303, released.text
    assert (await masterdata.get_batch(batch.id)).status == "released"


async def test_a_hold_without_a_reason_is_refused_beside_the_field_in_indonesian(client):
    await signed_in_as(client, "qa")
    batch = await recent_batch()
    path = f"/masterdata/batches/{batch.id}"
    refused = await post_form(client, f"{path}/hold", {"reason": " "}, page=path, headers=ID)
    assert refused.status_code == 422
    assert 'aria-invalid="true"' in refused.text and "f-reason-error" in refused.text
    assert "tidak boleh kosong" in refused.text
    assert (await masterdata.get_batch(batch.id)).status == "released"


async def test_a_stale_form_tells_the_status_changed(client):
    await signed_in_as(client, "qa")
    batch = await recent_batch()
    path = f"/masterdata/batches/{batch.id}"
    shown = await client.get(path, headers=EN)
    await masterdata.hold_batch(SYSTEM, batch.id, "Held elsewhere")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', shown.text)
    assert token
    again = await client.post(
        f"{path}/hold", data={"_csrf_token": token[1], "reason": "Twice"}, headers=EN
    )
    assert again.status_code == 409
    assert "changed meanwhile" in again.text


async def test_the_indonesian_batch_page_and_list_show_the_status_without_english(client):
    await signed_in_as(client, "qa")
    batch = await recent_batch()
    await masterdata.hold_batch(SYSTEM, batch.id, "Uji stabilitas di luar tren")
    page = await client.get(f"/masterdata/batches/{batch.id}", headers=ID)
    assert "Ditahan" in badge(page.text)
    text = text_of(page.text)
    assert "Status bets" in text and "Dihentikan sejak" in text and "Rilis bets" in text
    for word in ENGLISH:
        assert word not in text, word
    listed = await client.get("/masterdata/batches", headers=ID)
    assert badge(listed.text) == ["Ditahan"]


async def test_a_recalled_batch_shows_recalled_on_lists_the_trace_and_offers_no_release(client):
    batch = await recent_batch()
    lot = await make_material_lot()
    await add_material(batch.id, lot.id)
    await ship(batch, await make_consignee("A-PBF"), 100)
    await approved_recall(client, batch)
    await signed_in_as(client, "qa")
    page = await client.get(f"/masterdata/batches/{batch.id}", headers=EN)
    assert "Recalled" in badge(page.text)
    assert "/release" not in page.text and "/hold" not in page.text
    listed = await client.get("/masterdata/batches", headers=ID)
    assert "Ditarik" in badge(listed.text)
    traced = await client.get(f"/masterdata/material-lots/{lot.id}", headers=EN)
    assert badge(traced.text) == ["Recalled"]
    picker = await client.get("/recalls/new", headers=EN)
    assert "Recalled" in badge(picker.text)


async def test_the_complaint_shows_its_batch_status(client):
    batch = await recent_batch()
    complaint = await make_complaint(client, batch=batch)
    await masterdata.hold_batch(SYSTEM, batch.id, "Complaints about the cap")
    await signed_in_as(client, "qa")
    page = await client.get(f"/complaints/{complaint['id']}", headers=ID)
    assert page.status_code == 200
    assert "Ditahan" in badge(page.text)
    assert "Status bets" in text_of(page.text)
