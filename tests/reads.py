"""Reading back what the system shows, for tests' assertions: over the API or from the tables."""

from __future__ import annotations

from datetime import datetime

from httpx import AsyncClient as Client

from recall import db
from tests.factories import headers_for


async def my_notices(client: Client, headers: dict[str, str]) -> dict:
    """The page of notices the consignee behind `headers` sees."""
    response = await client.get("/api/notices", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def recall_read(client: Client, recall_id: int, role: str = "qa") -> dict:
    """The recall as a user with `role` reads it."""
    response = await client.get(f"/api/recalls/{recall_id}", headers=await headers_for(role))
    assert response.status_code == 200, response.text
    return response.json()


async def investigation_read(
    client: Client, headers: dict[str, str], investigation_id: int
) -> dict:
    response = await client.get(f"/api/investigations/{investigation_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def audit_entries(client: Client, entity: str, entity_id: int) -> list[dict]:
    """The audit entries recorded on a record, as an administrator reads them."""
    response = await client.get(
        "/api/audit",
        params={"entity": entity, "entity_id": str(entity_id)},
        headers=await headers_for("admin"),
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def trail(client: Client, notice_id: int) -> list[str]:
    """The audit actions recorded on a notice, oldest first."""
    return [entry["action"] for entry in await audit_entries(client, "notice", notice_id)]


async def reconciliation(client: Client, recall_id: int, role: str = "qa") -> dict:
    response = await client.get(
        f"/api/recalls/{recall_id}/reconciliation", headers=await headers_for(role)
    )
    assert response.status_code == 200, response.text
    return response.json()


def moment(text: str) -> datetime:
    """A timestamp of the API (ISO 8601, maybe with Z) as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def deadline(recall: dict, name: str) -> datetime:
    """When the recall's deadline `name` falls due."""
    return moment(next(d["due_at"] for d in recall["deadlines"] if d["name"] == name))


async def notice_row(notice_id: int) -> dict:
    rows = await db.fetch(
        "SELECT status, acknowledged_at, responded_at FROM notice WHERE id = {}", notice_id
    )
    return rows[0]


async def lines(notice_id: int) -> dict[str, dict]:
    """A notice's lines by batch number: on hand, quarantined, returned."""
    rows = await db.fetch(
        "SELECT b.batch_no AS batch_no, l.quantity_on_hand AS on_hand, "
        "l.quantity_quarantined AS quarantined, l.quantity_returned AS returned "
        "FROM notice_line l JOIN batch b ON b.id = l.batch WHERE l.notice = {}",
        notice_id,
    )
    return {row["batch_no"]: {k: v for k, v in row.items() if k != "batch_no"} for row in rows}


# Lines whose copy of their notice's recall and tier (kept for counting) went astray.
MISFILED_LINES = (
    "SELECT COUNT(*) AS n FROM notice_line l JOIN notice n ON n.id = l.notice "
    "WHERE l.recall <> n.recall OR l.tier <> n.tier"
)


async def notice_ids() -> dict[int, int]:
    """Every notice's id by the id of its consignee."""
    rows = await db.fetch("SELECT id, consignee FROM notice")
    return {row["consignee"]: row["id"] for row in rows}
