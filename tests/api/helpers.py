"""Steps the API tests share: naming customers in the cascade, importing shipment files, a
recall worth a report."""

from __future__ import annotations

from httpx import AsyncClient as Client
from httpx import Response

from recall.clock import today
from tests.factories import (
    add_material,
    approved_recall,
    headers_for,
    headers_of,
    make_consignee,
    make_material_lot,
    make_user,
    recent_batch,
    ship,
)

# The cascade --------------------------------------------------------------------------------


def entry(batch, code: str, quantity: int, **changes) -> dict:
    """A customer a consignee names, with what it received of `batch`."""
    return {
        "code": code,
        "name": f"Outlet {code}",
        "kind": "pharmacy",
        "batch_no": batch.batch_no,
        "quantity": quantity,
        **changes,
    }


async def name(client: Client, chain: dict, consignees: list[dict], **headers: str) -> Response:
    """The chain's PBF names `consignees` as its customers."""
    return await client.post(
        chain["path"], json={"consignees": consignees}, headers={**chain["headers"], **headers}
    )


# Shipment files -----------------------------------------------------------------------------

HEADER = "gtin,batch_no,consignee_code,quantity,shipped_on,from_consignee_code"


async def post_csv(
    client: Client, text: str | bytes, headers: dict[str, str], content_type: str = "text/csv"
) -> Response:
    return await client.post(
        "/api/shipments/import",
        content=text.encode() if isinstance(text, str) else text,
        headers={**headers, "Content-Type": content_type},
    )


# A recall worth a report ---------------------------------------------------------------------

REASON = "Diethylene glycol above limit in the solvent lot \u2014 \u201csirup\u201d \u2265 0.1 %"


async def manager_headers(username: str) -> tuple[dict[str, str], str]:
    """Headers of a new QA manager, and the printed name its signatures carry."""
    user = await make_user("qa_manager", username=username)
    return await headers_of(user), user.full_name


def report_proposal(**changes) -> dict:
    """A mandatory class I recall whose texts need more than Latin-1."""
    return {
        "reason": REASON,
        "recall_class": "I",
        "recall_type": "mandatory",
        "authority_reference": "BPOM-PW.01.2026.123",
        "ordered_on": today().isoformat(),
        "depth": "retail",
        "profile": "bpom",
        "health_hazard_assessment": "Acute kidney injury possible; serious (\u015eiddetli \u4e2d).",
        **changes,
    }


async def reported_recall(client: Client, **changes) -> dict:
    """A batch made with a contaminated solvent lot, shipped to two wholesalers and (through
    the first) a pharmacy; the second wholesaler reports stock and returns."""
    batch = await recent_batch()
    lot = await make_material_lot(material="Propylene glycol", lot_no="PG-2026-77")
    await add_material(batch.id, lot.id)
    first = await make_consignee("A-PBF", name="PT Sehat Sentosa")
    second = await make_consignee("B-PBF", name="PT Obat Jaya")
    pharmacy = await make_consignee("C-APT", kind="pharmacy", name="Apotek Kimia Sejahtera")
    await ship(batch, first, 600)
    await ship(batch, second, 400)
    await ship(batch, pharmacy, 50, sender=first)
    approver, signer = await manager_headers("ratna.apoteker")
    recall = await approved_recall(
        client,
        meaning="Approved for recall to retail level",
        approver=approver,
        **report_proposal(material_lot_id=lot.id, **changes),
    )
    headers = await headers_for("distributor", consignee_code=second.code)
    (notice,) = (await client.get("/api/notices", headers=headers)).json()["items"]
    line = {"batch_no": batch.batch_no}
    stock = await client.post(
        f"/api/notices/{notice['id']}/stock",
        json={"lines": [{**line, "quantity_on_hand": 150, "quarantined": 150}]},
        headers=headers,
    )
    assert stock.status_code in (200, 201), stock.text
    returned = await client.post(
        f"/api/notices/{notice['id']}/returns",
        json={"lines": [{**line, "quantity": 250}]},
        headers=headers,
    )
    assert returned.status_code in (200, 201), returned.text
    return {"recall": recall, "signer": signer, "batch": batch}
