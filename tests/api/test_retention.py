"""Complaints, investigations and recalls answer until when they are kept (SPEC Retention)."""

from datetime import date

from tests.factories import make_batch, make_complaint, make_investigation, propose


async def test_a_complaint_is_kept_for_its_batch(client, qa):
    batch = await make_batch(manufactured_on=date(2026, 1, 15), expires_on=date(2032, 2, 29))
    complaint = await make_complaint(client, batch=batch)
    body = (await client.get(f"/api/complaints/{complaint['id']}", headers=qa)).json()
    assert body["retain_until"] == "2033-02-28"  # expiry + 1 year, leap day to 28 February


async def test_a_complaint_without_a_batch_has_no_retention_date(client, qa):
    complaint = await make_complaint(client)
    body = (await client.get(f"/api/complaints/{complaint['id']}", headers=qa)).json()
    assert body["retain_until"] is None


async def test_an_investigation_is_kept_for_its_complaints_and_affected_batches(client, qa):
    complained = await make_batch(manufactured_on=date(2026, 1, 15), expires_on=date(2028, 1, 31))
    affected = await make_batch(manufactured_on=date(2027, 3, 10), expires_on=date(2029, 3, 31))
    investigation = await make_investigation(client, qa, batch=complained)
    url = f"/api/investigations/{investigation['id']}"
    assert (await client.get(url, headers=qa)).json()["retain_until"] == "2031-01-15"

    patched = await client.patch(
        url,
        json={"affected_batch_ids": [affected.id], "version": investigation["version"]},
        headers=qa,
    )
    assert patched.status_code == 200, patched.text
    assert (await client.get(url, headers=qa)).json()["retain_until"] == "2032-03-10"


async def test_a_recall_is_kept_for_its_recalled_batches(client, qa):
    first = await make_batch(manufactured_on=date(2026, 1, 15), expires_on=date(2028, 1, 31))
    second = await make_batch(manufactured_on=date(2025, 6, 1), expires_on=date(2031, 8, 31))
    recall = await propose(client, qa, batch_ids=[first.id, second.id])
    assert recall["retain_until"] == "2032-08-31"
    body = (await client.get(f"/api/recalls/{recall['id']}", headers=qa)).json()
    assert body["retain_until"] == "2032-08-31"
