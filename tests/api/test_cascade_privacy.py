"""Naming customers never shows the namer another consignee's data (finding 7).

The review named `PBF-SBY-001` (another distributor) as a customer and got back its stored
name and that distributor's notice ids. Now every answer and page the namer sees echoes
what the namer sent; only customers it created itself show their notices.
"""

from __future__ import annotations

import re

from recall import db, notices
from tests.api.helpers import entry, name
from tests.factories import headers_for, make_user
from tests.pages.helpers import sign_in


async def notice_of(code: str) -> int:
    (row,) = await db.fetch(
        "SELECT n.id AS id FROM notice n JOIN consignee c ON c.id = n.consignee WHERE c.code = {}",
        code,
    )
    return int(row["id"])


async def everything_the_namer_sees(client, chain) -> str:
    notice_id = chain["notice"]["id"]
    listed = await client.get(chain["path"], headers=chain["headers"])
    assert listed.status_code == 200, listed.text
    clerk = await make_user("distributor", consignee_code=chain["pbf"].code)
    await sign_in(client, clerk.username)
    page = await client.get(f"/notices/{notice_id}")
    assert page.status_code == 200, page.text[:300]
    portal = await client.get(f"/portal/notices/{await notices.portal_token(notice_id)}")
    assert portal.status_code == 200
    return "\n".join([listed.text, page.text, portal.text])


def leaks(text: str, stored_name: str, notice_id: int) -> list[str]:
    found = []
    if stored_name in text:
        found.append(f"name {stored_name!r}")
    # Whole ids only: notice 3 is not in a link to notice 30, nor notice 2 in a portal link
    # whose random token happens to start with "2x".
    compact = text.replace(" ", "")
    if re.search(rf'"notice_id":{notice_id}(?!\d)|/notices/{notice_id}(?![\w-])', compact):
        found.append(f"notice id {notice_id}")
    return found


def test_a_portal_token_starting_with_a_notice_id_is_not_that_notice():
    # A random portal token may begin with the rival's id and a letter (about 1 run in 75).
    assert leaks('<form action="/portal/notices/2Gq-7x/acknowledge">', "PBF Lain", 2) == []
    assert leaks('<a href="/notices/2">', "PBF Lain", 2) == ["notice id 2"]


async def test_naming_another_distributor_echoes_only_what_was_sent(client, chain):
    rival_notice = await notice_of("R-PBF")
    sent = entry(chain["batch"], "R-PBF", 5, name="Whoever I Say", kind="pbf")
    response = await name(client, chain, [sent])
    assert response.status_code == 201, response.text
    (named,) = response.json()["consignees"]
    assert named["code"] == "R-PBF"
    assert named["name"] == "Whoever I Say" and named["kind"] == "pbf"
    assert named["batch_no"] == sent["batch_no"] and named["quantity"] == 5
    # Nothing of the rival's: its name, its notice, what it had or was told.
    assert named["notice_id"] is None and named["tier"] is None
    assert named["notice"] is None and named["notified"] is None
    assert leaks(response.text, "PBF Lain", rival_notice) == []
    assert leaks(await everything_the_namer_sees(client, chain), "PBF Lain", rival_notice) == []


async def test_naming_a_known_outlet_shows_neither_its_name_nor_its_notice(client, chain):
    sent = entry(chain["batch"], "K-APT", 30, name="My Name For It")
    response = await name(client, chain, [sent])
    assert response.status_code == 201, response.text
    (named,) = response.json()["consignees"]
    assert named["name"] == "My Name For It"
    known_notice = await notice_of("K-APT")  # it got a notice through the cascade
    assert leaks(response.text, "Apotek Kenanga", known_notice) == []
    seen = await everything_the_namer_sees(client, chain)
    assert seen.count("K-APT") >= 3  # listed by its code in the API, the page and the portal
    assert leaks(seen, "Apotek Kenanga", known_notice) == []
    # It is listed by the code the namer gave, nothing more.
    listed = (await client.get(chain["path"], headers=chain["headers"])).json()["items"]
    (row,) = [item for item in listed if item["code"] == "K-APT"]
    assert row["notice_id"] is None and row["status"] is None and row["name"] is None
    # Its own holder still sees its notice.
    known_headers = await headers_for("distributor", consignee_code="K-APT")
    own = (await client.get("/api/notices", headers=known_headers)).json()["items"]
    assert [item["id"] for item in own] == [known_notice]


async def test_customers_the_namer_created_stay_its_own_to_follow(client, chain):
    sent = entry(chain["batch"], "N-APT", 20, name="Apotek Baru")
    response = await name(client, chain, [sent])
    (named,) = response.json()["consignees"]
    assert named["notice_id"] == await notice_of("N-APT")
    assert (named["notice"], named["tier"], named["new_consignee"]) == ("created", 2, True)
    # Named again later, it is still the namer's own customer.
    again = await name(client, chain, [entry(chain["other"], "N-APT", 5, name="Apotek Baru")])
    assert again.json()["consignees"][0]["notice_id"] == named["notice_id"]
    listed = (await client.get(chain["path"], headers=chain["headers"])).json()["items"]
    (row,) = listed
    assert (row["code"], row["name"]) == ("N-APT", "Apotek Baru") and row["status"] is not None
    assert row["notice_id"] == named["notice_id"]
