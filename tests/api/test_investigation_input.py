"""Investigations over HTTP: bad bodies and unknown records are refused naming the field."""

from datetime import timedelta

import pytest

from tests.factories import (
    capa_body,
    conclusion_body,
    local_today,
    make_investigation,
)
from tests.reads import investigation_read as read

# Bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"complaint_ids": [1]}, 400, "title"),
        ({"title": "", "complaint_ids": [1]}, 400, "title"),
        ({"title": "   ", "complaint_ids": [1]}, 422, "title"),
        ({"title": "x" * 201, "complaint_ids": [1]}, 400, "title"),
        ({"title": "a\x00b", "complaint_ids": [1]}, 422, "title"),
        ({"title": "x"}, 400, "complaint_ids"),
        ({"title": "x", "complaint_ids": []}, 400, "complaint_ids"),
        ({"title": "x", "complaint_ids": [0]}, 400, "complaint_ids"),
        ({"title": "x", "complaint_ids": [1.5]}, 400, "complaint_ids"),
        ({"title": "x", "complaint_ids": [2**31]}, 400, "complaint_ids"),
        ({"title": "x", "complaint_ids": list(range(1, 202))}, 400, "complaint_ids"),
    ],
)
async def test_bad_investigation_bodies_name_the_field(client, qa, body, status, field):
    response = await client.post("/api/investigations", json=body, headers=qa)
    assert response.status_code == status, response.text
    assert response.json()["detail"].startswith(field)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"root_cause_category": "weather"}, 400, "root_cause_category"),
        ({"root_cause_category": 3}, 400, "root_cause_category"),
        ({"root_cause": "x" * 5001}, 400, "root_cause"),
        ({"root_cause": "a\x00b"}, 422, "root_cause"),
        ({"findings": ["a"]}, 400, "findings"),
        ({"affected_batch_ids": [999_999]}, 422, "affected_batch_ids"),
        ({"affected_batch_ids": [0]}, 400, "affected_batch_ids"),
        ({"affected_batch_ids": None}, 400, "affected_batch_ids"),
        ({"affected_batch_ids": "1"}, 400, "affected_batch_ids"),
        ({"version": 0}, 400, "version"),
        ({"version": 1.5}, 400, "version"),
    ],
)
async def test_bad_patches_name_the_field(client, qa, body, status, field):
    investigation = await make_investigation(client, qa)
    response = await client.patch(
        f"/api/investigations/{investigation['id']}", json=body, headers=qa
    )
    assert response.status_code == status, response.text
    assert response.json()["detail"].startswith(field)
    assert (await read(client, qa, investigation["id"]))["version"] == investigation["version"]


@pytest.mark.parametrize(
    ("changes", "status", "field"),
    [
        ({"kind": "curative"}, 400, "kind"),
        ({"description": ""}, 400, "description"),
        ({"description": "  "}, 422, "description"),
        ({"description": "x" * 5001}, 400, "description"),
        ({"owner": ""}, 400, "owner"),
        ({"owner": "x" * 201}, 400, "owner"),
        ({"owner": "Budi\nSantoso"}, 422, "owner"),
        ({"due_on": "2026-02-30"}, 400, "due_on"),
        ({"due_on": "tomorrow"}, 400, "due_on"),
        ({"due_on": (local_today() - timedelta(days=1)).isoformat()}, 422, "due_on"),
    ],
)
async def test_bad_capas_name_the_field(client, qa, changes, status, field):
    investigation = await make_investigation(client, qa)
    response = await client.post(
        f"/api/investigations/{investigation['id']}/capas", json=capa_body(**changes), headers=qa
    )
    assert response.status_code == status, response.text
    assert response.json()["detail"].startswith(field)


async def test_a_capa_due_today_is_accepted(client, qa):
    investigation = await make_investigation(client, qa)
    response = await client.post(
        f"/api/investigations/{investigation['id']}/capas",
        json=capa_body(due_on=local_today().isoformat(), kind="preventive"),
        headers=qa,
    )
    assert response.status_code == 201, response.text
    assert response.json()["kind"] == "preventive"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"effectiveness_check_due_on": "today"}, 400, "effectiveness_check_due_on"),
        ({"effectiveness_check_due_on": "TODAY"}, 422, "effectiveness_check_due_on"),
        ({"note": "x" * 5001}, 400, "note"),
        ({"note": 5}, 400, "note"),
    ],
)
async def test_bad_completions_name_the_field(client, qa, body, status, field):
    investigation = await make_investigation(client, qa)
    capa = await client.post(
        f"/api/investigations/{investigation['id']}/capas", json=capa_body(), headers=qa
    )
    if body.get("effectiveness_check_due_on") == "TODAY":
        body = {"effectiveness_check_due_on": local_today().isoformat()}
    response = await client.post(f"/api/capas/{capa.json()['id']}/complete", json=body, headers=qa)
    assert response.status_code == status, response.text
    assert response.json()["detail"].startswith(field)
    assert (await client.get(f"/api/capas/{capa.json()['id']}", headers=qa)).json()[
        "status"
    ] == "open"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"recall_recommended": True}, "conclusion"),
        ({"conclusion": "", "recall_recommended": True}, "conclusion"),
        ({"conclusion": "x"}, "recall_recommended"),
        ({"conclusion": "x", "recall_recommended": "yes"}, "recall_recommended"),
    ],
)
async def test_bad_conclusions_name_the_field(client, qa, body, field):
    investigation = await make_investigation(client, qa)
    response = await client.post(
        f"/api/investigations/{investigation['id']}/conclude", json=body, headers=qa
    )
    assert response.status_code == 400, response.text
    assert response.json()["detail"].startswith(field)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/investigations/999999", None),
        ("PATCH", "/api/investigations/999999", {"findings": "x"}),
        (
            "POST",
            "/api/investigations/999999/conclude",
            conclusion_body(conclusion="x"),
        ),
        ("POST", "/api/investigations/999999/capas", capa_body()),
        ("GET", "/api/capas/999999", None),
        ("POST", "/api/capas/999999/complete", {}),
        ("POST", "/api/capas/999999/effectiveness", {"effective": False, "evidence": "x"}),
        ("GET", "/api/investigations/99999999999", None),
    ],
)
async def test_unknown_records_are_404(client, qa, method, path, body):
    response = await client.request(method, path, json=body, headers=qa)
    assert response.status_code == 404, response.text
