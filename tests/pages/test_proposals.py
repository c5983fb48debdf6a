"""The recall proposal form: choose batches or a material lot, preview the trace, propose."""

from __future__ import annotations

import re

import pytest

from recall import db
from tests.factories import (
    add_material,
    conclusion_body,
    headers_for,
    make_batch,
    make_consignee,
    make_investigation,
    make_material_lot,
    make_user,
    ship,
    triaged_complaint,
)
from tests.pages.helpers import EN, csrf_token, sign_in


def proposal(**changes) -> dict:
    return {
        "recall_class": "I",
        "recall_type": "voluntary",
        "depth": "retail",
        "profiles[]": "bpom",
        "reason": "Diethylene glycol above limit in the solvent lot.",
        "health_hazard_assessment": "Acute kidney injury possible; life-threatening.",
        **changes,
    }


async def send(client, data: dict, action: str, page: str = "/recalls/new"):
    shown = await client.get(page, headers=EN)
    assert shown.status_code == 200, shown.text
    return await client.post(
        "/recalls/new",
        data={**data, "_action": action, "_csrf_token": csrf_token(shown.text)},
        headers=EN,
    )


async def recalls_stored() -> int:
    (row,) = await db.fetch("SELECT COUNT(*) AS n FROM recall")
    return int(row["n"])


def cells(html: str, header: str) -> list[str]:
    """The cells of the table row headed `header`."""
    found = re.search(rf"<th scope=\"row\">{re.escape(header)}</th>(.*?)</tr>", html, re.S)
    assert found, f"no row {header}"
    return re.findall(r"<td class=\"n\">([^<]*)</td>", found[1])


@pytest.fixture
async def distribution():
    """A batch shipped to two PBFs; one passed units on to a pharmacy and a hospital."""
    batch = await make_batch()
    other = await make_batch(batch.gtin)
    north = await make_consignee("A-PBF", name="PBF Nusantara")
    south = await make_consignee("B-PBF", name="PBF Selatan")
    pharmacy = await make_consignee("C-APT", name="Apotek Sehat", kind="pharmacy")
    hospital = await make_consignee("D-RS", name="RS Harapan", kind="hospital")
    await ship(batch, north, 1000)
    await ship(batch, south, 500)
    await ship(other, north, 200)
    await ship(batch, pharmacy, 40, sender=north)
    await ship(batch, hospital, 60, sender=north)
    return {"batch": batch, "other": other}


async def test_preview_shows_tiers_consignees_and_quantities_and_stores_nothing(
    client, qa, distribution
):
    batch, other = distribution["batch"], distribution["other"]
    response = await send(
        client, proposal(**{"batch_ids[]": [str(batch.id), str(other.id)]}), "preview"
    )
    html = response.text
    assert response.status_code == 200, html
    assert '<h2 id="h-preview">Trace preview</h2>' in html
    assert cells(html, "Consignees") == ["2", "2"]
    assert cells(html, f"Units of {batch.batch_no}") == ["1,500", "100"]
    assert cells(html, f"Units of {other.batch_no}") == ["200", "0"]
    assert cells(html, "Units, all batches") == ["1,700", "100"]
    assert "<dt>Units that left the plant</dt><dd>1,700</dd>" in html
    assert "<dt>Consignees to notify</dt><dd>4</dd>" in html
    for name in ("PBF Nusantara", "PBF Selatan", "Apotek Sehat", "RS Harapan"):
        assert name in html
    assert ">Propose recall</button>" in html
    # What was chosen stays chosen.
    assert f'value="{batch.id}" checked' in html and 'value="I" selected' in html
    assert await recalls_stored() == 0


async def test_a_wholesale_preview_stops_at_the_distributors(client, qa, distribution):
    batch = distribution["batch"]
    data = proposal(depth="wholesale", **{"batch_ids[]": [str(batch.id)]})
    html = (await send(client, data, "preview")).text
    assert cells(html, "Consignees") == ["2"]
    assert "Apotek Sehat" not in html


async def test_a_large_preview_lists_fifty_consignees_and_counts_the_rest(client, qa):
    batch = await make_batch()
    for number in range(55):
        await ship(batch, await make_consignee(f"PBF-{number:03d}"), 10)
    data = proposal(**{"batch_ids[]": [str(batch.id)]})
    html = (await send(client, data, "preview")).text
    assert cells(html, "Consignees") == ["55"]
    assert cells(html, "Units, all batches") == ["550"]
    assert "PBF-049" in html and "PBF-050" not in html
    assert "and 5 more" in html


async def test_preview_by_material_lot_covers_every_batch_that_used_it(client, qa):
    lot = await make_material_lot(material="Propylene glycol", lot_no="PG-7781")
    first, second, spared = await make_batch(), await make_batch(), await make_batch()
    await add_material(first.id, lot.id)
    await add_material(second.id, lot.id)
    pbf = await make_consignee("A-PBF")
    for batch in (first, second, spared):
        await ship(batch, pbf, 100)
    html = (await send(client, proposal(material_lot_id=str(lot.id)), "preview")).text
    assert "PG-7781 · Propylene glycol" in html
    assert f"Units of {first.batch_no}" in html and f"Units of {second.batch_no}" in html
    assert f"Units of {spared.batch_no}" not in html
    assert "<dt>Units that left the plant</dt><dd>200</dd>" in html


async def test_propose_creates_the_recall_and_goes_to_it(client, qa, distribution):
    batch = distribution["batch"]
    data = proposal(drill="true", **{"batch_ids[]": [str(batch.id)]})
    response = await send(client, data, "propose")
    assert response.status_code == 303
    match = re.fullmatch(r"/recalls/(\d+)", response.headers["location"])
    assert match
    stored = await client.get(f"/api/recalls/{match[1]}", headers=await headers_for("qa"))
    body = stored.json()
    assert body["status"] == "proposed"
    assert body["drill"] is True
    assert body["recall_class"] == "I" and body["depth"] == "retail"
    assert [b["batch_no"] for b in body["batches"]] == [batch.batch_no]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reason": ""}, "reason"),
        ({"recall_type": "mandatory", "ordered_on": "2026-01-05"}, "authority_reference"),
        ({"recall_class": "IV"}, "recall_class"),
        ({"depth": ""}, "depth"),
    ],
)
async def test_a_refused_proposal_marks_the_field_and_stores_nothing(
    client, qa, distribution, changes, field
):
    batch = distribution["batch"]
    data = proposal(**{"batch_ids[]": [str(batch.id)], **changes})
    response = await send(client, data, "propose")
    assert response.status_code == 422
    assert re.search(rf'id="f-{field}"[^>]*aria-invalid="true"', response.text)
    assert "Not saved: please correct the marked field." in response.text
    assert f'value="{batch.id}" checked' in response.text
    assert await recalls_stored() == 0


async def test_choosing_nothing_to_recall_is_refused_on_the_batches(client, qa):
    response = await send(client, proposal(), "preview")
    assert response.status_code == 422
    assert re.search(r'id="f-batch_ids"[^>]*aria-invalid="true"', response.text)


async def test_from_an_investigation_the_complained_and_affected_batches_are_ticked(client, qa):
    complained, affected, sibling = await make_batch(), await make_batch(), await make_batch()
    lot = await make_material_lot()
    await add_material(complained.id, lot.id)
    await add_material(sibling.id, lot.id)
    qa_api = await headers_for("qa")
    complaint = await triaged_complaint(client, complained)
    investigation = await make_investigation(client, qa_api, [complaint["id"]])
    patched = await client.patch(
        f"/api/investigations/{investigation['id']}",
        json={
            "affected_batch_ids": [affected.id],
            "root_cause_category": "material",
            "root_cause": "Contaminated solvent.",
            "risk": {"severity": 5, "occurrence": 2, "detectability": 4},
        },
        headers=qa_api,
    )
    assert patched.status_code == 200, patched.text
    await client.post(
        f"/api/investigations/{investigation['id']}/conclude",
        json=conclusion_body(
            conclusion="Recall the batches made with the solvent lot.", recall_recommended=True
        ),
        headers=qa_api,
    )
    page = f"/recalls/new?investigation_id={investigation['id']}"
    html = (await client.get(page, headers=EN)).text
    assert f'value="{complained.id}" checked' in html
    assert f'value="{affected.id}" checked' in html
    assert f'value="{sibling.id}">' in html  # offered, not ticked
    assert "Recall the batches made with the solvent lot.</textarea>" in html
    assert f'name="investigation_id" value="{investigation["id"]}"' in html
    assert "Risk priority 40 (High risk)." in html

    data = proposal(
        investigation_id=str(investigation["id"]),
        **{"batch_ids[]": [str(complained.id), str(affected.id)]},
    )
    response = await send(client, data, "propose", page)
    assert response.status_code == 303
    (row,) = await db.fetch("SELECT id, reference, investigation FROM recall")
    assert row["investigation"] == investigation["id"]
    shown = (await client.get(f"/investigations/{investigation['id']}", headers=EN)).text
    assert f'<a href="/recalls/{row["id"]}">{row["reference"]}</a>' in shown
    assert "Propose recall" not in shown  # proposed once; not offered twice


@pytest.mark.parametrize("role", ["cs", "qa_manager", "inspector"])
async def test_only_qa_may_propose(client, role):
    user = await make_user(role)
    await sign_in(client, user.username)
    response = await client.get("/recalls/new", headers=EN)
    assert response.status_code == 403
    assert "Not allowed" in response.text


async def test_the_form_speaks_indonesian_by_default(client, qa):
    html = (await client.get("/recalls/new")).text
    assert "<h1>Usulkan penarikan produk</h1>" in html
    assert "Penilaian bahaya kesehatan" in html and ">Pratinjau</button>" in html


async def test_batches_of_one_product_are_found_by_gtin(client, qa):
    wanted, other = await make_batch(), await make_batch()
    html = (await client.get(f"/recalls/new?gtin={wanted.gtin}", headers=EN)).text
    assert f'id="batch-{wanted.id}"' in html and f'id="batch-{other.id}"' not in html
    assert f'name="gtin" value="{wanted.gtin}"' in html  # kept through preview and propose
    refused = (await client.get("/recalls/new?gtin=123", headers=EN)).text
    assert re.search(r'id="f-find-gtin"[^>]*aria-invalid="true"', refused)
    assert f'id="batch-{other.id}"' in refused  # the newest batches instead
