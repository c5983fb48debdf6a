"""Investigations over HTTP: ICH Q9 risk, containment, the signed conclusion and CAPA
effectiveness checks (an ineffective CAPA is open again and QA is alerted)."""

from datetime import timedelta

import pytest

from recall import db
from tests.factories import (
    capa_body,
    conclusion_body,
    headers_for,
    local_today,
    make_investigation,
)
from tests.reads import investigation_read as read

ROOT_CAUSE = {"root_cause_category": "material", "root_cause": "Contaminated solvent lot."}


async def patch(client, headers, investigation_id: int, body: dict):
    return await client.patch(f"/api/investigations/{investigation_id}", json=body, headers=headers)


async def audit_of(client, entity: str, entity_id: int) -> list[dict]:
    response = await client.get(
        "/api/audit",
        params={"entity": entity, "entity_id": entity_id},
        headers=await headers_for("inspector"),
    )
    assert response.status_code == 200, response.text
    return list(reversed(response.json()["items"]))


# Risk ---------------------------------------------------------------------------------------


async def test_risk_is_scored_and_its_priority_is_the_product(client, qa):
    investigation = await make_investigation(client, qa)
    assert investigation["risk"] is None
    scored = await patch(
        client,
        qa,
        investigation["id"],
        {"risk": {"severity": 5, "occurrence": 3, "detectability": 4}},
    )
    assert scored.status_code == 200, scored.text
    assert scored.json()["risk"] == {
        "severity": 5,
        "occurrence": 3,
        "detectability": 4,
        "priority": 60,
        "level": "high",
    }
    assert (await read(client, qa, investigation["id"]))["risk"]["priority"] == 60
    listed = (await client.get("/api/investigations", headers=qa)).json()["items"]
    assert listed[0]["risk"]["priority"] == 60
    entries = await audit_of(client, "investigation", investigation["id"])
    assert entries[-1]["action"] == "updated"
    assert entries[-1]["new_values"]["risk_priority"] == 60


@pytest.mark.parametrize(
    ("risk", "status", "field"),
    [
        ({"occurrence": 3, "detectability": 3}, 422, "risk.severity"),
        ({"severity": 3, "detectability": 3}, 422, "risk.occurrence"),
        ({"severity": 3, "occurrence": 3}, 422, "risk.detectability"),
        ({"severity": 0, "occurrence": 3, "detectability": 3}, 422, "risk.severity"),
        ({"severity": 3, "occurrence": 6, "detectability": 3}, 422, "risk.occurrence"),
        ({"severity": 3, "occurrence": 3, "detectability": 99}, 422, "risk.detectability"),
        ({"severity": "high", "occurrence": 3, "detectability": 3}, 400, "risk.severity"),
        ({"severity": 2.5, "occurrence": 3, "detectability": 3}, 400, "risk.severity"),
    ],
)
async def test_a_bad_risk_score_is_refused_naming_the_factor(client, qa, risk, status, field):
    investigation = await make_investigation(client, qa)
    response = await patch(client, qa, investigation["id"], {"risk": risk})
    assert response.status_code == status, response.text
    assert response.json()["detail"].startswith(field)
    after = await read(client, qa, investigation["id"])
    assert after["risk"] is None
    assert after["version"] == investigation["version"]


async def test_the_list_sorts_by_priority_with_unscored_last(client, qa):
    low = await make_investigation(client, qa, title="Low")
    unscored = await make_investigation(client, qa, title="Unscored")
    high = await make_investigation(client, qa, title="High")
    medium = await make_investigation(client, qa, title="Medium")
    for opened, scores in ((low, (1, 2, 3)), (high, (5, 5, 2)), (medium, (3, 3, 3))):
        severity, occurrence, detectability = scores
        risk = {"severity": severity, "occurrence": occurrence, "detectability": detectability}
        assert (await patch(client, qa, opened["id"], {"risk": risk})).status_code == 200

    async def titles(sort: str | None) -> list[str]:
        params = {"sort": sort} if sort else {}
        response = await client.get("/api/investigations", params=params, headers=qa)
        assert response.status_code == 200, response.text
        return [item["title"] for item in response.json()["items"]]

    assert await titles("-priority") == ["High", "Medium", "Low", "Unscored"]
    assert await titles("priority") == ["Low", "Medium", "High", "Unscored"]
    assert await titles(None) == ["Medium", "High", "Unscored", "Low"]  # newest first
    assert unscored["risk"] is None
    refused = await client.get("/api/investigations", params={"sort": "risk"}, headers=qa)
    assert refused.status_code == 400
    assert "sort" in refused.json()["detail"]


# Containment --------------------------------------------------------------------------------


async def test_containment_is_recorded_before_the_root_cause_and_replaced(client, qa):
    investigation = await make_investigation(client, qa)
    yesterday = (local_today() - timedelta(days=1)).isoformat()
    first = await patch(
        client,
        qa,
        investigation["id"],
        {
            "containment": [
                {"action": "Quarantine batch SYR2401 at the warehouse", "done_on": yesterday},
                {"action": "Stop sales to distributors"},
            ]
        },
    )
    assert first.status_code == 200, first.text
    assert first.json()["root_cause"] is None
    assert first.json()["containment"] == [
        {"action": "Quarantine batch SYR2401 at the warehouse", "done_on": yesterday},
        {"action": "Stop sales to distributors", "done_on": None},
    ]
    replaced = await patch(
        client, qa, investigation["id"], {"containment": [{"action": "  Hold all stock  "}]}
    )
    assert replaced.json()["containment"] == [{"action": "Hold all stock", "done_on": None}]

    entries = await audit_of(client, "investigation", investigation["id"])
    assert entries[-1]["old_values"]["containment"] == first.json()["containment"]
    assert entries[-1]["new_values"]["containment"] == [
        {"action": "Hold all stock", "done_on": None}
    ]

    cleared = await patch(client, qa, investigation["id"], {"containment": []})
    assert cleared.json()["containment"] == []


@pytest.mark.parametrize(
    ("containment", "status", "field"),
    [
        ([{"action": "   "}], 422, "containment[0].action"),
        ([{"action": "ok"}, {"done_on": "2026-01-01"}], 422, "containment[1].action"),
        ([{"action": "ok"}, {"action": "a\x00b"}], 422, "containment[1].action"),
        ([{"action": "x" * 1001}], 400, "containment[0].action"),
        ([{"action": "ok", "done_on": "tomorrow"}], 400, "containment[0].done_on"),
        (
            [{"action": "ok", "done_on": (local_today() + timedelta(days=2)).isoformat()}],
            422,
            "containment[0].done_on",
        ),
        ([{"action": "ok"}] * 51, 400, "containment"),
        ("quarantine", 400, "containment"),
    ],
)
async def test_bad_containment_is_refused_naming_the_line(client, qa, containment, status, field):
    investigation = await make_investigation(client, qa)
    response = await patch(client, qa, investigation["id"], {"containment": containment})
    assert response.status_code == status, response.text
    assert response.json()["detail"].startswith(field)
    after = await read(client, qa, investigation["id"])
    assert after["containment"] == []
    assert after["version"] == investigation["version"]


async def test_risk_and_containment_are_frozen_once_concluded(client, qa):
    investigation = await make_investigation(client, qa)
    url = f"/api/investigations/{investigation['id']}"
    await client.patch(url, json=ROOT_CAUSE, headers=qa)
    concluded = await client.post(f"{url}/conclude", json=conclusion_body(), headers=qa)
    assert concluded.status_code == 200, concluded.text
    for body in (
        {"containment": [{"action": "Late hold"}]},
        {"risk": {"severity": 1, "occurrence": 1, "detectability": 1}},
    ):
        response = await client.patch(url, json=body, headers=qa)
        assert response.status_code == 409, response.text


# The signed conclusion ----------------------------------------------------------------------


async def test_the_conclusion_is_signed_and_shows_its_signature(client, qa):
    investigation = await make_investigation(client, qa)
    url = f"/api/investigations/{investigation['id']}"
    await client.patch(url, json=ROOT_CAUSE, headers=qa)
    concluded = await client.post(
        f"{url}/conclude",
        json=conclusion_body(meaning="Reviewed and concluded", recall_recommended=True),
        headers=qa,
    )
    assert concluded.status_code == 200, concluded.text
    (signature,) = concluded.json()["signatures"]
    assert signature["full_name"].startswith("Test Qa")
    assert signature["meaning"] == "Reviewed and concluded"
    assert signature["action"] == "conclude"
    assert len(signature["record_hash"]) == 64
    assert (await read(client, qa, investigation["id"]))["signatures"] == [signature]
    stored = await db.fetch(
        "SELECT entity, entity_id, action FROM signature WHERE entity = {}", "investigation"
    )
    assert [dict(row) for row in stored] == [
        {"entity": "investigation", "entity_id": str(investigation["id"]), "action": "conclude"}
    ]
    entries = await audit_of(client, "investigation", investigation["id"])
    assert entries[-1]["action"] == "concluded"
    assert entries[-1]["new_values"]["signature_hash"] == signature["record_hash"]


async def test_a_wrong_password_concludes_nothing(client, qa):
    investigation = await make_investigation(client, qa)
    url = f"/api/investigations/{investigation['id']}"
    patched = (await client.patch(url, json=ROOT_CAUSE, headers=qa)).json()
    wrong = await client.post(
        f"{url}/conclude", json=conclusion_body(password="not the password"), headers=qa
    )
    assert wrong.status_code == 401, wrong.text
    after = await read(client, qa, investigation["id"])
    assert after["status"] == "open"
    assert after["conclusion"] is None
    assert after["signatures"] == []
    assert after["version"] == patched["version"]
    assert await db.fetch("SELECT id FROM signature") == []
    entries = await audit_of(client, "investigation", investigation["id"])
    assert entries[-1]["action"] == "signature_refused"


async def test_five_wrong_passwords_lock_concluding(client):
    headers = await headers_for("qa")
    investigation = await make_investigation(client, headers)
    url = f"/api/investigations/{investigation['id']}"
    await client.patch(url, json=ROOT_CAUSE, headers=headers)
    for _ in range(5):
        wrong = conclusion_body(password="guess guess guess")
        assert (
            await client.post(f"{url}/conclude", json=wrong, headers=headers)
        ).status_code == 401
    locked = await client.post(f"{url}/conclude", json=conclusion_body(), headers=headers)
    assert locked.status_code == 429, locked.text
    assert int(locked.headers["Retry-After"]) > 0
    assert (await read(client, headers, investigation["id"]))["status"] == "open"


@pytest.mark.parametrize(
    ("missing", "field"),
    [
        ({"password": None}, "password"),
        ({"password": ""}, "password"),
        ({"meaning": None}, "meaning"),
        ({"meaning": "   "}, "meaning"),
    ],
)
async def test_a_conclusion_without_its_signature_is_refused(client, qa, missing, field):
    investigation = await make_investigation(client, qa)
    url = f"/api/investigations/{investigation['id']}"
    await client.patch(url, json=ROOT_CAUSE, headers=qa)
    body = {key: value for key, value in conclusion_body(**missing).items() if value is not None}
    response = await client.post(f"{url}/conclude", json=body, headers=qa)
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith(field)
    assert (await read(client, qa, investigation["id"]))["status"] == "open"


# CAPA effectiveness -------------------------------------------------------------------------


async def done_capa(client, qa) -> tuple[dict, dict]:
    investigation = await make_investigation(client, qa)
    capa = await client.post(
        f"/api/investigations/{investigation['id']}/capas", json=capa_body(), headers=qa
    )
    done = await client.post(f"/api/capas/{capa.json()['id']}/complete", json={}, headers=qa)
    assert done.status_code == 200, done.text
    return investigation, done.json()


async def test_an_effective_capa_stays_done_with_its_check(client, qa):
    _, capa = await done_capa(client, qa)
    checked = await client.post(
        f"/api/capas/{capa['id']}/effectiveness",
        json={"effective": True, "evidence": "No complaint of this kind in 3 months."},
        headers=qa,
    )
    assert checked.status_code == 200, checked.text
    body = checked.json()
    assert body["status"] == "done"
    (check,) = body["effectiveness"]
    assert check["effective"] is True
    assert check["evidence"] == "No complaint of this kind in 3 months."
    assert check["recorded_by_name"].startswith("Test Qa")
    assert check["recorded_at"]
    assert (await client.get(f"/api/capas/{capa['id']}", headers=qa)).json() == body
    alerts = (await client.get("/api/alerts", headers=qa)).json()["items"]
    assert [a for a in alerts if a["kind"] == "capa_ineffective"] == []
    entries = await audit_of(client, "capa", capa["id"])
    assert entries[-1]["action"] == "effectiveness_checked"
    assert entries[-1]["new_values"]["effective"] is True


async def test_an_ineffective_capa_is_open_again_and_qa_is_alerted(client, qa):
    investigation, capa = await done_capa(client, qa)
    checked = await client.post(
        f"/api/capas/{capa['id']}/effectiveness",
        json={"effective": False, "evidence": "Two more cloudy bottles reported."},
        headers=qa,
    )
    assert checked.status_code == 200, checked.text
    assert checked.json()["status"] == "open"
    assert checked.json()["effectiveness"][0]["effective"] is False
    alerts = (await client.get("/api/alerts", headers=qa)).json()["items"]
    (alert,) = [a for a in alerts if a["kind"] == "capa_ineffective"]
    assert investigation["reference"] in alert["detail"]
    assert "Two more cloudy bottles reported." in alert["detail"]
    entries = await audit_of(client, "capa", capa["id"])
    assert entries[-1]["old_values"] == {"status": "done"}
    assert entries[-1]["new_values"]["status"] == "open"

    again = await client.post(
        f"/api/capas/{capa['id']}/effectiveness",
        json={"effective": True, "evidence": "x"},
        headers=qa,
    )
    assert again.status_code == 409, again.text  # open again: complete it first
    redone = await client.post(f"/api/capas/{capa['id']}/complete", json={}, headers=qa)
    assert redone.status_code == 200, redone.text
    confirmed = await client.post(
        f"/api/capas/{capa['id']}/effectiveness",
        json={"effective": True, "evidence": "Supplier changed; no recurrence."},
        headers=qa,
    )
    assert [c["effective"] for c in confirmed.json()["effectiveness"]] == [False, True]
    shown = await read(client, qa, investigation["id"])
    assert [c["effective"] for c in shown["capas"][0]["effectiveness"]] == [False, True]


async def test_only_a_done_capa_has_its_effectiveness_checked(client, qa):
    investigation = await make_investigation(client, qa)
    capa = await client.post(
        f"/api/investigations/{investigation['id']}/capas", json=capa_body(), headers=qa
    )
    response = await client.post(
        f"/api/capas/{capa.json()['id']}/effectiveness",
        json={"effective": True, "evidence": "Too early."},
        headers=qa,
    )
    assert response.status_code == 409, response.text
    assert await db.fetch("SELECT id FROM capa_effectiveness") == []


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"effective": True}, 422, "evidence"),
        ({"effective": True, "evidence": "   "}, 422, "evidence"),
        ({"effective": False, "evidence": "a\x00b"}, 422, "evidence"),
        ({"evidence": "x"}, 400, "effective"),
        ({"effective": "no", "evidence": "x"}, 400, "effective"),
    ],
)
async def test_a_bad_effectiveness_check_is_refused_naming_the_field(
    client, qa, body, status, field
):
    _, capa = await done_capa(client, qa)
    response = await client.post(f"/api/capas/{capa['id']}/effectiveness", json=body, headers=qa)
    assert response.status_code == status, response.text
    assert response.json()["detail"].startswith(field)
    after = (await client.get(f"/api/capas/{capa['id']}", headers=qa)).json()
    assert after["status"] == "done"
    assert after["effectiveness"] == []
