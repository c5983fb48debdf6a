"""Investigation pages: risk score, containment, the signed conclusion and CAPA effectiveness
checks, in Indonesian and English."""

from __future__ import annotations

import re
from datetime import timedelta

from recall import db
from tests.factories import (
    PASSWORD,
    capa_body,
    conclusion_body,
    headers_for,
    local_today,
    make_investigation,
)
from tests.pages.helpers import EN, post_form

ID = {"Accept-Language": "id"}
ROOT_CAUSE = {"root_cause_category": "material", "root_cause": "Contaminated solvent lot."}
# Texts of these parts of the page that must not show on the Indonesian page.
ENGLISH = (
    "Risk assessment",
    "Risk priority",
    "Severity",
    "Occurrence",
    "Detectability",
    "Save risk",
    "Immediate containment",
    "Containment action",
    "Done on",
    "Check effectiveness",
    "Did the CAPA work?",
    "Evidence",
    "Sign and conclude",
    "Password",
    "Meaning",
    "Low risk",
    "Medium risk",
    "High risk",
    "Not effective",
)


async def opened(client) -> tuple[dict, str, dict[str, str]]:
    api = await headers_for("qa")
    investigation = await make_investigation(client, api)
    return investigation, f"/investigations/{investigation['id']}", api


async def shown(client, page: str, headers=EN) -> str:
    response = await client.get(page, headers=headers)
    assert response.status_code == 200, response.text
    return response.text


def visible(html: str) -> str:
    """The page's text, without tags, attribute values and scripts."""
    return re.sub(r"<[^>]+>", " ", html)


# Risk ----------------------------------------------------------------------------------------


async def test_qa_scores_the_risk_and_sees_its_priority(client, qa):
    investigation, page, _ = await opened(client)
    html = await shown(client, page)
    assert f'action="{page}/risk"' in html
    for name in ("severity", "occurrence", "detectability"):
        assert f'name="risk.{name}"' in html
    risk = {"risk.severity": "5", "risk.occurrence": "4", "risk.detectability": "2"}
    saved = await post_form(
        client, f"{page}/risk", {**risk, "version": str(investigation["version"])}, page=page
    )
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"{page}#risk"
    html = await shown(client, page)
    assert "40 · High risk" in html
    assert re.search(r'name="risk.severity"[^>]*>.*?<option value="5" selected', html, re.S)

    listed = await shown(client, "/investigations")
    row = re.search(
        rf"<tr>(?:(?!</tr>).)*{investigation['reference']}(?:(?!</tr>).)*</tr>", listed, re.S
    )
    assert row and "40" in row[0] and "High risk" in row[0]


async def test_a_missing_risk_factor_is_named_by_its_label(client, qa):
    investigation, page, _ = await opened(client)
    refused = await post_form(
        client, f"{page}/risk", {"risk.severity": "3", "risk.detectability": "3"}, page=page
    )
    assert refused.status_code == 422
    assert re.search(r'id="f-risk-occurrence"[^>]*aria-invalid="true"', refused.text)
    assert '<a href="#f-risk-occurrence">Occurrence</a>: required, an integer from 1 to 5' in (
        refused.text
    )
    assert await db.fetch(
        "SELECT risk_priority FROM investigation WHERE id = {}", investigation["id"]
    ) == [{"risk_priority": None}]


async def test_the_list_sorts_by_priority(client, qa):
    api = await headers_for("qa")
    low = await make_investigation(client, api, title="Low one")
    unscored = await make_investigation(client, api, title="Unscored one")
    high = await make_investigation(client, api, title="High one")
    for item, severity in ((low, 1), (high, 5)):
        await client.patch(
            f"/api/investigations/{item['id']}",
            json={"risk": {"severity": severity, "occurrence": 5, "detectability": 5}},
            headers=api,
        )
    html = await shown(client, "/investigations")
    assert 'href="/investigations?sort=-priority"' in html
    by_priority = await shown(client, "/investigations?sort=-priority")
    order = [by_priority.index(t) for t in ("High one", "Low one", "Unscored one")]
    assert order == sorted(order)
    assert 'href="/investigations?sort=priority"' in by_priority
    lowest = await shown(client, "/investigations?sort=priority")
    order = [lowest.index(t) for t in ("Low one", "High one", "Unscored one")]
    assert order == sorted(order)
    assert unscored["reference"] in await shown(client, "/investigations?sort=bogus")


# Containment ---------------------------------------------------------------------------------


async def test_containment_lines_are_added_replaced_and_named_when_refused(client, qa):
    investigation, page, api = await opened(client)
    yesterday = (local_today() - timedelta(days=1)).isoformat()
    saved = await post_form(
        client,
        f"{page}/containment",
        {
            "containment[0].action": "Quarantine batch in the warehouse",
            "containment[0].done_on": yesterday,
            "containment[2].action": "Stop sales",
        },
        page=page,
    )
    assert saved.status_code == 303, saved.text
    html = await shown(client, page)
    assert "Quarantine batch in the warehouse" in html and "Stop sales" in html
    assert (local_today() - timedelta(days=1)).strftime("%d-%m-%Y") in html
    assert 'name="containment[1].action" type="text"\n         value="Stop sales"' in html

    future = (local_today() + timedelta(days=3)).isoformat()
    refused = await post_form(
        client,
        f"{page}/containment",
        {"containment[0].action": "Hold", "containment[3].done_on": future},
        page=page,
    )
    assert refused.status_code == 422
    assert re.search(r'id="f-containment-3-action"[^>]*aria-invalid="true"', refused.text)
    assert "Containment action (Line 4)</a>: must not be empty" in refused.text
    after = await client.get(f"/api/investigations/{investigation['id']}", headers=api)
    assert len(after.json()["containment"]) == 2

    cleared = await post_form(client, f"{page}/containment", {}, page=page)
    assert cleared.status_code == 303
    assert "No containment action recorded yet." in await shown(client, page)


# The signed conclusion -----------------------------------------------------------------------


async def test_the_conclusion_is_signed_with_the_password(client, qa):
    investigation, page, api = await opened(client)
    await client.patch(f"/api/investigations/{investigation['id']}", json=ROOT_CAUSE, headers=api)
    conclusion = {
        "conclusion": "Isolated; no recall.",
        "recall_recommended": "false",
        "meaning": "Reviewed and concluded",
    }
    wrong = await post_form(
        client, f"{page}/conclude", {**conclusion, "password": "not it"}, page=page
    )
    assert wrong.status_code == 401
    assert "The password is wrong" in wrong.text
    assert 'value="not it"' not in wrong.text
    assert 'value="Reviewed and concluded"' in wrong.text
    assert (await db.fetch("SELECT status FROM investigation"))[0]["status"] == "open"

    unsigned = await post_form(client, f"{page}/conclude", conclusion, page=page)
    assert unsigned.status_code == 422
    assert '<a href="#f-password">Password</a>' in unsigned.text

    done = await post_form(
        client, f"{page}/conclude", {**conclusion, "password": PASSWORD}, page=page
    )
    assert done.status_code == 303, done.text
    html = await shown(client, page)
    assert "Signed by" in html and "Reviewed and concluded" in html
    assert f'action="{page}/conclude"' not in html
    assert f'action="{page}/risk"' not in html and f'action="{page}/containment"' not in html


# CAPA effectiveness --------------------------------------------------------------------------


async def test_an_ineffective_check_opens_the_capa_again(client, qa):
    investigation, page, api = await opened(client)
    capa = await client.post(
        f"/api/investigations/{investigation['id']}/capas", json=capa_body(), headers=api
    )
    capa_id = capa.json()["id"]
    action = f"{page}/capas/{capa_id}/effectiveness"
    assert f'action="{action}"' not in await shown(client, page)  # not done yet
    await client.post(f"/api/capas/{capa_id}/complete", json={}, headers=api)
    assert f'action="{action}"' in await shown(client, page)

    refused = await post_form(client, action, {"effective": "false"}, page=page)
    assert refused.status_code == 422
    assert '<a href="#f-evidence">Evidence</a>: must not be empty' in refused.text

    checked = await post_form(
        client, action, {"effective": "false", "evidence": "Two more reports."}, page=page
    )
    assert checked.status_code == 303, checked.text
    html = await shown(client, page)
    assert "Not effective" in html and "Two more reports." in html
    assert f'action="{action}"' not in html  # open again: completed first, then checked
    home = await shown(client, "/")
    assert f"investigation {investigation['reference']} was found ineffective" in home


# Languages ------------------------------------------------------------------------------------


async def test_the_indonesian_page_shows_no_english(client, qa):
    investigation, page, api = await opened(client)
    url = f"/api/investigations/{investigation['id']}"
    await client.patch(
        url,
        json={
            **ROOT_CAUSE,
            "risk": {"severity": 2, "occurrence": 2, "detectability": 2},
            "containment": [{"action": "Karantina bets", "done_on": local_today().isoformat()}],
        },
        headers=api,
    )
    capa = await client.post(f"{url}/capas", json=capa_body(), headers=api)
    await client.post(f"/api/capas/{capa.json()['id']}/complete", json={}, headers=api)
    await client.post(
        f"/api/capas/{capa.json()['id']}/effectiveness",
        json={"effective": False, "evidence": "Keluhan berulang."},
        headers=api,
    )
    await client.post(f"/api/capas/{capa.json()['id']}/complete", json={}, headers=api)
    indonesian = visible(await shown(client, page, ID))
    assert "Penilaian risiko" in indonesian and "Risiko rendah" in indonesian
    assert "Tindakan penahanan segera" in indonesian and "Periksa efektivitas" in indonesian
    assert "Tidak efektif" in indonesian and "Tanda tangani dan simpulkan" in indonesian
    for word in ENGLISH:
        assert not re.search(rf"\b{re.escape(word)}\b", indonesian), word
    listed = visible(await shown(client, "/investigations", ID))
    assert "Prioritas risiko" in listed and "Risiko rendah" in listed
    assert "Risk priority" not in listed and "Low risk" not in listed

    await client.post(f"{url}/conclude", json=conclusion_body(), headers=api)
    concluded = visible(await shown(client, page, ID))
    assert "Ditandatangani oleh" in concluded and "Signed by" not in concluded
