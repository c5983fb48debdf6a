"""What held up in the outside review of the pages, kept by tests that send what an attacker
sent: markup in a complaint or a consignee name is shown as text on every page that shows it
and no page admits inline scripts; cells that would run as spreadsheet formulas are
neutralised in CSV and XLSX downloads; a page form without its own CSRF token is refused; a
session id planted before sign-in is never the signed-in session; a distributor reaches no
other consignee's notice page by its id."""

from __future__ import annotations

import csv
import io
import re

import httpx
import pytest
from openpyxl import load_workbook

from recall import db
from tests.factories import (
    approved_recall,
    headers_for,
    make_consignee,
    make_user,
    recent_batch,
    ship,
)
from tests.pages.helpers import EN, csrf_token, sign_in
from tests.reads import notice_ids
from web.app import create_app
from web.security import PAGE_PATHS, PUBLIC_PATHS

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
PAYLOAD = f"Syrup {IMG} cloudy {SCRIPT}"
# Jinja's autoescape: what the payload must look like in the HTML.
SHOWN = (
    "Syrup &#34;&gt;&lt;img src=x onerror=alert(1)&gt; cloudy &lt;script&gt;alert(1)&lt;/script&gt;"
)


def raw_markup_in(html: str) -> list[str]:
    """Markup of the payload that a browser would run (the escaped text may remain)."""
    return [markup for markup in ("<script", "<img src=x") if markup in html]


# Markup shown as text -------------------------------------------------------------------


@pytest.fixture
async def marked_up(client):
    """A complaint and a consignee whose free text is markup; the consignee got a recall."""
    batch = await recent_batch()
    cs = await headers_for("cs")
    body = {
        "channel": "phone",
        "reporter": {"name": f"Ani {SCRIPT}", "kind": "patient", "contact": IMG},
        "gtin": batch.gtin,
        "batch_no": batch.batch_no,
        "description": PAYLOAD,
        "adverse_event": False,
        "sample_available": True,
    }
    complaint = await client.post("/api/complaints", json=body, headers=cs)
    assert complaint.status_code == 201, complaint.text
    consignee = await make_consignee("PBF-XSS-01", name=PAYLOAD)
    await ship(batch, consignee, 100)
    recall = await approved_recall(client, batch)
    return {
        "batch": batch,
        "complaint": complaint.json(),
        "consignee": consignee,
        "recall": recall,
    }


async def test_markup_in_a_complaint_is_shown_as_text(client, marked_up):
    await sign_in(client, (await make_user("qa")).username)
    complaint = marked_up["complaint"]
    pages = {
        f"/complaints/{complaint['id']}": True,
        "/complaints": False,
        "/complaints?q=cloudy": False,
        "/": False,
    }
    for path, shows_description in pages.items():
        page = await client.get(path, headers=EN)
        assert page.status_code == 200, path
        assert raw_markup_in(page.text) == [], path
        if shows_description:
            assert SHOWN in page.text, path
        assert complaint["reference"] in page.text or path == "/", path


async def test_markup_in_a_consignee_name_is_shown_as_text(client, marked_up):
    await sign_in(client, (await make_user("qa")).username)
    consignee, recall = marked_up["consignee"], marked_up["recall"]
    for path in (
        "/masterdata/consignees",
        f"/masterdata/consignees/{consignee.id}",
        f"/recalls/{recall['id']}",
    ):
        page = await client.get(path, headers=EN)
        assert page.status_code == 200, path
        assert raw_markup_in(page.text) == [], path
        assert SHOWN in page.text, path


def csp_forbids_inline_scripts(policy: str) -> bool:
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    scripts = directives.get("script-src", directives.get("default-src"))
    return scripts is not None and not {"'unsafe-inline'", "*", "'unsafe-eval'"} & set(scripts)


async def test_every_page_forbids_inline_scripts(client, marked_up):
    await sign_in(
        client, (await make_user("qa", "cs", "qa_manager", "inspector", "admin")).username
    )
    paths = [
        "/",
        "/complaints",
        f"/complaints/{marked_up['complaint']['id']}",
        "/complaints/new",
        "/masterdata/consignees",
        f"/masterdata/consignees/{marked_up['consignee'].id}",
        f"/masterdata/batches/{marked_up['batch'].id}",
        "/recalls",
        f"/recalls/{marked_up['recall']['id']}",
        "/investigations",
        "/audit",
        "/login",
    ]
    for path in paths:
        page = await client.get(path, headers=EN)
        assert page.status_code == 200, path
        assert "text/html" in page.headers["content-type"], path
        assert csp_forbids_inline_scripts(page.headers["content-security-policy"]), path
        assert "<script" not in page.text, path  # the pages need no script at all


# Spreadsheet formulas -----------------------------------------------------------------

FORMULAS = [
    '=HYPERLINK("http://evil.example","x")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cells_of(download: httpx.Response, kind: str) -> list[str]:
    if kind == "csv":
        rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"), newline="")))
    else:
        sheet = load_workbook(io.BytesIO(download.content)).active
        rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    return [value for row in rows for value in row if isinstance(value, str)]


def formulas_in(cells: list[str]) -> list[str]:
    return [cell for cell in cells if cell.startswith(FORMULA_START)]


async def test_downloads_never_hold_a_formula(client):
    cs = await headers_for("cs")
    qa = await headers_for("qa")
    for number, formula in enumerate(FORMULAS):
        body = {
            "channel": "phone",
            "reporter": {"name": formula, "kind": "patient", "organization": formula},
            "description": formula,
            "adverse_event": False,
            "sample_available": True,
        }
        answer = await client.post("/api/complaints", json=body, headers=cs)
        assert answer.status_code == 201, (formula, answer.text)
        consignee = {"code": f"PBF-F{number}", "name": formula, "kind": "pbf"}
        answer = await client.post("/api/consignees", json=consignee, headers=qa)
        assert answer.status_code == 201, (formula, answer.text)
    await sign_in(client, (await make_user("qa")).username)
    for path in ("/complaints/export", "/masterdata/consignees/export"):
        for kind in ("csv", "xlsx"):
            download = await client.get(f"{path}?format={kind}", headers=EN)
            assert download.status_code == 200, (path, kind)
            cells = cells_of(download, kind)
            assert formulas_in(cells) == [], (path, kind)
            # The text is all there, behind the quote that keeps it text.
            shown = "\n".join(cells)
            assert 'HYPERLINK("http://evil.example"' in shown, (path, kind)
            assert "cmd|' /C calc'!A0" in shown, (path, kind)


# CSRF ---------------------------------------------------------------------------------


async def test_a_page_form_without_its_own_csrf_token_is_refused(client):
    await sign_in(client, (await make_user("cs")).username)
    form = await client.get("/complaints/new", headers=EN)
    token = csrf_token(form.text)
    fields = {
        "reporter.name": "Ani Wijaya",
        "reporter.kind": "pharmacist",
        "channel": "phone",
        "description": "Forged from another site",
        "sample_available": "true",
    }
    # The attacker's own session gives it a real token, for its own cookie.
    async with httpx.AsyncClient(
        transport=client._transport, base_url="http://testserver"
    ) as attacker:
        attackers_token = csrf_token((await attacker.get("/login")).text)
    forged = {
        "no token": {},
        "empty token": {"_csrf_token": ""},
        "made-up token": {"_csrf_token": "0" * 64},
        "token of another session": {"_csrf_token": attackers_token},
        "own token altered": {
            "_csrf_token": token[:-4] + ("aaaa" if token[-4:] != "aaaa" else "bbbb")
        },
    }
    for name, extra in forged.items():
        answer = await client.post("/complaints", data={**fields, **extra}, headers=EN)
        assert answer.status_code == 403, name
    header = await client.post(
        "/complaints", data=fields, headers={**EN, "x-csrftoken": attackers_token}
    )
    assert header.status_code == 403
    assert await db.fetch("SELECT id FROM complaint") == []
    accepted = await client.post("/complaints", data={**fields, "_csrf_token": token}, headers=EN)
    assert accepted.status_code == 303, accepted.text
    assert len(await db.fetch("SELECT id FROM complaint")) == 1


# Session fixation ---------------------------------------------------------------------


async def test_a_session_id_planted_before_sign_in_never_becomes_the_session(client):
    victim = await make_user("qa")
    async with httpx.AsyncClient(
        transport=client._transport, base_url="http://testserver"
    ) as attacker:
        await attacker.get("/login")
        planted = attacker.cookies.get("recall_session") or "f" * 64
        client.cookies.set("recall_session", planted, domain="testserver.local")
        signed = await sign_in(client, victim.username)
        assert signed.status_code == 303
        assert client.cookies["recall_session"] != planted
        assert (await client.get("/", headers=EN)).status_code == 200
        # The attacker's copy of the planted id is worth nothing.
        attacker.cookies.set("recall_session", planted, domain="testserver.local")
        home = await attacker.get("/", headers=EN)
        assert home.status_code == 303 and home.headers["location"].startswith("/login")


# Another consignee's notice pages -----------------------------------------------------

APP = create_app()
PUBLIC = [re.compile(pattern) for pattern in PUBLIC_PATHS]
PAGE = [re.compile(pattern) for pattern in PAGE_PATHS]


async def test_no_notice_page_or_form_opens_another_consignees_notice(client):
    batch = await recent_batch()
    mine, theirs = await make_consignee("A-PBF"), await make_consignee("B-PBF", name="PBF Lain")
    await ship(batch, mine, 100)
    await ship(batch, theirs, 50)
    await approved_recall(client, batch)
    notices = await notice_ids()
    await sign_in(client, (await make_user("distributor", consignee_code=mine.code)).username)
    own_page = (await client.get(f"/notices/{notices[mine.id]}", headers=EN)).text
    before = await db.fetch("SELECT * FROM notice WHERE id = {}", notices[theirs.id])
    routes = sorted(
        (method, route.path)
        for route in APP.routes
        if route.path.startswith("/notices/{notice_id")
        and any(p.match(route.path) for p in PAGE)
        and not any(p.match(route.path) for p in PUBLIC)
        for method in getattr(route, "methods", ())
        if method not in {"OPTIONS", "HEAD"}
    )
    assert {path.rsplit("}", 1)[-1] for _method, path in routes} >= {
        "",
        "/acknowledge",
        "/stock",
        "/returns",
        "/customers",
    }
    fields = {
        "_csrf_token": csrf_token(own_page),
        "lines[0].batch_no": batch.batch_no,
        "lines[0].quantity_on_hand": "1",
        "lines[0].quantity": "1",
        "customers[0].code": "APT-EVIL-01",
        "customers[0].name": "Apotek Penyusup",
    }
    for method, path in routes:
        for notice_id in (notices[theirs.id], 987_654):
            answer = await client.request(
                method,
                path.replace("{notice_id:int}", str(notice_id)),
                data=fields if method == "POST" else None,
                headers=EN,
            )
            assert answer.status_code == 404, (method, path, answer.status_code)
            assert "PBF Lain" not in answer.text
    assert await db.fetch("SELECT * FROM notice WHERE id = {}", notices[theirs.id]) == before
    assert await db.fetch("SELECT id FROM notice WHERE via_notice = {}", notices[theirs.id]) == []
