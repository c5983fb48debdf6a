"""A huge CSV import (finding 12): the answer lists the first 1,000 problems and counts them
all, stores nothing, and the service keeps answering other requests while the file is read
and checked; a good file still imports. The page upload keeps the same cap."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

from recall import masterdata
from recall.clock import today
from tests.factories import headers_for, make_batch, make_consignee, make_user
from tests.pages.helpers import csrf_token, sign_in
from web.pages.masterdata_imports import imports_running

HEADER = "gtin,batch_no,consignee_code,quantity,shipped_on,from_consignee_code"
BAD_LINES = 200_000
CAP = 1000


async def bad_file(lines: int = BAD_LINES) -> bytes:
    """A file whose every line names a real batch and consignee but no number of units."""
    batch = await make_batch()
    pbf = await make_consignee()
    shipped_on = today() - timedelta(days=1)
    bad = f"{batch.gtin},{batch.batch_no},{pbf.code},zero,{shipped_on},"
    return ("\n".join([HEADER] + [bad] * lines) + "\n").encode()


async def post_csv(client, body: bytes | AsyncIterator[bytes], headers: dict[str, str]):
    return await client.post(
        "/api/shipments/import",
        content=body,
        headers={**headers, "Content-Type": "text/csv"},
        timeout=300,
    )


async def test_two_hundred_thousand_bad_lines_list_the_first_thousand_and_count_all(client):
    qa = await headers_for("qa")
    answer = await post_csv(client, await bad_file(), qa)
    assert answer.status_code == 422, answer.text[:300]
    body = answer.json()
    assert body["imported"] == 0
    assert body["error_count"] == BAD_LINES
    assert len(body["errors"]) == CAP
    # The first problems by line: lines 2 to 1,001 (line 1 is the header).
    assert [error["line"] for error in body["errors"]] == list(range(2, CAP + 2))
    assert all(error["detail"].startswith("quantity: ") for error in body["errors"])
    assert str(BAD_LINES) in body["detail"]
    assert (await client.get("/api/shipments", headers=qa)).json()["total"] == 0
    trail = await client.get("/api/audit?entity=shipment_import", headers=qa)
    assert trail.json()["total"] == 0


async def test_health_answers_while_a_large_import_is_read_and_checked(client):
    """/health, asked once the import's body has been taken in, answers before the import."""
    qa = await headers_for("qa")
    content = await bad_file()
    taken_in = asyncio.Event()
    order: list[str] = []

    async def body() -> AsyncIterator[bytes]:
        for start in range(0, len(content), 1 << 20):
            yield content[start : start + (1 << 20)]
        taken_in.set()  # the app asked past the last chunk: the whole file is in

    async def importing() -> None:
        answer = await post_csv(client, body(), qa)
        assert answer.status_code == 422
        order.append("import")

    async def health() -> None:
        await taken_in.wait()
        answer = await client.get("/health")
        assert answer.status_code == 200
        order.append("health")

    await asyncio.gather(importing(), health())
    assert order == ["health", "import"]


async def test_a_file_with_bad_lines_and_one_good_line_stores_nothing(client):
    """All or nothing also holds when the problems are found against the database."""
    qa = await headers_for("qa")
    batch = await make_batch()
    pbf = await make_consignee()
    shipped_on = today() - timedelta(days=1)
    lines = [HEADER, f"{batch.gtin},{batch.batch_no},{pbf.code},5,{shipped_on},"]
    lines += [f"{batch.gtin},{batch.batch_no},GHOST-{n},5,{shipped_on}," for n in range(1500)]
    answer = await post_csv(client, "\n".join(lines).encode(), qa)
    assert answer.status_code == 422
    body = answer.json()
    assert (body["error_count"], len(body["errors"])) == (1500, CAP)
    assert body["errors"][0] == {
        "line": 3,
        "detail": "consignee_code: no consignee with code 'GHOST-0'",
    }
    assert (await client.get("/api/shipments", headers=qa)).json()["total"] == 0


async def test_the_schema_documents_error_count(client):
    schema = (await client.get("/schema/openapi.json")).json()
    operation = schema["paths"]["/api/shipments/import"]["post"]
    for status in ("200", "422"):
        reference = operation["responses"][status]["content"]["application/json"]["schema"]
        name = reference["$ref"].rsplit("/", 1)[-1]
        model = schema["components"]["schemas"][name]
        assert model["properties"]["error_count"]["type"] == "integer", name
        assert "error_count" in model["required"], name
    assert "error_count" in operation["description"]


async def test_the_page_upload_keeps_the_first_thousand_and_shows_the_total(client):
    await sign_in(client, (await make_user("qa")).username)
    content = await bad_file(2500)
    form = await client.get("/masterdata/shipments/import")
    answer = await client.post(
        "/masterdata/shipments/import",
        data={"_csrf_token": csrf_token(form.text)},
        files={"file": ("big.csv", content, "text/csv")},
        headers={"Accept-Language": "en"},
    )
    assert answer.status_code == 303
    location = answer.headers["location"]
    await imports_running()
    item = await masterdata.get_shipment_import(int(location.rsplit("/", 1)[-1]))
    assert item.error_count == 2500
    kept, listed = await masterdata.import_errors(item.id, 0)
    assert listed == CAP and kept[-1].line == CAP + 1
    page = await client.get(location, headers={"Accept-Language": "en"})
    assert "Nothing was imported: 2,500 problems found." in page.text
    assert "Only the first 1,000 problems are listed." in page.text
    assert "1\u2013500 of 1000" in page.text
    second = await client.get(f"{location}?offset=500", headers={"Accept-Language": "en"})
    assert "501\u20131000 of 1000" in second.text and "?offset=1000" not in second.text
    download = await client.get(f"{location}/errors?format=csv", headers={"Accept-Language": "en"})
    assert len(download.content.decode("utf-8-sig").strip().splitlines()) == CAP + 1
    assert (await masterdata.list_shipments())[1] == 0
