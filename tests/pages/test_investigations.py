"""Investigation pages: open one from triaged complaints, root cause, batches, CAPA, conclusion."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from recall import db
from recall.clock import today
from tests.factories import (
    PASSWORD,
    add_material,
    conclusion_body,
    headers_for,
    make_batch,
    make_complaint,
    make_investigation,
    make_material_lot,
    make_user,
    triaged_complaint,
)
from tests.pages.helpers import EN, csrf_token, post_form, sign_in


@pytest.fixture
async def qa_headers(qa) -> dict[str, str]:
    """The client signed in as a QA user; API headers of another QA user."""
    return await headers_for("qa")


async def count(table: str) -> int:
    (row,) = await db.fetch(f"SELECT COUNT(*) AS n FROM {table}")
    return int(row["n"])


async def investigation_page(client, investigation_id: int) -> str:
    response = await client.get(f"/investigations/{investigation_id}", headers=EN)
    assert response.status_code == 200, response.text
    return response.text


def row_of(html: str, text: str) -> str:
    """The table row holding `text`."""
    found = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*{re.escape(text)}(?:(?!</tr>).)*</tr>", html, re.S)
    assert found, f"no row with {text}"
    return found[0]


# Opening ------------------------------------------------------------------------------


async def test_qa_opens_an_investigation_from_triaged_complaints(client, qa_headers):
    batch = await make_batch()
    first = await triaged_complaint(client, batch)
    second = await triaged_complaint(client, batch)
    untriaged = await make_complaint(client, batch=batch)
    not_to_investigate = await triaged_complaint(client, batch, investigate=False)

    form = await client.get(f"/investigations/new?complaint_id={first['id']}", headers=EN)
    assert form.status_code == 200
    assert "<h1>Open an investigation</h1>" in form.text
    assert re.search(rf'value="{first["id"]}" id="complaint-{first["id"]}" checked', form.text)
    assert f'value="{second["id"]}" id="complaint-{second["id"]}">' in form.text
    assert untriaged["reference"] not in form.text
    assert not_to_investigate["reference"] not in form.text

    response = await client.post(
        "/investigations",
        data={
            "title": "Cloudy syrup",
            "complaint_ids[]": [str(first["id"]), str(second["id"])],
            "_csrf_token": csrf_token(form.text),
        },
    )
    assert response.status_code == 303
    investigation_id = int(response.headers["location"].rsplit("/", 1)[1])
    html = await investigation_page(client, investigation_id)
    assert "Cloudy syrup" in html
    for complaint in (first, second):
        assert f'<a href="/complaints/{complaint["id"]}">{complaint["reference"]}</a>' in html
    assert "Under investigation" in html

    listed = await client.get("/investigations", headers=EN)
    row = row_of(listed.text, f'href="/investigations/{investigation_id}"')
    assert "Cloudy syrup" in row and '<td class="n">2</td>' in row and "Open" in row
    again = await client.get("/investigations/new", headers=EN)
    assert first["reference"] not in again.text  # grouped complaints leave the choice


@pytest.mark.parametrize(
    ("data", "field"),
    [({"title": "Cloudy syrup"}, "complaint_ids"), ({"title": " "}, "title")],
)
async def test_a_refused_opening_marks_the_field_and_stores_nothing(
    client, qa_headers, data, field
):
    complaint = await triaged_complaint(client)
    if field == "title":
        data = {**data, "complaint_ids[]": [str(complaint["id"])]}
    response = await post_form(client, "/investigations", data, page="/investigations/new")
    assert response.status_code == 422
    assert "Not saved: please correct the marked field." in response.text
    assert re.search(rf'id="f-{field}"[^>]*aria-invalid="true"', response.text)
    assert 'value="Cloudy syrup"' in response.text or field == "title"
    assert await count("investigation") == 0


async def test_grouping_a_complaint_twice_is_a_conflict_shown_on_the_form(client, qa_headers):
    complaint = await triaged_complaint(client)
    form = await client.get("/investigations/new", headers=EN)
    await make_investigation(client, qa_headers, [complaint["id"]])
    response = await client.post(
        "/investigations",
        data={
            "title": "Again",
            "complaint_ids[]": [str(complaint["id"])],
            "_csrf_token": csrf_token(form.text),
        },
        headers=EN,
    )
    assert response.status_code == 409
    assert "already belongs to investigation" in response.text
    assert await count("investigation") == 1


# Root cause, batches -----------------------------------------------------------------


async def test_root_cause_and_findings_are_saved_and_a_stale_copy_is_refused(client, qa_headers):
    complaint = await triaged_complaint(client)
    investigation = await make_investigation(client, qa_headers, [complaint["id"]])
    page = f"/investigations/{investigation['id']}"
    stale = await client.get(page, headers=EN)
    data = {
        "root_cause_category": "material",
        "root_cause": "Solvent lot contaminated at the supplier.",
        "findings": "GC shows diethylene glycol at 0.3 %.",
        "version": str(investigation["version"]),
    }
    response = await post_form(client, f"{page}/findings", data, page=page)
    assert response.status_code == 303
    assert response.headers["location"] == f"{page}#findings"
    html = await investigation_page(client, investigation["id"])
    assert '<option value="material" selected>Material</option>' in html
    assert "Solvent lot contaminated at the supplier.</textarea>" in html

    refused = await client.post(
        f"{page}/findings",
        data={**data, "root_cause": "Changed", "_csrf_token": csrf_token(stale.text)},
        headers=EN,
    )
    assert refused.status_code == 409
    assert "changed meanwhile" in refused.text
    assert "Changed</textarea>" in refused.text  # what was typed is kept

    bad = await post_form(
        client, f"{page}/findings", {**data, "root_cause_category": "x"}, page=page
    )
    assert bad.status_code == 422
    assert re.search(r'id="f-root_cause_category"[^>]*aria-invalid="true"', bad.text)


async def test_shared_material_suggestion_is_shown_and_added(client, qa_headers):
    complained = await make_batch()
    sibling = await make_batch(complained.gtin)
    unrelated = await make_batch(complained.gtin)
    lot = await make_material_lot(material="Propylene glycol", lot_no="PG-7781")
    await add_material(complained.id, lot.id)
    await add_material(sibling.id, lot.id)
    complaint = await triaged_complaint(client, complained)
    investigation = await make_investigation(client, qa_headers, [complaint["id"]])
    page = f"/investigations/{investigation['id']}"

    html = await investigation_page(client, investigation["id"])
    assert (
        "Batches sharing material lot PG-7781 (Propylene glycol) with the complained batch:" in html
    )
    assert f'name="batch_ids[]" value="{sibling.id}" checked' in html
    assert unrelated.batch_no not in html

    response = await post_form(
        client, f"{page}/batches", {"batch_ids[]": [str(sibling.id)]}, page=page
    )
    assert response.status_code == 303
    html = await investigation_page(client, investigation["id"])
    assert "Batches sharing material lot" not in html
    assert f"Remove batch {sibling.batch_no}" in html

    # One more by GTIN and batch number; an unknown one is refused naming the field.
    response = await post_form(
        client,
        f"{page}/batches",
        {"gtin": unrelated.gtin, "batch_no": unrelated.batch_no},
        page=page,
    )
    assert response.status_code == 303
    refused = await post_form(
        client, f"{page}/batches", {"gtin": unrelated.gtin, "batch_no": "NOPE1"}, page=page
    )
    assert refused.status_code == 422
    assert re.search(r'id="f-batch_no"[^>]*aria-invalid="true"', refused.text)

    removed = await post_form(
        client, f"{page}/batches/remove", {"batch_id": str(sibling.id)}, page=page
    )
    assert removed.status_code == 303
    html = await investigation_page(client, investigation["id"])
    assert f"Remove batch {sibling.batch_no}" not in html
    assert f"Remove batch {unrelated.batch_no}" in html
    assert "Batches sharing material lot PG-7781" in html  # suggested again


# CAPA ---------------------------------------------------------------------------------


async def test_capa_is_added_and_overdue_is_highlighted_in_words(client, qa_headers, frozen_clock):
    complaint = await triaged_complaint(client)
    investigation = await make_investigation(client, qa_headers, [complaint["id"]])
    page = f"/investigations/{investigation['id']}"
    due = today() + timedelta(days=3)
    data = {
        "kind": "corrective",
        "description": "Re-validate the cleaning of the mixing tank.",
        "owner": "Budi Santoso (Production)",
        "due_on": due.isoformat(),
    }
    response = await post_form(client, f"{page}/capas", data, page=page)
    assert response.status_code == 303
    row = row_of(await investigation_page(client, investigation["id"]), "Budi Santoso")
    assert 'class="overdue"' not in row and "Overdue" not in row
    assert due.strftime("%d-%m-%Y") in row

    frozen_clock[0] += timedelta(days=10)
    await sign_in(client, (await make_user("qa")).username)  # the session ran out meanwhile
    html = await investigation_page(client, investigation["id"])
    row = row_of(html, "Budi Santoso")
    assert row.startswith('<tr class="overdue">')
    assert '<span class="state bad">Overdue</span>' in row
    listed = await client.get("/investigations", headers=EN)
    overdue = row_of(listed.text, investigation["reference"])
    assert '<td class="n overdue">1 <span class="state bad">Overdue</span></td>' in overdue


async def test_a_capa_due_in_the_past_is_refused_naming_the_date(client, qa_headers):
    complaint = await triaged_complaint(client)
    investigation = await make_investigation(client, qa_headers, [complaint["id"]])
    page = f"/investigations/{investigation['id']}"
    data = {
        "kind": "preventive",
        "description": "Qualify a second supplier.",
        "owner": "Sari (Purchasing)",
        "due_on": (today() - timedelta(days=1)).isoformat(),
    }
    response = await post_form(client, f"{page}/capas", data, page=page)
    assert response.status_code == 422
    assert re.search(r'id="f-due_on"[^>]*aria-invalid="true"', response.text)
    assert "must not be in the past" in response.text
    assert 'value="Sari (Purchasing)"' in response.text
    assert await count("capa") == 0


async def test_a_capa_is_marked_complete(client, qa_headers):
    complaint = await triaged_complaint(client)
    investigation = await make_investigation(client, qa_headers, [complaint["id"]])
    page = f"/investigations/{investigation['id']}"
    data = {
        "kind": "corrective",
        "description": "Quarantine the remaining drums.",
        "owner": "Warehouse",
        "due_on": today().isoformat(),
    }
    assert (await post_form(client, f"{page}/capas", data, page=page)).status_code == 303
    (capa,) = await db.fetch("SELECT id FROM capa")
    action = f"{page}/capas/{capa['id']}/complete"
    check = (today() + timedelta(days=60)).isoformat()
    bad = await post_form(
        client, action, {"effectiveness_check_due_on": today().isoformat()}, page=page
    )
    assert bad.status_code == 422
    assert "must be after today" in bad.text
    done = await post_form(
        client,
        action,
        {"note": "All drums on hold.", "effectiveness_check_due_on": check},
        page=page,
    )
    assert done.status_code == 303
    row = row_of(await investigation_page(client, investigation["id"]), "Quarantine")
    assert '<span class="state ok">Done</span>' in row and "All drums on hold." in row
    assert "Mark complete" not in row


# Conclusion ---------------------------------------------------------------------------


async def test_conclusion_needs_the_root_cause_then_offers_the_recall_proposal(client, qa_headers):
    batch = await make_batch()
    complaint = await triaged_complaint(client, batch)
    investigation = await make_investigation(client, qa_headers, [complaint["id"]])
    page = f"/investigations/{investigation['id']}"
    conclusion = {
        "conclusion": "Contaminated solvent lot.",
        "recall_recommended": "true",
        "password": PASSWORD,
        "meaning": "Investigation concluded",
    }

    early = await post_form(client, f"{page}/conclude", conclusion, page=page)
    assert early.status_code == 409
    assert "set root_cause_category and root_cause before concluding" in early.text
    undecided = await post_form(client, f"{page}/conclude", {"conclusion": "Something."}, page=page)
    assert undecided.status_code == 422
    assert re.search(r'id="f-recall_recommended"[^>]*aria-invalid="true"', undecided.text)

    root_cause = {
        "root_cause_category": "material",
        "root_cause": "Supplier contamination.",
        "version": str(investigation["version"]),
    }
    assert (await post_form(client, f"{page}/findings", root_cause, page=page)).status_code == 303
    done = await post_form(client, f"{page}/conclude", conclusion, page=page)
    assert done.status_code == 303
    html = await investigation_page(client, investigation["id"])
    assert "Contaminated solvent lot." in html
    assert f'href="/recalls/new?investigation_id={investigation["id"]}"' in html
    assert "Propose recall" in html
    assert 'action="' + page + '/findings"' not in html  # frozen once concluded
    assert 'action="' + page + '/conclude"' not in html


# Roles and languages -------------------------------------------------------------------


async def test_customer_service_may_not_open_investigation_pages(client):
    user = await make_user("cs")
    await sign_in(client, user.username)
    for path in ("/investigations", "/investigations/new"):
        response = await client.get(path, headers=EN)
        assert response.status_code == 403
        assert "Not allowed" in response.text


async def test_qa_manager_and_inspector_read_without_forms(client):
    complaint = await triaged_complaint(client)
    investigation = await make_investigation(client, await headers_for("qa"), [complaint["id"]])
    page = f"/investigations/{investigation['id']}"
    for role in ("qa_manager", "inspector"):
        client.cookies.clear()
        user = await make_user(role)
        await sign_in(client, user.username)
        html = await investigation_page(client, investigation["id"])
        assert complaint["reference"] in html
        forms = re.findall(r'<form method="post" action="(/investigations[^"]*)"', html)
        # A QA manager attaches evidence files, and changes nothing else here.
        assert forms == ([f"{page}/attachments"] if role == "qa_manager" else [])
        assert "Open an investigation" not in (await client.get("/investigations")).text
        assert (await client.get("/investigations/new")).status_code == 403
        refused = await client.post(
            f"{page}/capas", data={"_csrf_token": csrf_token(html), "kind": "corrective"}
        )
        assert refused.status_code == 403


async def test_the_investigation_page_speaks_both_languages(client, qa_headers):
    complaint = await triaged_complaint(client)
    investigation = await make_investigation(client, qa_headers, [complaint["id"]])
    page = f"/investigations/{investigation['id']}"
    indonesian = await client.get(page, headers={"Accept-Language": "id"})
    assert '<html lang="id">' in indonesian.text
    assert (
        "Akar masalah" in indonesian.text and "Tindakan perbaikan dan pencegahan" in indonesian.text
    )
    english = await client.get(page, headers=EN)
    assert "Root cause and findings" in english.text
    assert "Corrective and preventive actions (CAPA)" in english.text


async def test_an_unknown_investigation_is_404(client, qa_headers):
    response = await client.get("/investigations/999999", headers=EN)
    assert response.status_code == 404


async def test_a_hand_edited_list_link_shows_everything(client, qa_headers):
    complaint = await triaged_complaint(client)
    investigation = await make_investigation(client, qa_headers, [complaint["id"]])
    for query in ("status=bogus", "offset=-3", "offset=x"):
        response = await client.get(f"/investigations?{query}", headers=EN)
        assert response.status_code == 200
        assert investigation["reference"] in response.text
    concluded = await client.get("/investigations?status=concluded", headers=EN)
    assert investigation["reference"] not in concluded.text
    assert "No investigation found." in concluded.text


async def test_a_change_sent_after_the_conclusion_is_refused_in_words(client, qa_headers):
    complaint = await triaged_complaint(client)
    investigation = await make_investigation(client, qa_headers, [complaint["id"]])
    page = f"/investigations/{investigation['id']}"
    stale = await client.get(page, headers=EN)
    await client.patch(
        f"/api/investigations/{investigation['id']}",
        json={"root_cause_category": "method", "root_cause": "Mixing time too short."},
        headers=qa_headers,
    )
    await client.post(
        f"/api/investigations/{investigation['id']}/conclude",
        json=conclusion_body(conclusion="Procedure fixed."),
        headers=qa_headers,
    )
    response = await client.post(
        f"{page}/findings",
        data={"findings": "Late note", "_csrf_token": csrf_token(stale.text)},
        headers=EN,
    )
    assert response.status_code == 409
    assert "the investigation is concluded" in response.text
    assert 'role="alert"' in response.text
