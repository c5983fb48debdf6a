"""Test data built through the real use cases."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from httpx import AsyncClient as Client
from httpx import Response

from recall import auth, db, masterdata
from recall.actors import SYSTEM, Actor, Role
from recall.clock import today
from recall.settings import get_settings

PASSWORD = "correct horse battery staple"
START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # a Monday, 09:00 in Jakarta: move_to's start
_sequence = itertools.count(1)


async def make_user(
    *roles: str, consignee_code: str | None = None, username: str | None = None
) -> auth.User:
    name = username or f"{'-'.join(roles)}{next(_sequence)}".replace("_", "-")
    return await auth.create_user(
        SYSTEM, name, PASSWORD, f"Test {name.title()}", list(roles), consignee_code
    )


async def make_actor(*roles: str, consignee: masterdata.Consignee | None = None) -> Actor:
    """A new user with `roles` (of `consignee`, when given), as the use cases see it."""
    user = await make_user(*roles, consignee_code=consignee.code if consignee else None)
    return Actor(
        user.id,
        user.username,
        user.full_name,
        frozenset(Role(r) for r in roles),
        consignee.id if consignee else None,
    )


async def headers_of(user: auth.User, minutes: int = 60) -> dict[str, str]:
    """API headers of `user`, signed in for `minutes`."""
    token, _ = await auth.login(user.username, PASSWORD, get_settings().secret_key, minutes)
    return {"Authorization": f"Bearer {token}"}


async def headers_for(*roles: str, consignee_code: str | None = None) -> dict[str, str]:
    """API headers of a new user with `roles` (working for `consignee_code`, when given)."""
    return await headers_of(await make_user(*roles, consignee_code=consignee_code))


async def headers_as(role: str) -> dict[str, str]:
    """Headers of a new user with `role`; a distributor works for a new consignee."""
    if role == "distributor":
        consignee = await make_consignee()
        return await headers_for("distributor", consignee_code=consignee.code)
    return await headers_for(role)


# Master data ---------------------------------------------------------------------


def gtin_with_check_digit(body: str) -> str:
    """Append the GS1 mod-10 check digit to `body` (7, 11, 12 or 13 digits)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def new_gtin() -> str:
    """A fresh valid GTIN-13 (Indonesian prefix 899), unique within the test run."""
    return gtin_with_check_digit(f"899{next(_sequence):09d}")


def new_nie() -> str:
    """A fresh BPOM registration number such as DKL2012345601A1."""
    return f"DKL{next(_sequence):010d}A1"


async def make_product(
    gtin: str | None = None,
    *,
    nie: str | None = None,
    name: str = "Paracetamol Syrup",
    strength: str = "120 mg/5 mL",
    dosage_form: str = "syrup",
) -> masterdata.Product:
    return await masterdata.create_product(
        SYSTEM, gtin or new_gtin(), nie or new_nie(), name, strength, dosage_form
    )


async def make_batch(
    gtin: str | None = None,
    *,
    batch_no: str | None = None,
    manufactured_on: date = date(2026, 1, 15),
    expires_on: date = date(2028, 1, 31),
    quantity_produced: int = 10_000,
) -> masterdata.Batch:
    """A batch of the product with `gtin` (a new product when None)."""
    if gtin is None:
        gtin = (await make_product()).gtin
    return await masterdata.create_batch(
        SYSTEM,
        gtin,
        batch_no or f"B{next(_sequence):06d}",
        manufactured_on,
        expires_on,
        quantity_produced,
    )


async def make_material_lot(
    *,
    material: str = "Propylene glycol",
    lot_no: str | None = None,
    supplier: str = "PT Kimia Farma Bahan",
) -> masterdata.MaterialLot:
    return await masterdata.create_material_lot(
        SYSTEM, material, lot_no or f"PG-{next(_sequence):05d}", supplier
    )


async def add_material(
    batch_id: int, material_lot_id: int, quantity: Decimal | int | str = "250.5"
) -> masterdata.BatchMaterial:
    return await masterdata.add_batch_material(
        SYSTEM, batch_id, material_lot_id, Decimal(str(quantity))
    )


async def make_consignee(
    code: str | None = None,
    *,
    name: str | None = None,
    kind: str = "pbf",
    parent_code: str | None = None,
    email: str | None = None,
    phone: str | None = "+62 21 555 0100",
    after_hours_phone: str | None = None,
    webhook_url: str | None = None,
    province: str | None = "DKI Jakarta",
    country: str | None = None,
) -> masterdata.Consignee:
    """A consignee (a PBF wholesaler unless `kind` says otherwise); the secret is dropped."""
    code = code or f"{kind.upper()}-{next(_sequence):04d}"
    consignee, _secret = await masterdata.create_consignee(
        SYSTEM,
        code,
        name or f"Test {kind} {code}",
        kind,
        parent_code=parent_code,
        email=email if email is not None else f"{code.lower()}@example.com",
        phone=phone,
        after_hours_phone=after_hours_phone,
        webhook_url=webhook_url,
        province=province,
        country=country,
    )
    return consignee


async def recent_batch(
    gtin: str | None = None, *, name: str | None = None, quantity_produced: int = 10_000
) -> masterdata.Batch:
    """A batch made 90 days ago, good for 700 more, so shipments in the last weeks are
    plausible (of a new product called `name`, when given)."""
    if name is not None:
        gtin = (await make_product(name=name)).gtin
    return await make_batch(
        gtin,
        manufactured_on=today() - timedelta(days=90),
        expires_on=today() + timedelta(days=700),
        quantity_produced=quantity_produced,
    )


async def ship(
    batch: masterdata.Batch,
    to: masterdata.Consignee,
    quantity: int,
    sender: masterdata.Consignee | None = None,
) -> None:
    """Record `quantity` of `batch` shipped ten days ago to `to`, from the plant or `sender`."""
    await masterdata.record_shipment(
        SYSTEM,
        batch.gtin,
        batch.batch_no,
        to.code,
        quantity,
        today() - timedelta(days=10),
        sender.code if sender else None,
    )


def scan(batch: masterdata.Batch, serial: str | None = None) -> str:
    """The GS1 element string a scanner reads off a pack of `batch`."""
    text = f"(01){batch.gtin}(17){batch.expires_on:%y%m%d}(10){batch.batch_no}"
    return text + (f"(21){serial}" if serial else "")


# Complaints and investigations ---------------------------------------------------------


def complaint_body(batch: masterdata.Batch | None = None, **changes: object) -> dict:
    """A complaint as the intake form sends it (about `batch`, when given)."""
    body: dict = {
        "channel": "phone",
        "reporter": {"name": "Ani Wijaya", "kind": "patient", "contact": "+62 812 555 0101"},
        "description": "The syrup is cloudy and smells odd.",
        "adverse_event": False,
        "sample_available": True,
    }
    if batch is not None:
        body.update(gtin=batch.gtin, batch_no=batch.batch_no)
    body.update(changes)
    return body


async def make_complaint(
    client: Client,
    headers: dict[str, str] | None = None,
    batch: masterdata.Batch | None = None,
    **changes: object,
) -> dict:
    """A complaint logged over the API (by customer service unless `headers` say who)."""
    response = await client.post(
        "/api/complaints",
        json=complaint_body(batch, **changes),
        headers=headers or await headers_for("cs"),
    )
    assert response.status_code == 201, response.text
    return response.json()


async def mark_triaged(complaint_id: int, *, investigate: bool = True) -> None:
    """Triage straight in the table, so tests do not depend on the triage endpoint."""
    await db.execute(
        "UPDATE complaint SET status = 'triaged', investigate = {}, category = 'quality_defect', "
        "severity = 'major', triage_reason = {} WHERE id = {}",
        investigate,
        None if investigate else "known issue, already handled",
        complaint_id,
    )


async def triaged_complaint(
    client: Client, batch: masterdata.Batch | None = None, *, investigate: bool = True
) -> dict:
    complaint = await make_complaint(client, batch=batch)
    await mark_triaged(complaint["id"], investigate=investigate)
    return complaint


async def make_investigation(
    client: Client,
    headers: dict[str, str],
    complaint_ids: list[int] | None = None,
    title: str = "Cloudy syrup",
    *,
    batch: masterdata.Batch | None = None,
) -> dict:
    """An investigation opened over the API (of a new triaged complaint unless ids are given)."""
    if complaint_ids is None:
        complaint_ids = [(await triaged_complaint(client, batch))["id"]]
    response = await client.post(
        "/api/investigations",
        json={"title": title, "complaint_ids": complaint_ids},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()


def local_today() -> date:
    """The plant's date by the real clock (a test's frozen clock does not move it)."""
    return datetime.now(ZoneInfo(get_settings().time_zone)).date()


def capa_body(**changes: object) -> dict:
    """A corrective action due in two weeks (plant's calendar)."""
    body: dict = {
        "kind": "corrective",
        "description": "Re-validate the cleaning of the mixing tank.",
        "owner": "Budi Santoso (Production)",
        "due_on": (local_today() + timedelta(days=14)).isoformat(),
    }
    body.update(changes)
    return body


def conclusion_body(**changes: object) -> dict:
    """A conclusion recommending no recall, signed with the test users' password."""
    body: dict = {
        "conclusion": "Isolated event; no other batch affected.",
        "recall_recommended": False,
        "password": PASSWORD,
        "meaning": "Investigation concluded",
    }
    body.update(changes)
    return body


# Recalls ---------------------------------------------------------------------------------


def proposal(**changes: object) -> dict:
    """A class I voluntary recall to retail level, as QA proposes it."""
    body: dict = {
        "reason": "Diethylene glycol above limit in the solvent lot",
        "recall_class": "I",
        "recall_type": "voluntary",
        "depth": "retail",
        "profile": "bpom",
        "health_hazard_assessment": "Acute kidney injury possible; serious, life-threatening.",
    }
    body.update(changes)
    if body["recall_class"] == "I" and body["depth"] == "consumer":
        body.setdefault("public_warning", "general")  # the strategy must decide it then
    return body


# A class II recall to wholesale level, for tests that need one not in progress.
LABEL_MIX_UP = {
    "reason": "Label mix-up",
    "recall_class": "II",
    "depth": "wholesale",
    "health_hazard_assessment": "Wrong strength on the label.",
}


async def propose(client: Client, headers: dict[str, str] | None = None, **changes: object) -> dict:
    """A recall proposed over the API (by QA unless `headers` say who)."""
    response = await client.post(
        "/api/recalls", json=proposal(**changes), headers=headers or await headers_for("qa")
    )
    assert response.status_code == 201, response.text
    return response.json()


async def approve(
    client: Client,
    recall_id: int,
    headers: dict[str, str] | None = None,
    password: str = PASSWORD,
    meaning: str = "Approved",
) -> Response:
    """The QA manager's signed approval (a new QA manager unless `headers` say who)."""
    return await client.post(
        f"/api/recalls/{recall_id}/approve",
        json={"password": password, "meaning": meaning},
        headers=headers or await headers_for("qa_manager"),
    )


async def approved_recall(
    client: Client,
    batch: masterdata.Batch | None = None,
    *,
    meaning: str = "Approved",
    approver: dict[str, str] | None = None,
    **changes: object,
) -> dict:
    """A recall of `batch` proposed by QA and approved by a QA manager (`approver` headers)."""
    if batch is not None:
        changes = {"batch_ids": [batch.id], **changes}
    proposed = await propose(client, **changes)
    approved = await approve(client, proposed["id"], approver, meaning=meaning)
    assert approved.status_code == 200, approved.text
    return approved.json()


async def two_tier_recall(client: Client) -> dict:
    """Two batches shipped to two PBFs (tier 1), which passed some on (tier 2); approved.

    B1 (5000 made): PBF-A 1000, PBF-B 500; PBF-A -> pharmacy APT-C 200, PBF-B -> hospital
    RS-D 100. B2 (3000 made): PBF-A 300; PBF-A -> APT-C 50.
    """
    from tests.reads import my_notices  # reads sign in through these factories

    b1 = await recent_batch(name="Paracetamol Syrup", quantity_produced=5000)
    b2 = await recent_batch(name="Ibuprofen Suspension", quantity_produced=3000)
    pbf_a = await make_consignee("PBF-A")
    pbf_b = await make_consignee("PBF-B")
    apt_c = await make_consignee("APT-C", kind="pharmacy")
    rs_d = await make_consignee("RS-D", kind="hospital")
    await ship(b1, pbf_a, 1000)
    await ship(b1, pbf_b, 500)
    await ship(b2, pbf_a, 300)
    await ship(b1, apt_c, 200, sender=pbf_a)
    await ship(b2, apt_c, 50, sender=pbf_a)
    await ship(b1, rs_d, 100, sender=pbf_b)
    recall = await approved_recall(client, b1, batch_ids=[b1.id, b2.id])
    headers = {
        code: await headers_for("distributor", consignee_code=code)
        for code in ("PBF-A", "PBF-B", "APT-C", "RS-D")
    }
    notices = {code: (await my_notices(client, h))["items"][0]["id"] for code, h in headers.items()}
    return {"b1": b1, "b2": b2, "recall": recall, "headers": headers, "notices": notices}


async def report(client: Client, world: dict, code: str, *, stock=None, returns=None) -> None:
    """Consignee `code` of a two-tier recall reports stock on hand and returns per batch key."""
    notice_id, headers = world["notices"][code], world["headers"][code]
    if stock:
        lines = [
            {"batch_no": world[b].batch_no, "quantity_on_hand": n, "quarantined": n}
            for b, n in stock.items()
        ]
        response = await client.post(
            f"/api/notices/{notice_id}/stock", json={"lines": lines}, headers=headers
        )
        assert response.status_code == 200, response.text
    if returns:
        lines = [{"batch_no": world[b].batch_no, "quantity": n} for b, n in returns.items()]
        response = await client.post(
            f"/api/notices/{notice_id}/returns", json={"lines": lines}, headers=headers
        )
        assert response.status_code == 200, response.text


async def destroy(
    client: Client, world: dict, quantity: int, batch: str = "b1", **extra: object
) -> Response:
    """QA records a destruction of `quantity` of the recall's batch `batch` today."""
    return await client.post(
        f"/api/recalls/{world['recall']['id']}/destructions",
        json={
            "batch_no": world[batch].batch_no,
            "quantity": quantity,
            "method": "Incineration",
            "place": "PT Wastec, Cileungsi",
            "witness": "Siti Rahma (QA)",
            "destroyed_on": today().isoformat(),
            **extra,
        },
        headers=await headers_for("qa"),
    )


async def report_everything(client: Client, world: dict) -> None:
    """Reports and destructions on a two-tier recall whose figures tests compute by hand."""
    await report(
        client, world, "PBF-A", stock={"b1": 600, "b2": 250}, returns={"b1": 150, "b2": 20}
    )
    await report(client, world, "PBF-B", stock={"b1": 300}, returns={"b1": 100})
    await report(client, world, "APT-C", stock={"b1": 120}, returns={"b1": 30})
    # RS-D reports nothing: what it received stays unaccounted at tier 2.
    assert (await destroy(client, world, 50, consignee_code="PBF-B")).status_code == 201
    # Returned stock destroyed at the plant is already counted as returned.
    assert (await destroy(client, world, 100)).status_code == 201
