"""What the authorities tests share: recalls to markets, and the requests they send."""

from __future__ import annotations

from datetime import datetime, timedelta

from httpx import AsyncClient as Client
from httpx import Response

from recall import db
from tests.factories import (
    PASSWORD,
    approved_recall,
    headers_for,
    make_consignee,
    recent_batch,
    ship,
)

ORDER = "BPOM T-PW.01.12.3.345.10.26.001"


def at(moment: datetime) -> str:
    return moment.isoformat()


async def submit(
    client: Client, recall_id: int, headers: dict[str, str] | None = None, **body: object
) -> Response:
    """Record a submission (an initial report e-mailed to BPOM unless `body` says otherwise)."""
    sent = {"kind": "initial_report", "authority": "BPOM", "channel": "email", **body}
    return await client.post(
        f"/api/recalls/{recall_id}/submissions",
        json=sent,
        headers=headers or await headers_for("qa"),
    )


async def override(
    client: Client,
    recall_id: int,
    key: str,
    due_at: datetime,
    *,
    headers: dict[str, str] | None = None,
    profile: str | None = None,
    password: str = PASSWORD,
    reason: str = "BPOM order letter sets 10 days for the initial report",
) -> Response:
    """A QA manager's signed override of deadline `key` (a new QA manager unless `headers`)."""
    return await client.post(
        f"/api/recalls/{recall_id}/deadlines/{key}/override",
        params={"profile": profile} if profile else None,
        json={
            "due_at": at(due_at),
            "reason": reason,
            "password": password,
            "meaning": "Deadline set by the authority's order",
        },
        headers=headers or await headers_for("qa_manager"),
    )


async def two_markets(client: Client, **changes: object) -> dict:
    """A batch shipped to a PBF in Surabaya, a pharmacy in Medan (through the PBF) and an
    importer in the United States; recalled under BPOM and FDA, approved."""
    batch = await recent_batch()
    pbf = await make_consignee("ID-PBF", province="Jawa Timur")
    pharmacy = await make_consignee("ID-APT", kind="pharmacy", province="Sumatera Utara")
    importer = await make_consignee("US-IMP", province=None, country="US")
    await ship(batch, pbf, 1000)
    await ship(batch, importer, 300)
    await ship(batch, pharmacy, 40, sender=pbf)
    recall = await approved_recall(client, batch, profiles=["bpom", "fda"], **changes)
    return {
        "batch": batch,
        "recall": recall,
        "pbf": pbf,
        "pharmacy": pharmacy,
        "importer": importer,
    }


async def recall_trail(client: Client, recall_id: int, action: str | None = None) -> list[dict]:
    """The audit entries of the recall (of one `action`, when given), as an admin reads them."""
    response = await client.get(
        "/api/audit",
        params={"entity": "recall", "entity_id": str(recall_id)},
        headers=await headers_for("admin"),
    )
    assert response.status_code == 200, response.text
    return [e for e in response.json()["items"] if action in (None, e["action"])]


def deadline_of(recall: dict, key: str, profile: str = "bpom") -> dict:
    return next(d for d in recall["deadlines"] if d["key"] == key and d["profile"] == profile)


async def notify_all(recall_id: int, when: datetime, country: str | None = None) -> None:
    """Mark the recall's notices (of consignees in `country`) delivered at `when`."""
    if country is None:
        await db.fetch("UPDATE notice SET notified_at = {} WHERE recall = {}", when, recall_id)
        return
    await db.fetch(
        "UPDATE notice SET notified_at = {} WHERE recall = {} AND consignee IN "
        "(SELECT id FROM consignee WHERE country = {})",
        when,
        recall_id,
        country,
    )


async def respond_all(recall_id: int, when: datetime, codes: tuple[str, ...]) -> None:
    """Mark the notices of the consignees `codes` answered at `when`."""
    for code in codes:
        await db.fetch(
            "UPDATE notice SET responded_at = {} WHERE recall = {} AND consignee IN "
            "(SELECT id FROM consignee WHERE code = {})",
            when,
            recall_id,
            code,
        )


HOUR = timedelta(hours=1)
