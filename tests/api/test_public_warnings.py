"""Public warnings: published after the decision, listed in the recall and its status reports."""

from __future__ import annotations

import pytest

from recall import recalls
from tests.api.authorities_setup import HOUR, submit
from tests.factories import START, headers_for, propose, recent_batch
from tests.reads import recall_read

WARNING = {
    "published_on": "2026-03-02",
    "channel": "Kompas (national daily)",
    "text": "PT Farma recalls Sirup Parasetamol batch B-01: stop using it, return it.",
    "url": "https://www.kompas.example/recall-b01",
}


async def publish(client, recall_id: int, headers=None, **changes) -> object:
    return await client.post(
        f"/api/recalls/{recall_id}/public-warnings",
        json={**WARNING, **changes},
        headers=headers or await headers_for("qa"),
    )


async def test_a_public_warning_is_recorded_and_listed(client, move_to, world):
    recall_id = world["recall"]["id"]
    response = await publish(client, recall_id)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["published_on"] == "2026-03-02"
    assert body["channel"] == WARNING["channel"] and body["text"] == WARNING["text"]
    assert body["url"] == WARNING["url"] and body["recall_id"] == recall_id
    recall = await recall_read(client, recall_id)
    assert recall["public_warning"] == "none"
    assert recall["public_warnings"] == [body]
    without_url = await publish(client, recall_id, url=None, channel="Radio RRI")
    assert without_url.status_code == 201 and without_url.json()["url"] is None


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://files.example/recall",
        "file:///etc/passwd",
        "//kompas.example/recall",
        "https://",
        "https://exa mple.com/",
        "https:\\\\evil.example",
        "https://kompas.example/\x00",
    ],
)
async def test_only_http_urls(client, move_to, world, url):
    response = await publish(client, world["recall"]["id"], url=url)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "url"
    assert (await recall_read(client, world["recall"]["id"]))["public_warnings"] == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"published_on": "2026-03-03"}, "published_on"),  # tomorrow in Jakarta
        ({"channel": "  "}, "channel"),
        ({"channel": "Kompas\nTempo"}, "channel"),
        ({"text": "   "}, "text"),
        ({"text": "t" * 5001}, "text"),
    ],
)
async def test_bad_warnings_are_refused(client, move_to, world, changes, field):
    response = await publish(client, world["recall"]["id"], **changes)
    assert response.status_code in (400, 422), response.text
    assert response.json()["field"] == field


async def test_proposed_recall_has_no_warning_yet(client, move_to):
    batch = await recent_batch()
    proposed = await propose(client, batch_ids=[batch.id])
    assert (await publish(client, proposed["id"])).status_code == 409


@pytest.mark.parametrize("role", ["distributor", "inspector", "cs"])
async def test_only_qa_staff_record_warnings(client, move_to, world, role):
    code = world["pbf"].code if role == "distributor" else None
    headers = await headers_for(role, consignee_code=code)
    assert (await publish(client, world["recall"]["id"], headers)).status_code == 403


async def test_status_reports_list_warnings_and_submissions(client, move_to, world):
    recall_id = world["recall"]["id"]
    assert (await publish(client, recall_id)).status_code == 201
    move_to(START + 2 * HOUR)
    sent = await submit(client, recall_id, submitted_at=(START + HOUR).isoformat())
    assert sent.status_code == 201, sent.text
    content = await recalls.status_report_content(recall_id, START + 2 * HOUR)
    assert content["public_warning"] == "none"
    (warning,) = content["public_warnings"]
    assert warning["channel"] == WARNING["channel"] and warning["url"] == WARNING["url"]
    (submission,) = content["submissions"]
    assert submission["kind"] == "initial_report" and submission["authority"] == "BPOM"
    assert submission["meets"] == "initial_report" and submission["late"] is False
    initial = next(d for d in content["deadlines"] if d["name"] == "initial_report")
    assert initial["met_at"] is not None and initial["profile"] == "bpom"
    filed = await client.post(
        f"/api/recalls/{recall_id}/status-reports", headers=await headers_for("qa")
    )
    assert filed.status_code == 201, filed.text
    assert filed.json()["content"]["public_warnings"][0]["text"] == WARNING["text"]
