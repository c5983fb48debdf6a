"""Bad input never yields 500: JSON nested too deep → 400, dates before 1900 or after 2200
→ 400/422 naming the field; pages answer with the HTML error page, the API with JSON."""

from __future__ import annotations

import pytest

from tests.api.helpers import HEADER, post_csv
from tests.factories import headers_for, make_consignee, make_user, recent_batch
from tests.pages.helpers import EN, csrf_token, sign_in
from web.bad_input import json_too_deep

DEEP = 60_000
FAR_DATES = ["0001-01-01", "9999-12-31", "1899-12-31", "2201-01-01", "00010101"]


def nested(levels: int, inner: bytes = b"1") -> bytes:
    return b"[" * levels + inner + b"]" * levels


def deep_login() -> bytes:
    return b'{"username":"admin","password":"S3cretPassw0rd!","extra":' + nested(DEEP) + b"}"


@pytest.fixture
async def signed_in_qa(client):
    await make_user("qa", "qa_manager", username="siti")
    response = await sign_in(client, "siti")
    assert response.status_code in (302, 303), response.text
    return client


def assert_page(response, status_codes=(400, 422)):
    assert response.status_code in status_codes, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("text/html"), response.text[:300]
    assert "status_code" not in response.text


# Nesting ------------------------------------------------------------------------------


async def test_deeply_nested_login_is_refused_not_a_crash(client):
    response = await client.post(
        "/api/auth/login", content=deep_login(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert "nested" in response.json()["detail"]


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/merge-patch+json", "application/octet-stream"]
)
async def test_deeply_nested_json_under_another_content_type_is_refused(client, content_type):
    # Litestar decodes a JSON parameter whatever the Content-Type header says.
    response = await client.post(
        "/api/auth/login", content=deep_login(), headers={"Content-Type": content_type}
    )
    assert response.status_code == 400, response.text


async def test_deeply_nested_complaint_is_refused(client):
    headers = {**await headers_for("cs"), "Content-Type": "application/json"}
    body = b'{"channel":"phone","description":' + nested(DEEP, b'"x"') + b"}"
    response = await client.post("/api/complaints", content=body, headers=headers)
    assert response.status_code == 400, response.text


async def test_deeply_nested_body_on_a_page_form_gets_the_error_page(signed_in_qa):
    form = await signed_in_qa.get("/complaints/new")
    assert form.status_code == 200
    response = await signed_in_qa.post(
        "/complaints",
        content=b'{"description":' + nested(DEEP) + b"}",
        headers={"Content-Type": "application/json", "X-CSRFToken": csrf_token(form.text), **EN},
    )
    assert_page(response, (400,))


async def test_nesting_up_to_32_levels_is_still_decoded(client):
    headers = {**await headers_for("cs"), "Content-Type": "application/json"}
    body = b'{"channel":"phone","description":' + nested(31, b'"x"') + b"}"  # 32 levels
    response = await client.post("/api/complaints", content=body, headers=headers)
    # Decoded and refused for its shape (400 from the validator), not for its depth.
    assert response.status_code == 400
    assert "nested" not in response.json()["detail"]


def test_depth_ignores_brackets_inside_strings():
    assert not json_too_deep(b'{"a":"' + b"[" * 1000 + b'"}')
    assert not json_too_deep(b'{"a":"\\"' + b"[" * 1000 + b'"}')
    assert json_too_deep(nested(33))
    assert not json_too_deep(nested(32))
    assert json_too_deep(b"[" + b"[1],{}," * 10 + nested(33) + b"]")
    # Closing brackets in strings do not hide real nesting.
    hiding = b"[" * 32 + (b'"' + b"]" * 32 + b'",' + b"[" * 32) * 10 + b"1" + b"]" * 400
    assert json_too_deep(hiding)


# Dates ------------------------------------------------------------------------------


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/audit?since={day}", "since"),
        ("/audit?until={day}", "until"),
        ("/complaints?received_from={day}", "received_from"),
        ("/audit/export?format=csv&since={day}", "since"),
        ("/trends?from={day}", "from"),
    ],
)
async def test_far_dates_on_pages_get_the_error_page(signed_in_qa, path, field, day):
    response = await signed_in_qa.get(path.format(day=day), headers=EN)
    assert_page(response)
    assert field in response.text


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/audit?since={day}", "since"),
        ("/api/complaints?received_from={day}", "received_from"),
        ("/api/complaints/trends?from={day}", "from"),
    ],
)
async def test_far_dates_in_api_queries_name_the_field(client, path, field, day):
    response = await client.get(path.format(day=day), headers=await headers_for("qa"))
    assert response.status_code in (400, 422), response.text
    assert response.json()["field"] == field


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/api/shipments",
            {
                "gtin": "08991234567893",
                "batch_no": "B1",
                "consignee_code": "PBF-1",
                "quantity": 1,
                "shipped_on": "{day}",
            },
            "shipped_on",
        ),
        (
            "/api/investigations/1/capas",
            {"kind": "corrective", "description": "d", "owner": "o", "due_on": "{day}"},
            "due_on",
        ),
        (
            "/api/recalls/1/destructions",
            {
                "batch_no": "B1",
                "quantity": 1,
                "method": "incineration",
                "place": "plant",
                "witness": "w",
                "destroyed_on": "{day}",
            },
            "destroyed_on",
        ),
        (
            "/api/shipments",
            {
                "lines": [{"shipped_on": "{day}T10:00:00+07:00"}],
            },
            "lines[0].shipped_on",
        ),
    ],
)
async def test_far_dates_in_bodies_name_the_field(client, path, body, field, day):
    text = str(body).replace("'", '"').replace("{day}", day)
    headers = {**await headers_for("qa"), "Content-Type": "application/json"}
    response = await client.post(path, content=text, headers=headers)
    assert response.status_code in (400, 422), response.text
    assert response.json()["field"] == field


@pytest.mark.parametrize(
    "moment", ["0001-01-01t00:00:00z", "9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00Z"]
)
async def test_far_moments_in_api_queries_name_the_field(client, moment):
    response = await client.get(
        "/api/audit", params={"since": moment}, headers=await headers_for("qa")
    )
    assert response.status_code in (400, 422), response.text
    assert response.json()["field"] == "since"


async def test_dates_inside_the_range_still_pass_the_guard(client):
    signed_in_qa = await headers_for("qa")
    for query in ("from=1900-01-01&to=1901-12-31", "from=2199-01-01&to=2200-12-31"):
        response = await client.get(f"/api/complaints/trends?{query}", headers=signed_in_qa)
        assert response.status_code == 200, response.text


# Every page, every date parameter ------------------------------------------------------------

DATE_PARAMETERS = ["since", "until", "from", "to", "received_from", "received_to", "on"]


def page_paths() -> list[str]:
    from web.app import create_app

    app = create_app()
    paths = set()
    for route in app.routes:
        if route.path.startswith(("/api", "/schema", "/static", "/metrics", "/health", "/ready")):
            continue
        if "{" in route.path or "GET" not in route.methods:
            continue
        paths.add(route.path)
    return sorted(paths)


@pytest.mark.parametrize("day", FAR_DATES)
async def test_no_page_fails_on_far_dates(signed_in_qa, day):
    query = "&".join(f"{name}={day}" for name in DATE_PARAMETERS)
    for path in page_paths():
        response = await signed_in_qa.get(f"{path}?{query}", headers=EN)
        assert response.status_code < 500, (path, response.status_code, response.text[:300])
        assert not response.headers.get("content-type", "").startswith("application/json"), path


async def test_a_far_date_hidden_in_a_unicode_escape_is_found(client):
    headers = {**await headers_for("qa"), "Content-Type": "application/json"}
    body = b'{"kind":"corrective","description":"d","owner":"o","due_on":"\\u0030001-01-01"}'
    response = await client.post("/api/investigations/1/capas", content=body, headers=headers)
    assert response.status_code in (400, 422), response.text
    assert response.json()["field"] == "due_on"


async def test_a_far_date_in_a_portal_form_gets_the_error_page(client):
    response = await client.post(
        "/portal/notices/not-a-real-token/returns",
        data={"lines[0].destroyed_on": "0001-01-01", "lines[0].quantity": "1"},
        headers=EN,
    )
    assert_page(response)
    assert "lines[0].destroyed_on" in response.text


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
async def test_far_dates_in_a_csv_import_name_the_line_and_field(client, day):

    batch, pbf = await recent_batch(), await make_consignee()
    text = f"{HEADER}\n{batch.gtin},{batch.batch_no},{pbf.code},10,{day},\n"
    response = await post_csv(client, text, await headers_for("qa"))
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert (error["line"], error["detail"].split(":")[0]) == (2, "shipped_on")


async def test_page_errors_are_pages_and_api_errors_are_json(signed_in_qa):
    missing = await signed_in_qa.get("/no-such-page", headers=EN)
    assert_page(missing, (404,))
    wrong_method = await signed_in_qa.delete("/complaints", headers=EN)
    assert_page(wrong_method, (405,))
    api = await signed_in_qa.get("/api/no-such-thing", headers=await headers_for("qa"))
    assert api.status_code == 404
    assert api.json()["status_code"] == 404
