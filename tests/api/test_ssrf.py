"""SSRF through webhook destinations: whoever may enter a webhook URL (staff, a distributor
naming its customers on the API or its pages, anyone holding a portal link) cannot point the
worker at an address inside the plant's network, however the host is written or resolves."""

from __future__ import annotations

import re
import socket

import pytest

from recall import db, notices
from tests.factories import (
    approved_recall,
    headers_for,
    make_consignee,
    make_user,
    recent_batch,
    ship,
)
from tests.pages.helpers import EN, csrf_token, sign_in
from tests.workers.delivery_setup import FakeSender, deliver_jobs

# As the review sent them, and the other ways of naming the same places.
ATTACKS = [
    "http://127.1:19999/x",
    "http://0x7f.1/",
    "http://127.0.1/",
    "http://0x7f.0.0.1/",
    "http://2130706433/",
    "http://0177.0.0.1/",
    "http://[::ffff:127.0.0.1]/",
    "http://localhost./",
    "http://admin.localhost/",
    "http://169.254.169.254/latest",
    "http://[::1]/",
    "http://100.64.0.1/",
    "http://10.0.0.1/",
    "http://[fe80::1%25eth0]/",
    "http://[64:ff9b::7f00:1]/",
    "http://erp.internal/hook",
]
# Names a DNS server the attacker controls answers with internal addresses.
INTERNAL_NAMES = {
    "loopback.attacker.example": ["127.0.0.1"],
    "metadata.attacker.example": ["169.254.169.254"],
    "mixed.attacker.example": ["93.184.216.34", "10.1.2.3"],
    "v6.attacker.example": ["::1"],
}
PUBLIC_NAME = "hooks.apotek.example"

pytestmark = pytest.mark.usefixtures("public_webhooks_only", "attacker_dns")


@pytest.fixture
def attacker_dns(monkeypatch):
    """The system resolver answers the attacker's names (and one public name) as its DNS would."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host)
        answers = {**INTERNAL_NAMES, PUBLIC_NAME: ["93.184.216.34"]}.get(name.lower())
        if answers is None:
            return real(host, port, *args, **kwargs)
        return [
            (
                socket.AF_INET6 if ":" in ip else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (ip, port or 0, 0, 0) if ":" in ip else (ip, port or 0),
            )
            for ip in answers
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
async def pbf_notice(client):
    """A PBF received 1000 of a batch; the retail recall is approved; its notice, and the
    portal link from the e-mail it was sent."""
    batch = await recent_batch()
    pbf = await make_consignee("S-PBF", name="PBF Sasaran")
    await ship(batch, pbf, 1000)
    await approved_recall(client, batch)
    (row,) = await db.fetch("SELECT id FROM notice WHERE consignee = {}", pbf.id)
    mailbox = FakeSender()
    for outbox_id in await deliver_jobs():
        await notices.deliver(outbox_id, mailbox)
    (mail,) = mailbox.mails
    link = re.search(r"/portal/notices/[A-Za-z0-9_-]+", mail.get_body(("plain",)).get_content())
    assert link
    return {"batch": batch, "pbf": pbf, "id": row["id"], "link": link[0]}


def customer(batch, url: str, code: str = "X-APT") -> dict:
    return {
        "code": code,
        "name": "Apotek X",
        "kind": "pharmacy",
        "batch_no": batch.batch_no,
        "quantity": 5,
        "webhook_url": url,
    }


def as_form(entry: dict) -> dict[str, str]:
    return {f"consignees[0].{name}": str(value) for name, value in entry.items()}


async def stored(code: str) -> int:
    rows = await db.fetch("SELECT COUNT(*) AS n FROM consignee WHERE code = {}", code)
    return int(rows[0]["n"])


async def tier_two_notices() -> int:
    return int((await db.fetch("SELECT COUNT(*) AS n FROM notice WHERE tier = 2"))[0]["n"])


# A distributor naming its customers on the API ------------------------------------------


async def test_a_distributor_cannot_name_a_customer_with_an_internal_webhook(client, pbf_notice):
    headers = await headers_for("distributor", consignee_code=pbf_notice["pbf"].code)
    path = f"/api/notices/{pbf_notice['id']}/sub-consignees"
    bad = [*ATTACKS, *(f"https://{name}/hook" for name in INTERNAL_NAMES)]
    for url in bad:
        fine = customer(pbf_notice["batch"], "https://hooks.example/ok", code="OK-APT")
        body = {"consignees": [fine, customer(pbf_notice["batch"], url)]}
        response = await client.post(path, json=body, headers=headers)
        assert response.status_code == 422, (url, response.text)
        assert response.json()["field"] == "consignees[1].webhook_url", url
        assert "not a public address" in response.json()["detail"], url
    assert await stored("X-APT") == await stored("OK-APT") == 0
    assert await tier_two_notices() == 0

    # Public addresses, and names that do not resolve now (DNS may be down), are accepted.
    for code, url in (
        ("P-APT", f"https://{PUBLIC_NAME}/recall"),
        ("Q-APT", "http://93.184.216.34:8080/hook"),
        ("R-APT", "https://not-resolvable.example/hook"),
    ):
        body = {"consignees": [customer(pbf_notice["batch"], url, code=code)]}
        response = await client.post(path, json=body, headers=headers)
        assert response.status_code == 201, (url, response.text)


# The same through the portal link, without signing in --------------------------------------


async def test_a_portal_link_cannot_name_a_customer_with_an_internal_webhook(client, pbf_notice):
    path = f"{pbf_notice['link']}/customers"
    for url in [*ATTACKS, "https://loopback.attacker.example/x"]:
        response = await client.post(
            path, data=as_form(customer(pbf_notice["batch"], url)), headers=EN
        )
        assert response.status_code == 422, (url, response.text[:300])
        assert "<code>consignees[0].webhook_url</code>" in response.text, url
    assert await stored("X-APT") == 0
    assert await tier_two_notices() == 0


async def test_the_distributor_pages_cannot_name_a_customer_with_an_internal_webhook(
    client, pbf_notice
):
    user = await make_user("distributor", consignee_code=pbf_notice["pbf"].code)
    await sign_in(client, user.username)
    page_path = f"/notices/{pbf_notice['id']}"
    for url in ["http://127.1:19999/x", "http://[::1]/", "https://loopback.attacker.example/"]:
        page = (await client.get(page_path, headers=EN)).text
        fields = {"_csrf_token": csrf_token(page), **as_form(customer(pbf_notice["batch"], url))}
        key = re.search(r'name="form_key" value="([^"]+)"', page)
        if key:
            fields["form_key"] = key[1]
        response = await client.post(f"{page_path}/customers", data=fields, headers=EN)
        assert response.status_code == 422, (url, response.text[:300])
        assert "consignees[0].webhook_url" in response.text, url
    assert await stored("X-APT") == 0


# Staff entering a consignee ----------------------------------------------------------------


async def test_staff_cannot_enter_a_consignee_with_an_internal_webhook(client):
    headers = await headers_for("qa")
    for url in [*ATTACKS, *(f"https://{name}/hook" for name in INTERNAL_NAMES)]:
        body = {"code": "EVIL-1", "name": "PBF Evil", "kind": "pbf", "webhook_url": url}
        response = await client.post("/api/consignees", json=body, headers=headers)
        assert response.status_code == 422, (url, response.text)
        assert response.json()["field"] == "webhook_url", url
    assert await stored("EVIL-1") == 0

    body = {"code": "GOOD-1", "name": "PBF Baik", "kind": "pbf"}
    response = await client.post(
        "/api/consignees",
        json={**body, "webhook_url": f"https://{PUBLIC_NAME}/recall"},
        headers=headers,
    )
    assert response.status_code == 201, response.text


async def test_the_master_data_page_refuses_an_internal_webhook(client):
    user = await make_user("qa")
    await sign_in(client, user.username)
    for url in ["http://169.254.169.254/latest", "http://0x7f.1/", "https://v6.attacker.example/"]:
        form = await client.get("/masterdata/consignees", headers=EN)
        data = {"code": "EVIL-2", "name": "PBF Evil", "kind": "pbf", "webhook_url": url}
        response = await client.post(
            "/masterdata/consignees",
            data={**data, "_csrf_token": csrf_token(form.text)},
            headers=EN,
        )
        assert response.status_code == 422, url
        field = re.search(r'<input[^>]*name="webhook_url"[^>]*>', response.text, re.S)
        assert field and 'aria-invalid="true"' in field[0], url
    assert await stored("EVIL-2") == 0
