"""Headers and exposure: API answers are not cached or sniffed, HSTS over HTTPS, /metrics
needs a token, /schema loads nothing from third-party origins."""

from __future__ import annotations

import re

import httpx
import pytest

from recall.settings import get_settings
from tests.api.helpers import reported_recall
from tests.factories import headers_for

NO_STORE = "no-store"
HSTS = "max-age=31536000; includeSubDomains"


def assert_private(response: httpx.Response) -> None:
    assert response.headers.get("cache-control") == NO_STORE, dict(response.headers)
    assert response.headers.get("x-content-type-options") == "nosniff", dict(response.headers)


async def test_every_kind_of_api_answer_is_private(client):
    qa = await headers_for("qa")
    answers = [
        await client.get("/api/complaints", headers=qa),  # personal data of reporters
        await client.get("/api/complaints/999999", headers=qa),  # 404
        await client.get("/api/complaints"),  # 401
        await client.get("/api/complaints?limit=0", headers=qa),  # 400
        await client.post("/api/auth/login", json={"username": "x", "password": "y"}),  # 401
        await client.get("/health"),
        await client.get("/schema/openapi.json"),
    ]
    assert [a.status_code for a in answers] == [200, 404, 401, 400, 401, 200, 200]
    for answer in answers:
        assert_private(answer)


async def test_downloads_are_private(client):
    found = await reported_recall(client)
    pdf = await client.get(
        f"/api/recalls/{found['recall']['id']}/report.pdf", headers=await headers_for("qa")
    )
    assert pdf.status_code == 200
    assert_private(pdf)


async def test_hsts_over_https_only(client):
    qa = await headers_for("qa")
    plain = await client.get("/api/complaints", headers=qa)
    assert "strict-transport-security" not in plain.headers
    # Said by the client itself, not by a trusted proxy (uvicorn's forwarded_allow_ips).
    claimed = await client.get("/api/complaints", headers={**qa, "X-Forwarded-Proto": "https"})
    assert "strict-transport-security" not in claimed.headers
    secure = httpx.AsyncClient(transport=client._transport, base_url="https://testserver")
    async with secure:
        for answer in (
            await secure.get("/api/complaints", headers=qa),
            await secure.get("/login"),
            await secure.get("/api/nothing-here"),
        ):
            assert answer.headers.get("strict-transport-security") == HSTS


async def test_a_request_id_is_echoed_or_made(client):
    mine = await client.get("/health", headers={"X-Request-ID": "abc-12345678"})
    assert mine.headers["x-request-id"] == "abc-12345678"
    forged = await client.get("/health", headers={"X-Request-ID": "x\ninjected: yes" + "a" * 80})
    assert re.fullmatch(r"[0-9a-f]{32}", forged.headers["x-request-id"])


# /metrics ------------------------------------------------------------------------------


@pytest.fixture
def metrics_token(monkeypatch):
    token = "metrics-" + "z" * 40
    monkeypatch.setenv("RECALL_METRICS_TOKEN", token)
    get_settings.cache_clear()
    yield token
    monkeypatch.delenv("RECALL_METRICS_TOKEN")
    get_settings.cache_clear()


async def test_metrics_need_an_admin_or_the_metrics_token(client, metrics_token):
    assert (await client.get("/metrics")).status_code == 401
    wrong = {"Authorization": "Bearer " + metrics_token[:-1] + "y"}
    assert (await client.get("/metrics", headers=wrong)).status_code == 401
    assert (await client.get("/metrics", headers=await headers_for("qa"))).status_code == 401
    admin = await client.get("/metrics", headers=await headers_for("admin"))
    assert admin.status_code == 200
    assert "recall_" in admin.text
    scraper = await client.get("/metrics", headers={"Authorization": f"Bearer {metrics_token}"})
    assert scraper.status_code == 200


async def test_the_schema_says_metrics_need_a_token(client):
    document = (await client.get("/schema/openapi.json")).json()
    assert "401" in document["paths"]["/metrics"]["get"]["responses"]


async def test_without_a_metrics_token_set_an_empty_bearer_is_refused(client):
    assert get_settings().metrics_token == ""
    assert (await client.get("/metrics", headers={"Authorization": "Bearer "})).status_code == 401
    assert (await client.get("/metrics", headers={"Authorization": "Bearer x"})).status_code == 401


# /schema -------------------------------------------------------------------------------

ATTRIBUTE = re.compile(r"""(?:src|href)\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)
ORIGIN = re.compile(r"^(?:https?:)?//", re.IGNORECASE)
VIEWERS = ["", "/swagger", "/redoc", "/elements", "/rapidoc", "/scalar", "/openapi.json"]


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_schema_loads_nothing_from_other_origins(client, viewer):
    response = await client.get(f"/schema{viewer}")
    assert response.status_code in (200, 404), response.text[:200]
    if response.headers.get("content-type", "").startswith("text/html"):
        foreign = [
            url
            for url in ATTRIBUTE.findall(response.text)
            if ORIGIN.match(url) and not url.split("//", 1)[1].startswith("testserver")
        ]
        assert foreign == []
        assert "cdn" not in response.text.lower()


async def test_the_schema_document_is_served(client):
    document = (await client.get("/schema/openapi.json")).json()
    assert document["openapi"].startswith("3.")
    assert "/api/complaints" in document["paths"]
