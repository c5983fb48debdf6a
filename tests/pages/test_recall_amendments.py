"""Recall pages: scope amendments. QA adds batches by number or material lot with a preview; a
QA manager other than the proposer signs; the dashboard lists each amendment."""

from __future__ import annotations

import re

from tests.factories import (
    PASSWORD,
    add_material,
    approved_recall,
    headers_of,
    make_consignee,
    make_material_lot,
    make_user,
    recent_batch,
    ship,
)
from tests.pages.helpers import EN, csrf_token, post_form, sign_in, signed_in_as
from tests.reads import recall_read

ID = {"Accept-Language": "id"}


async def running(client) -> dict:
    """B1 recalled at PBF-AM; B2, not yet, went to PBF-AM and to PBF-NEW."""
    b1 = await recent_batch(name="Amoxicillin Syrup")
    b2 = await recent_batch(name="Amoxicillin Syrup")
    old, new = await make_consignee("PBF-AM"), await make_consignee("PBF-NEW")
    await ship(b1, old, 500)
    await ship(b2, old, 100)
    await ship(b2, new, 80)
    recall = await approved_recall(client, b1)
    return {"b1": b1, "b2": b2, "recall": recall, "path": f"/recalls/{recall['id']}"}


def section(html: str, heading_id: str) -> str:
    return html.split(f'id="{heading_id}"', 1)[1].split("</section>", 1)[0]


async def test_qa_previews_then_proposes_and_the_dashboard_lists_it(client):
    world = await running(client)
    qa = await signed_in_as(client, "qa")
    dashboard = (await client.get(world["path"], headers=EN)).text
    assert f'href="{world["path"]}/amendments/new"' in dashboard

    action = f"{world['path']}/amendments/new"
    typed = {"batch_nos": world["b2"].batch_no, "reason": "Same solvent drum"}
    preview = await post_form(client, action, {**typed, "_action": "preview"})
    assert preview.status_code == 200, preview.text
    shown = section(preview.text, "h-preview")
    assert world["b2"].batch_no in shown
    assert re.search(r"Consignees newly reached</dt><dd><strong>1</strong>", shown)
    assert "Same solvent drum" in preview.text  # the form keeps what was typed
    assert (await recall_read(client, world["recall"]["id"]))["amendments"] == []

    proposed = await post_form(client, action, typed)
    assert proposed.status_code == 303
    assert proposed.headers["location"] == world["path"]
    html = (await client.get(world["path"], headers=EN)).text
    listed = section(html, "h-amendments")
    assert world["b2"].batch_no in listed and "Same solvent drum" in listed
    assert "Proposed" in listed and qa.full_name in listed
    assert "Waiting for a QA manager" in listed


async def test_a_material_lot_adds_its_batches(client):
    world = await running(client)
    lot = await make_material_lot()
    await add_material(world["b2"].id, lot.id)
    await signed_in_as(client, "qa")
    action = f"{world['path']}/amendments/new"

    proposed = await post_form(client, action, {"material_lot_id": str(lot.id), "reason": "Lot"})

    assert proposed.status_code == 303
    [amendment] = (await recall_read(client, world["recall"]["id"]))["amendments"]
    assert [b["batch_no"] for b in amendment["batches_added"]] == [world["b2"].batch_no]


async def test_refused_fields_are_named_by_their_label(client):
    world = await running(client)
    await signed_in_as(client, "qa")
    action = f"{world['path']}/amendments/new"

    unknown = await post_form(client, action, {"batch_nos": "NOPE-1", "reason": "x"})
    assert unknown.status_code == 422
    assert re.search(r'href="#f-batch_nos">Batch numbers</a>: batch NOPE-1 not found', unknown.text)
    covered = await post_form(client, action, {"batch_nos": world["b1"].batch_no, "reason": "x"})
    assert covered.status_code == 422 and 'href="#f-batch_nos">Batch numbers' in covered.text
    nothing = await post_form(client, action, {"reason": "x"})
    assert nothing.status_code == 422 and 'href="#f-batch_nos">' in nothing.text
    no_reason = await post_form(client, action, {"batch_nos": world["b2"].batch_no}, headers=ID)
    assert no_reason.status_code == 422
    assert 'href="#f-reason">Alasan amendemen</a>' in no_reason.text
    assert (await recall_read(client, world["recall"]["id"]))["amendments"] == []


async def test_a_manager_sees_what_is_signed_then_approves(client):
    world = await running(client)
    await signed_in_as(client, "qa")
    await post_form(
        client,
        f"{world['path']}/amendments/new",
        {"batch_nos": world["b2"].batch_no, "reason": "Same solvent drum"},
    )
    [amendment] = (await recall_read(client, world["recall"]["id"]))["amendments"]
    manager = await signed_in_as(client, "qa_manager")
    approve = f"{world['path']}/amendments/{amendment['id']}/approve"
    assert f'href="{approve}"' in (await client.get(world["path"], headers=EN)).text

    form = await client.get(approve, headers=EN)
    assert form.status_code == 200
    signed = section(form.text, "h-signed")
    assert world["b2"].batch_no in signed and "Same solvent drum" in signed
    assert re.search(r"Consignees newly reached</dt><dd><strong>1</strong>", signed)

    wrong = await client.post(
        approve,
        data={"password": "guess", "meaning": "Ok", "_csrf_token": csrf_token(form.text)},
        headers=EN,
    )
    assert wrong.status_code == 401 and "The password is wrong" in wrong.text
    assert (await recall_read(client, world["recall"]["id"]))["amendments"][0]["status"] == (
        "proposed"
    )

    done = await client.post(
        approve,
        data={"password": PASSWORD, "meaning": "Same drum", "_csrf_token": csrf_token(form.text)},
        headers=EN,
    )
    assert done.status_code == 303 and done.headers["location"] == world["path"]
    listed = section((await client.get(world["path"], headers=EN)).text, "h-amendments")
    assert "Approved" in listed and manager.full_name in listed and "Same drum" in listed
    assert f'href="{approve}"' not in listed
    again = await client.get(approve, headers=EN)
    assert again.status_code == 409


async def test_the_proposer_cannot_approve_the_amendment(client):
    world = await running(client)
    both = await make_user("qa", "qa_manager")
    await client.post(
        f"/api/recalls/{world['recall']['id']}/amendments",
        json={"batch_ids": [world["b2"].id], "reason": "x"},
        headers=await headers_of(both),
    )
    [amendment] = (await recall_read(client, world["recall"]["id"]))["amendments"]
    client.cookies.clear()
    await sign_in(client, both.username)
    approve = f"{world['path']}/amendments/{amendment['id']}/approve"
    assert f'href="{approve}"' not in (await client.get(world["path"], headers=EN)).text
    form = await client.get(approve, headers=EN)
    assert form.status_code == 403 and "four eyes" in form.text


async def test_only_a_running_recall_can_be_amended(client):
    batch = await recent_batch()
    await ship(batch, await make_consignee(), 10)
    from tests.factories import propose

    recall = await propose(client, batch_ids=[batch.id])
    await signed_in_as(client, "qa")
    page = await client.get(f"/recalls/{recall['id']}/amendments/new", headers=EN)
    assert page.status_code == 409 and "cannot be amended" in page.text
    await signed_in_as(client, "cs")
    world = await running(client)
    refused = await client.get(f"{world['path']}/amendments/new", headers=EN)
    assert refused.status_code == 403


async def test_the_pages_speak_indonesian(client):
    world = await running(client)
    await signed_in_as(client, "qa")
    action = f"{world['path']}/amendments/new"
    form = await client.get(action, headers=ID)
    for english in ("Batch numbers", "Reason for the amendment", "Preview", "What to add"):
        assert english not in form.text, english
    await post_form(client, action, {"batch_nos": world["b2"].batch_no, "reason": "Drum"})
    html = (await client.get(world["path"], headers=ID)).text
    listed = section(html, "h-amendments")
    for english in ("Scope amendments", "Batches added", "Consignees added", "Proposed", "Waiting"):
        assert english not in listed, english
