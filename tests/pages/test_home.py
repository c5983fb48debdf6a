"""The home page after sign-in: who is signed in, and what they can reach."""

from __future__ import annotations

from tests.factories import (
    approved_recall,
    make_complaint,
    make_consignee,
    make_user,
    propose,
    recent_batch,
    ship,
)
from tests.pages.helpers import sign_in


async def test_home_shows_name_roles_sign_out_and_links(client):
    user = await make_user("qa", "cs")
    await sign_in(client, user.username)
    response = await client.get("/", headers={"Accept-Language": "en"})
    html = response.text
    assert response.status_code == 200
    assert user.full_name in html
    assert "Customer service" in html and "Quality assurance" in html
    assert 'action="/logout"' in html
    assert 'href="/schema"' in html
    assert "Your recall notices" not in html
    assert 'href="/complaints"' in html and 'href="/investigations"' in html
    assert 'href="/masterdata"' in html  # QA keeps master data
    assert response.headers["cache-control"] == "no-store"


async def test_a_distributor_without_notices_is_told_so(client):
    consignee = await make_consignee()
    user = await make_user("distributor", consignee_code=consignee.code)
    await sign_in(client, user.username)
    response = await client.get("/", headers={"Accept-Language": "en"})
    assert "Your recall notices" in response.text
    assert "You have no recall notices." in response.text
    assert 'href="/complaints"' not in response.text  # distributors see their notices only
    assert 'href="/notices"' in response.text


async def test_a_disabled_or_removed_session_user_is_sent_to_sign_in(client):
    user = await make_user("qa")
    await sign_in(client, user.username)
    from recall.auth.tables import User

    await User.update({User.active: False}).where(User.id == user.id)
    response = await client.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/login"


async def test_stylesheet_is_served(client):
    response = await client.get("/static/recall.css")
    assert response.status_code == 200
    assert "text/css" in response.headers["content-type"]
    assert ":focus-visible" in response.text


async def test_a_distributor_sees_only_its_own_notices(client):
    from tests.factories import make_batch

    batch = await make_batch()
    pbf = await make_consignee("A-PBF")
    other = await make_consignee("B-PBF")
    await ship(batch, pbf, 100)
    recall = await approved_recall(client, batch)
    mine = await make_user("distributor", consignee_code=pbf.code)
    theirs = await make_user("distributor", consignee_code=other.code)

    await sign_in(client, mine.username)
    own = await client.get("/", headers={"Accept-Language": "en"})
    assert recall["reference"] in own.text
    assert "You have no recall notices." not in own.text
    # Each notice links to its page, where it is answered.
    from recall import db

    (notice_id,) = [row["id"] for row in await db.fetch("SELECT id FROM notice")]
    assert f'href="/notices/{notice_id}"' in own.text

    client.cookies.clear()
    await sign_in(client, theirs.username)
    others = await client.get("/", headers={"Accept-Language": "en"})
    assert recall["reference"] not in others.text
    assert "You have no recall notices." in others.text


async def test_each_role_sees_the_work_waiting_for_it(client):

    complaint = await make_complaint(client)
    recall = await propose(client, batch_ids=[(await recent_batch()).id])

    manager = await make_user("qa_manager")
    await sign_in(client, manager.username)
    html = (await client.get("/", headers={"Accept-Language": "en"})).text
    assert "Recalls waiting for your signature" in html
    assert f'href="/recalls/{recall["id"]}"' in html
    assert "Complaints waiting for triage" not in html

    client.cookies.clear()
    quality = await make_user("qa")
    await sign_in(client, quality.username)
    html = (await client.get("/", headers={"Accept-Language": "en"})).text
    assert "Complaints waiting for triage" in html
    assert f'href="/complaints/{complaint["id"]}"' in html
    assert "Recalls waiting for your signature" not in html
    assert 'href="/complaints/new"' in html

    client.cookies.clear()
    desk = await make_user("cs")
    await sign_in(client, desk.username)
    html = (await client.get("/")).text  # Indonesian by default
    assert "Keluhan yang baru dicatat" in html and complaint["reference"] in html
    assert "Catat keluhan" in html


async def test_a_bad_value_in_a_page_address_is_a_400_page_naming_it(client):
    user = await make_user("qa")
    await sign_in(client, user.username)
    response = await client.get(
        "/audit", params={"page": "first"}, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 400
    assert "text/html" in response.headers["content-type"]
    assert "This address is not valid" in response.text
    assert "page" in response.text
