"""E-signature password guessing: five wrong passwords in a row lock signing for 15 minutes
(429 with Retry-After, even with the right password), audited and alerted to QA and admin."""

from __future__ import annotations

from datetime import timedelta

from recall import auth
from tests.factories import (
    approve,
    headers_for,
    headers_of,
    make_user,
    propose,
    recent_batch,
)


async def manager_headers() -> tuple[auth.User, dict[str, str]]:
    manager = await make_user("qa_manager")
    return manager, await headers_of(manager, 120)


async def proposed(client) -> int:
    return (await propose(client, batch_ids=[(await recent_batch()).id]))["id"]


async def test_five_wrong_passwords_lock_signing_for_fifteen_minutes(client, frozen_clock):
    _, headers = await manager_headers()
    recall_id = await proposed(client)
    for _ in range(5):
        wrong = await approve(client, recall_id, headers, password="guess guess guess")
        assert wrong.status_code == 401
    locked = await approve(client, recall_id, headers)  # the right password
    assert locked.status_code == 429, locked.text
    assert 14 * 60 < int(locked.headers["Retry-After"]) <= 15 * 60 + 1
    recall = await client.get(f"/api/recalls/{recall_id}", headers=await headers_for("qa"))
    assert recall.json()["status"] == "proposed"

    frozen_clock[0] += timedelta(minutes=14)
    assert (await approve(client, recall_id, headers)).status_code == 429
    frozen_clock[0] += timedelta(minutes=1, seconds=1)
    assert (await approve(client, recall_id, headers)).status_code == 200


async def test_lockout_is_alerted_to_qa_and_admin_and_audited(client):
    manager, headers = await manager_headers()
    recall_id = await proposed(client)
    for _ in range(5):
        await approve(client, recall_id, headers, password="guess guess guess")
    for role in ("qa", "admin"):
        alerts = await client.get(
            "/api/alerts", params={"kind": "signature_lockout"}, headers=await headers_for(role)
        )
        assert alerts.status_code == 200, alerts.text
        (alert,) = alerts.json()["items"]
        assert manager.username in alert["detail"]
    await approve(client, recall_id, headers)  # refused while locked: audited too
    inspector = await headers_for("inspector")
    trail = await client.get(
        "/api/audit", params={"entity": "user", "entity_id": manager.id}, headers=inspector
    )
    (lockout,) = [e for e in trail.json()["items"] if e["action"] == "signature_lockout"]
    assert "locked until" in lockout["reason"]
    on_recall = await client.get(
        "/api/audit", params={"entity": "recall", "entity_id": recall_id}, headers=inspector
    )
    refusals = [e for e in on_recall.json()["items"] if e["action"] == "signature_refused"]
    assert len(refusals) == 6
    assert "locked" in refusals[0]["reason"]  # newest first


async def test_a_right_password_resets_the_count(client):
    _, headers = await manager_headers()
    first, second = await proposed(client), await proposed(client)
    for _ in range(4):
        assert (await approve(client, first, headers, password="nope nope")).status_code == 401
    assert (await approve(client, first, headers)).status_code == 200
    for _ in range(4):
        assert (await approve(client, second, headers, password="nope nope")).status_code == 401
    assert (await approve(client, second, headers)).status_code == 200


async def test_the_lockout_is_per_user(client):
    _, guessing = await manager_headers()
    _, colleague = await manager_headers()
    recall_id = await proposed(client)
    for _ in range(5):
        await approve(client, recall_id, guessing, password="guess guess guess")
    assert (await approve(client, recall_id, guessing)).status_code == 429
    assert (await approve(client, recall_id, colleague)).status_code == 200
