"""A signed-in distributor's notice pages: its own notices only, answered like on the portal,
and its customers named through the cascade; the portal names customers the same way."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from recall import clock, db, masterdata, notices
from recall.clock import today
from tests.factories import (
    approved_recall,
    make_batch,
    make_consignee,
    make_user,
    recent_batch,
    ship,
)
from tests.pages.helpers import EN, csrf_token, sign_in
from tests.reads import lines, notice_ids, notice_row, trail


@pytest.fixture
async def world(client):
    """Two batches shipped to a PBF, one to another PBF; the recall (retail depth) is approved."""
    first = await recent_batch()
    second = await make_batch(
        manufactured_on=today() - timedelta(days=60), expires_on=today() + timedelta(days=650)
    )
    pbf = await make_consignee("A-PBF", name="PBF Sehat Sentosa")
    rival = await make_consignee("B-PBF", name="PBF Lain")
    await ship(first, pbf, 120)
    await ship(second, pbf, 30)
    await ship(first, rival, 10)
    recall = await approved_recall(client, first, batch_ids=[first.id, second.id])
    ids = await notice_ids()
    user = await make_user("distributor", consignee_code=pbf.code)
    other = await make_user("distributor", consignee_code=rival.code)
    return {
        "first": first,
        "second": second,
        "pbf": pbf,
        "rival": rival,
        "recall": recall,
        "notice": ids[pbf.id],
        "rival_notice": ids[rival.id],
        "user": user,
        "other": other,
        "rows": {"lines[0].batch_no": first.batch_no, "lines[1].batch_no": second.batch_no},
    }


async def post(client, path: str, data: dict, page: str | None = None):
    """Post a page form with the CSRF token and form key of the page it came from."""
    html = page or (await client.get(path.rsplit("/", 1)[0], headers=EN)).text
    key = re.search(r'name="form_key" value="([^"]+)"', html)
    fields = {"_csrf_token": csrf_token(html), **data}
    if key:
        fields["form_key"] = key[1]
    return await client.post(path, data=fields, headers=EN)


async def test_the_list_shows_only_own_notices(client, world):
    await sign_in(client, world["user"].username)
    response = await client.get("/notices", headers=EN)
    assert response.status_code == 200
    html = response.text
    assert "<title>Your recall notices · Recall</title>" in html
    assert f'href="/notices/{world["notice"]}"' in html
    assert f'href="/notices/{world["rival_notice"]}"' not in html
    assert world["recall"]["reference"] in html
    assert "Awaiting your acknowledgement" in html
    assert world["first"].batch_no in html and world["second"].batch_no in html
    assert "overdue" not in html


async def test_an_answer_past_its_deadline_is_marked_overdue(client, world):
    await db.fetch(
        "UPDATE recall_deadline SET due_at = {} WHERE recall = {}",
        clock.now() - timedelta(days=1),
        world["recall"]["id"],
    )
    await sign_in(client, world["user"].username)
    listed = (await client.get("/notices", headers=EN)).text
    assert '<tr class="overdue">' in listed and "· overdue" in listed
    shown = (await client.get(f"/notices/{world['notice']}", headers=EN)).text
    assert '<dd class="overdue">' in shown


async def test_another_consignees_notice_is_not_found(client, world):
    await sign_in(client, world["user"].username)
    for notice_id in (world["rival_notice"], 987654):
        response = await client.get(f"/notices/{notice_id}", headers=EN)
        assert response.status_code == 404
        assert "Not found" in response.text
        assert "PBF Lain" not in response.text
    page = (await client.get(f"/notices/{world['notice']}", headers=EN)).text
    for form in ("acknowledge", "stock", "customers"):
        data = {"lines[0].batch_no": world["first"].batch_no, "lines[0].quantity_on_hand": "1"}
        response = await post(client, f"/notices/{world['rival_notice']}/{form}", data, page)
        assert response.status_code == 404, form
    assert (await notice_row(world["rival_notice"]))["acknowledged_at"] is None
    assert await trail(client, world["rival_notice"]) == []


async def test_the_notice_page_shows_the_recall_and_what_was_received(client, world):
    await sign_in(client, world["user"].username)
    response = await client.get(f"/notices/{world['notice']}", headers=EN)
    assert response.status_code == 200
    html = response.text
    assert f"<title>{world['recall']['reference']} · Recall</title>" in html
    assert "Drug recall notice" in html
    assert "Class I: may cause serious harm or death" in html
    assert "PBF Sehat Sentosa" in html and "(A-PBF)" in html
    assert ">120<" in html and ">30<" in html
    assert ">Acknowledge</button>" in html
    assert html.count(">Submit</button>") == 3  # stock, returns, customers
    assert 'name="_csrf_token"' in html
    assert "Your customers to notify" in html
    assert "You have not named any customers for this notice yet." in html


async def test_the_notice_page_in_indonesian(client, world):
    await sign_in(client, world["user"].username)
    html = (await client.get(f"/notices/{world['notice']}")).text
    assert "Pemberitahuan penarikan obat" in html
    assert ">Konfirmasi</button>" in html and ">Kirim</button>" in html
    assert "/ Drug recall notice" not in html  # one language on the signed-in pages


async def test_acknowledge_report_stock_and_returns(client, world):
    await sign_in(client, world["user"].username)
    notice = world["notice"]
    path = f"/notices/{notice}"

    response = await post(client, f"{path}/acknowledge", {})
    assert response.status_code == 303
    assert response.headers["location"] == f"{path}?done=acknowledged"
    shown = (await client.get(response.headers["location"], headers=EN)).text
    assert "Thank you, your acknowledgement is recorded." in shown
    assert ">Acknowledge</button>" not in shown

    stock = {**world["rows"], "lines[0].quantity_on_hand": "100", "lines[0].quarantined": "100"}
    response = await post(client, f"{path}/stock", stock)
    assert response.status_code == 303
    assert response.headers["location"] == f"{path}?done=stock"

    returns = {**world["rows"], "lines[1].quantity": "7"}
    response = await post(client, f"{path}/returns", returns)
    assert response.status_code == 303
    assert response.headers["location"] == f"{path}?done=returns"

    row = await notice_row(notice)
    assert row["status"] == "responded"
    assert await lines(notice) == {
        world["first"].batch_no: {"on_hand": 100, "quarantined": 100, "returned": 0},
        world["second"].batch_no: {"on_hand": None, "quarantined": None, "returned": 7},
    }
    assert sorted(await trail(client, notice)) == [
        "acknowledged",
        "returns_recorded",
        "stock_reported",
    ]
    (entry,) = await db.fetch(
        "SELECT actor_name FROM audit_entry WHERE action = 'acknowledged' AND entity_id = {}",
        str(notice),
    )
    assert entry["actor_name"] == f"{world['user'].full_name} ({world['user'].username})"


async def test_a_double_submit_is_recorded_once(client, world):
    await sign_in(client, world["user"].username)
    path = f"/notices/{world['notice']}"
    page = (await client.get(path, headers=EN)).text
    returns = {**world["rows"], "lines[0].quantity": "5"}
    for _ in range(2):
        response = await post(client, f"{path}/returns", returns, page)
        assert response.status_code == 303
    assert (await lines(world["notice"]))[world["first"].batch_no]["returned"] == 5


@pytest.mark.parametrize(
    ("form", "data", "field"),
    [
        ("stock", {"lines[0].quantity_on_hand": "ten"}, "lines[0].quantity_on_hand"),
        ("stock", {"lines[1].quantity_on_hand": "5", "lines[1].quarantined": "6"},
         "lines[1].quarantined"),
        ("stock", {}, "lines"),
        ("returns", {"lines[1].quantity": "-3"}, "lines[1].quantity"),
        ("returns", {"scans": "not a barcode"}, "scans[0]"),
    ],
)  # fmt: skip
async def test_bad_answers_are_marked_and_nothing_is_stored(client, world, form, data, field):
    await sign_in(client, world["user"].username)
    response = await post(client, f"/notices/{world['notice']}/{form}", {**world["rows"], **data})
    assert response.status_code == 422
    html = response.text
    assert f"<code>{field}</code>" in html
    assert "Not saved, please check" in html
    if field.startswith("lines["):
        assert re.search(rf'name="{re.escape(field)}"[^>]*aria-invalid="true"', html, re.S)
    for value in data.values():
        assert value in html  # what was typed is kept
    assert await trail(client, world["notice"]) == []
    assert (await notice_row(world["notice"]))["status"] != "responded"


def customer(row: int, **values: str) -> dict[str, str]:
    return {f"consignees[{row}].{name}": value for name, value in values.items()}


async def test_naming_customers_gives_them_tier_two_notices(client, world):
    await sign_in(client, world["user"].username)
    path = f"/notices/{world['notice']}"
    first, second = world["first"].batch_no, world["second"].batch_no
    named = {
        **customer(0, code="C-APT", name="Apotek Cempaka", kind="pharmacy", batch_no=first,
                   quantity="40", webhook_url="https://cempaka.example/recall"),
        **customer(1, code="", name="", kind="", batch_no="", quantity=""),  # a blank row
        **customer(2, code="D-RS", name="RS Dahlia", kind="hospital", batch_no=second,
                   quantity="12", email="farmasi@dahlia.example", country="sg"),
    }  # fmt: skip
    response = await post(client, f"{path}/customers", named)
    # A new customer with a webhook: its secret is shown this once, on this answer only.
    assert response.status_code == 200
    (cempaka,) = await db.fetch("SELECT id, webhook_secret FROM consignee WHERE code = 'C-APT'")
    secret = masterdata.open_webhook_secret(cempaka["webhook_secret"])
    assert "shown only this once" in response.text
    assert secret in response.text and cempaka["webhook_secret"] not in response.text
    assert "Your customers are recorded" in response.text

    rows = await db.fetch(
        "SELECT c.code AS code, n.tier AS tier, n.via_notice AS via FROM notice n "
        "JOIN consignee c ON c.id = n.consignee WHERE n.tier = 2 ORDER BY c.code"
    )
    assert [(row["code"], row["tier"], row["via"]) for row in rows] == [
        ("C-APT", 2, world["notice"]),
        ("D-RS", 2, world["notice"]),
    ]
    # Without a country a customer is in the namer's; a typed code is read in any case.
    countries = await db.fetch(
        "SELECT code, country FROM consignee WHERE code IN ('C-APT', 'D-RS')"
    )
    assert sorted((row["code"], row["country"]) for row in countries) == [
        ("C-APT", "ID"),
        ("D-RS", "SG"),
    ]
    shown = (await client.get(path, headers=EN)).text
    assert secret not in shown
    listed = shown[shown.index("Customers you named") :]
    assert "Apotek Cempaka" in listed and "RS Dahlia" in listed
    assert f"{first}: 40" in listed and f"{second}: 12" in listed
    assert ">Pharmacy<" in listed and ">Hospital<" in listed
    assert "sub_consignees_named" in await trail(client, world["notice"])

    # Naming without a new webhook goes back to the page.
    again = customer(0, code="E-KLN", name="Klinik Eka", kind="clinic", batch_no=first,
                     quantity="3")  # fmt: skip
    response = await post(client, f"{path}/customers", again)
    assert response.status_code == 303
    assert response.headers["location"] == f"{path}?done=customers"


@pytest.mark.parametrize(
    ("rows", "field"),
    [
        ({0: {"kind": "spaceship"}}, "consignees[0].kind"),
        ({0: {"quantity": "121"}}, "consignees[0].quantity"),
        ({0: {"batch_no": "NOPE"}}, "consignees[0].batch_no"),
        ({0: {"code": ""}}, "consignees[0].code"),
        ({2: {"webhook_url": "http://10.1.2.3/hook"}}, "consignees[2].webhook_url"),
        ({3: {"quantity": "many"}}, "consignees[3].quantity"),
        ({1: {"country": "Atlantis"}}, "consignees[1].country"),
    ],
)
async def test_bad_customers_are_marked_and_nothing_is_stored(client, world, rows, field):
    await sign_in(client, world["user"].username)
    data: dict[str, str] = {}
    for row, changes in rows.items():
        values = {"code": f"X-{row}", "name": "Apotek X", "kind": "pharmacy",
                  "batch_no": world["first"].batch_no, "quantity": "5", **changes}  # fmt: skip
        data.update(customer(row, **values))
    if field == "consignees[0].code":
        data = customer(0, code="", name="", kind="", batch_no="", quantity="")
    consignees = await db.fetch("SELECT COUNT(*) AS n FROM consignee")
    response = await post(client, f"/notices/{world['notice']}/customers", data)
    assert response.status_code == 422
    html = response.text
    assert f"<code>{field}</code>" in html
    assert re.search(rf'name="{re.escape(field)}"[^>]*aria-invalid="true"', html, re.S)
    if field != "consignees[0].code":
        assert "<details open>" in html or field.startswith("consignees[0]")
    assert await db.fetch("SELECT COUNT(*) AS n FROM consignee") == consignees
    assert await db.fetch("SELECT id FROM notice WHERE tier = 2") == []
    assert await trail(client, world["notice"]) == []


async def test_a_wholesale_recall_does_not_reach_pharmacies(client):
    batch = await make_batch()
    pbf = await make_consignee("W-PBF")
    await ship(batch, pbf, 50)
    await approved_recall(client, batch, depth="wholesale")
    (notice,) = await db.fetch("SELECT id FROM notice")
    user = await make_user("distributor", consignee_code=pbf.code)
    await sign_in(client, user.username)
    data = customer(0, code="P-1", name="Apotek P", kind="pharmacy", batch_no=batch.batch_no,
                    quantity="5")  # fmt: skip
    response = await post(client, f"/notices/{notice['id']}/customers", data)
    assert response.status_code == 422
    assert "<code>consignees[0].kind</code>" in response.text
    assert "does not reach pharmacy" in response.text
    assert await db.fetch("SELECT id FROM consignee WHERE code = 'P-1'") == []


@pytest.mark.parametrize("token", ["forged-token", None])
async def test_a_form_without_a_valid_csrf_token_is_refused(client, world, token):
    await sign_in(client, world["user"].username)
    await client.get(f"/notices/{world['notice']}")
    data = {"_csrf_token": token} if token else {}
    response = await client.post(f"/notices/{world['notice']}/acknowledge", data=data, headers=EN)
    assert response.status_code == 403
    assert "This form has expired" in response.text
    assert (await notice_row(world["notice"]))["acknowledged_at"] is None
    assert await trail(client, world["notice"]) == []


@pytest.mark.parametrize("role", ["qa", "cs", "inspector"])
async def test_other_roles_have_no_notice_pages(client, world, role):
    user = await make_user(role)
    await sign_in(client, user.username)
    for path in ("/notices", f"/notices/{world['notice']}"):
        response = await client.get(path, headers=EN)
        assert response.status_code == 403
        assert "Not allowed" in response.text


async def test_the_portal_names_customers_too(client, world):
    url = f"/portal/notices/{await notices.portal_token(world['notice'])}"
    page = (await client.get(url)).text
    assert "Pelanggan Anda yang perlu diberi tahu" in page and "Your customers to notify" in page
    data = customer(0, code="F-APT", name="Apotek Flamboyan", kind="pharmacy",
                    batch_no=world["first"].batch_no, quantity="20")  # fmt: skip
    key = re.search(r'name="form_key" value="([^"]+)"', page)[1]
    response = await client.post(f"{url}/customers", data={**data, "form_key": key})
    assert response.status_code == 303
    assert response.headers["location"] == f"{url}?done=customers"
    shown = (await client.get(response.headers["location"])).text
    assert "Pelanggan Anda tercatat" in shown and "Your customers are recorded" in shown
    assert "Apotek Flamboyan" in shown
    (tier_two,) = await db.fetch("SELECT tier, via_notice FROM notice WHERE tier = 2")
    assert tier_two["via_notice"] == world["notice"]

    bad = customer(0, code="G-APT", name="Apotek G", kind="castle",
                   batch_no=world["first"].batch_no, quantity="2")  # fmt: skip
    response = await client.post(f"{url}/customers", data=bad)
    assert response.status_code == 422
    assert "<code>consignees[0].kind</code>" in response.text


async def test_a_closed_recall_takes_no_more_answers(client, world):
    await sign_in(client, world["user"].username)
    page = (await client.get(f"/notices/{world['notice']}", headers=EN)).text
    await db.fetch("UPDATE recall SET status = 'closed' WHERE id = {}", world["recall"]["id"])
    response = await post(client, f"/notices/{world['notice']}/acknowledge", {}, page)
    assert response.status_code == 409
    assert "Not saved" in response.text
    assert (await notice_row(world["notice"]))["acknowledged_at"] is None


async def test_errors_are_shown_in_the_readers_language(client, world):
    await sign_in(client, world["user"].username)
    path = f"/notices/{world['notice']}"
    html = (await client.get(path)).text
    data = {**world["rows"], "lines[0].quantity_on_hand": "5", "lines[0].quarantined": "6"}
    response = await client.post(f"{path}/stock", data={**data, "_csrf_token": csrf_token(html)})
    assert response.status_code == 422
    assert "tidak boleh melebihi stok yang ada" in response.text
    token = await notices.portal_token(world["notice"])
    portal = await client.post(f"/portal/notices/{token}/stock", data=data)
    assert "tidak boleh melebihi stok yang ada / must not exceed quantity_on_hand" in portal.text
