"""QA in the browser: from a triaged complaint to an investigation, its conclusion and a recall."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.async_api import expect

from recall import db
from recall.clock import today
from tests.browser.steps import fits_the_screen, sign_in
from tests.factories import (
    PASSWORD,
    add_material,
    capa_body,
    headers_for,
    make_batch,
    make_consignee,
    make_material_lot,
    make_product,
    make_user,
    ship,
    triaged_complaint,
)

pytestmark = pytest.mark.browser


async def test_qa_investigates_a_complaint_and_proposes_a_recall(
    client, live_server, desktop, screenshot
):
    product = await make_product(name="Paracetamol Syrup 120 mg/5 mL")
    complained = await make_batch(product.gtin, batch_no="SYR2401")
    sibling = await make_batch(product.gtin, batch_no="SYR2402")
    lot = await make_material_lot(material="Propylene glycol", lot_no="PG-7781")
    await add_material(complained.id, lot.id)
    await add_material(sibling.id, lot.id)
    pbf = await make_consignee("PBF-JKT-01", name="PT Nusantara Farma (PBF)")
    pharmacy = await make_consignee("APT-BDG-07", name="Apotek Sehat Sentosa", kind="pharmacy")
    hospital = await make_consignee("RS-SBY-02", name="RS Harapan Sehat", kind="hospital")
    await ship(complained, pbf, 1200)
    await ship(sibling, pbf, 800)
    await ship(complained, pharmacy, 150, sender=pbf)
    await ship(sibling, hospital, 90, sender=pbf)
    complaint = await triaged_complaint(client, complained)
    qa = await make_user("qa", username="dewi.qa")
    page = desktop

    await sign_in(page, live_server, qa.username)
    await (
        page.get_by_role("navigation", name="Sections")
        .get_by_role("link", name="Investigations")
        .click()
    )
    await page.get_by_role("link", name="Open an investigation").click()
    await page.get_by_label(complaint["reference"]).check()
    await page.get_by_label("Title").fill("Cloudy syrup, batch SYR2401")
    await screenshot(page, "open-investigation")
    await page.get_by_role("button", name="Open investigation").click()

    await expect(page.get_by_role("heading", level=1)).to_contain_text("Cloudy syrup")
    await expect(page.get_by_role("link", name=complaint["reference"])).to_be_visible()
    suggestion = page.get_by_text(
        "Batches sharing material lot PG-7781 (Propylene glycol) with the complained batch:"
    )
    await expect(suggestion).to_be_visible()
    await screenshot(page, "investigation-opened")

    await page.get_by_label("Root cause category").select_option(label="Material")
    await page.get_by_label("Root cause", exact=True).fill(
        "Propylene glycol lot PG-7781 contaminated with diethylene glycol at the supplier."
    )
    await page.get_by_role("textbox", name="Findings").fill(
        "GC-FID of retained samples: DEG 0.32 % (limit 0.10 %)."
    )
    await page.get_by_role("button", name="Save root cause and findings").click()
    await page.get_by_role("button", name="Add suggested batches").click()
    affected = page.get_by_role("table", name="Affected batches")
    await expect(affected.get_by_role("row").filter(has_text="SYR2402")).to_be_visible()
    await expect(suggestion).to_have_count(0)

    await page.get_by_label("Kind").select_option(label="Corrective")
    await page.get_by_label("Owner").fill("Budi Santoso (Production)")
    await page.get_by_label("Due date").fill((today() + timedelta(days=14)).isoformat())
    await page.get_by_label("Action to take").fill(
        "Quarantine remaining PG-7781 drums; test every solvent lot for DEG/EG."
    )
    await page.get_by_role("button", name="Add CAPA").click()
    # A second action, long past its due date, shows how overdue work stands out.
    investigation_id = int(page.url.split("/investigations/")[1].split("#")[0])
    late = await client.post(
        f"/api/investigations/{investigation_id}/capas",
        json=capa_body(
            kind="preventive",
            owner="Sari Dewi (Purchasing)",
            description="Audit the excipient supplier.",
        ),
        headers=await headers_for("qa"),
    )
    await db.fetch(
        "UPDATE capa SET due_on = {} WHERE id = {}", today() - timedelta(days=5), late.json()["id"]
    )
    await page.reload()
    capas = page.get_by_role("table", name="Corrective and preventive actions (CAPA)")
    overdue = capas.get_by_role("row").filter(has_text="Sari Dewi")
    await expect(overdue).to_have_class("overdue")
    await expect(overdue).to_contain_text("Overdue")
    await expect(capas.get_by_role("row").filter(has_text="Budi Santoso")).not_to_have_class(
        "overdue"
    )
    await screenshot(page, "root-cause-batches-capa")

    budi = capas.get_by_role("row").filter(has_text="Budi Santoso")
    await budi.get_by_text("Mark complete").click()
    await budi.get_by_label("Completion note").fill(
        "All PG-7781 drums quarantined; DEG test added."
    )
    await screenshot(page, "completing-capa")
    await budi.get_by_role("button", name="Complete CAPA").click()
    await expect(budi).to_contain_text("Done")

    await page.get_by_role("textbox", name="Conclusion").fill(
        "DEG contamination of excipient lot PG-7781 affects batches SYR2401 and SYR2402."
    )
    await page.get_by_label("Yes, recommend a recall").check()
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_label("Meaning").fill("Investigation reviewed and concluded")
    await page.get_by_role("button", name="Sign and conclude").click()
    await expect(page.get_by_text("This investigation recommends a recall.")).to_be_visible()
    await screenshot(page, "concluded")

    await page.get_by_role("link", name="Propose recall").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Propose a recall")
    await expect(page.get_by_label("SYR2401")).to_be_checked()
    await expect(page.get_by_label("SYR2402")).to_be_checked()
    await page.get_by_label("Recall class").select_option("I")
    await page.get_by_label("Depth").select_option("retail")
    await page.get_by_label("Health hazard assessment").fill(
        "DEG causes acute kidney injury; children at highest risk. Serious, life-threatening."
    )
    await page.get_by_role("button", name="Preview").click()
    tiers = page.get_by_role("table", name="Consignees and units per tier")
    await expect(tiers.get_by_role("row").filter(has_text="Units, all batches")).to_contain_text(
        "2,000"
    )
    consignees = page.get_by_role("table", name="Consignees", exact=True)
    await expect(consignees.get_by_role("row")).to_have_count(4)
    await screenshot(page, "recall-preview")

    await page.get_by_role("button", name="Propose recall").click()
    await expect(page).to_have_url(re.compile(r"/recalls/\d+$"))
    (recall,) = await db.fetch("SELECT status, investigation FROM recall")
    assert recall["status"] == "proposed" and recall["investigation"] == investigation_id
    await screenshot(page, "proposed")

    await page.goto(f"{live_server}/investigations")
    listed = page.get_by_role("table", name="Investigations").get_by_role("row").nth(1)
    await expect(listed.locator("td.overdue")).to_have_text("1 Overdue")
    await expect(listed).to_contain_text("Recall recommended")
    await screenshot(page, "investigations")

    await page.get_by_role("link", name="Bahasa Indonesia").click()
    await page.get_by_role("link", name=re.compile("INV-")).click()
    await expect(page.get_by_role("heading", name="Akar masalah dan temuan")).to_be_visible()
    await expect(page.get_by_role("link", name=re.compile(r"^RCL-"))).to_be_visible()
    await screenshot(page, "investigation-in-indonesian")


async def test_qa_scores_risk_contains_signs_and_checks_a_capa(
    client, live_server, desktop, screenshot
):
    await scores_contains_checks_and_signs(client, live_server, desktop, screenshot, "desktop")


async def test_the_risk_containment_and_signature_fit_a_phone(
    client, live_server, phone, screenshot
):
    await scores_contains_checks_and_signs(client, live_server, phone, screenshot, "phone")


async def scores_contains_checks_and_signs(client, live_server, page, screenshot, window):
    """In Indonesian: risk scored, containment recorded, a CAPA found ineffective, the
    conclusion signed."""
    batch = await make_batch(batch_no="SYR2501")
    complaint = await triaged_complaint(client, batch)
    qa = await make_user("qa", username=f"sari.qa.{window}")
    opened = await client.post(
        "/api/investigations",
        json={"title": "Cloudy syrup, batch SYR2501", "complaint_ids": [complaint["id"]]},
        headers=await headers_for("qa"),
    )
    investigation_id = opened.json()["id"]
    await sign_in(page, live_server, qa.username, "id")
    await page.goto(f"{live_server}/investigations/{investigation_id}")

    await page.get_by_label("Tingkat keparahan").select_option("5")
    await page.get_by_label("Kemungkinan terjadi").select_option("3")
    await page.get_by_label("Keterdeteksian").select_option("3")
    await page.get_by_role("button", name="Simpan risiko").click()
    await expect(page.get_by_text("45 · Risiko tinggi").first).to_be_visible()

    await page.get_by_text("Tambah atau ubah tindakan penahanan").click()
    await page.locator("#f-containment-0-action").fill("Karantina bets SYR2501 di gudang")
    await page.locator("#f-containment-0-done_on").fill(today().isoformat())
    await page.locator("#f-containment-1-action").fill("Hentikan penjualan ke PBF")
    await page.get_by_role("button", name="Simpan tindakan penahanan").click()
    await expect(page.get_by_role("cell", name="Hentikan penjualan ke PBF")).to_be_visible()

    capa = await client.post(
        f"/api/investigations/{investigation_id}/capas",
        json=capa_body(),
        headers=await headers_for("qa"),
    )
    await client.post(
        f"/api/capas/{capa.json()['id']}/complete", json={}, headers=await headers_for("qa")
    )
    await page.reload()
    await page.get_by_text("Periksa efektivitas").click()
    await page.get_by_label("Tidak efektif: buka kembali CAPA").check()
    await page.locator(f"#evidence-{capa.json()['id']}").fill("Dua keluhan serupa bulan ini.")
    await page.get_by_role("button", name="Catat pemeriksaan").click()
    await expect(page.get_by_text("Dua keluhan serupa bulan ini.")).to_be_visible()

    await page.get_by_label("Kategori akar masalah").select_option("material")
    await page.get_by_label("Akar masalah", exact=True).fill("Lot pelarut terkontaminasi.")
    await page.get_by_role("button", name="Simpan akar masalah dan temuan").click()
    await page.get_by_role("textbox", name="Kesimpulan").fill("Lot pelarut terkontaminasi.")
    await page.get_by_label("Tanpa penarikan").check()
    await page.locator("#f-password").fill(PASSWORD)
    await page.get_by_label("Makna tanda tangan").fill("Investigasi ditinjau dan disimpulkan")
    await screenshot(page, f"signing-{window}")
    await page.get_by_role("button", name="Tanda tangani dan simpulkan").click()
    await expect(page.get_by_text("Ditandatangani oleh")).to_be_visible()
    await fits_the_screen(page)
    await screenshot(page, f"concluded-{window}")
