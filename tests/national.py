"""A national distribution in bulk: one batch shipped to wholesalers (tier 1), who passed it
on to outlets (tier 2), every consignee with a webhook on the given receivers.

Consignees and shipments are inserted in bulk (not through the audited use cases) so that
fault tests and benchmarks can build tens of thousands of them in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from recall import db, masterdata
from recall.clock import today
from recall.masterdata import tables
from tests import factories
from tests.factories import make_batch, make_product, propose

ROWS_PER_INSERT = 1000
TIER_ONE_UNITS = 100_000
TIER_TWO_UNITS = 12


@dataclass(frozen=True)
class Distribution:
    batch_id: int
    batch_no: str
    secrets: dict[str, str]  # consignee code → its webhook signing secret
    wholesalers: list[str]
    outlets: list[str]

    @property
    def consignees(self) -> int:
        return len(self.wholesalers) + len(self.outlets)


async def _insert(table: type[tables.Consignee] | type[tables.Shipment], rows: list) -> None:
    for start in range(0, len(rows), ROWS_PER_INSERT):
        await table.insert(*rows[start : start + ROWS_PER_INSERT])


async def _national_batch(wholesalers: int) -> masterdata.Batch:
    """A new product's batch, made for `wholesalers` tier-1 shipments."""
    product = await make_product()
    return await make_batch(
        product.gtin,
        manufactured_on=today() - timedelta(days=60),
        expires_on=today() + timedelta(days=700),
        quantity_produced=wholesalers * TIER_ONE_UNITS,
    )


async def distribute_nationally(
    webhook_urls: list[str], wholesalers: int, outlets: int, prefix: str = "N"
) -> Distribution:
    """`wholesalers` PBFs and `outlets` pharmacies, webhooks spread over `webhook_urls`."""
    batch = await _national_batch(wholesalers)
    codes = [f"{prefix}-PBF-{n:04d}" for n in range(wholesalers)]
    codes += [f"{prefix}-APT-{n:05d}" for n in range(outlets)]
    secrets = {code: masterdata.new_webhook_secret() for code in codes}
    await _insert(
        tables.Consignee,
        [
            tables.Consignee(
                code=code,
                name=f"{'PBF' if 'PBF' in code else 'Apotek'} {code}",
                kind="pbf" if "PBF" in code else "pharmacy",
                webhook_url=f"{webhook_urls[index % len(webhook_urls)]}/{code}",
                webhook_secret=masterdata.seal_webhook_secret(secrets[code]),
                phone="+62 21 555 0100",
            )
            for index, code in enumerate(codes)
        ],
    )
    ids = {
        row["code"]: row["id"]
        for row in await tables.Consignee.select(tables.Consignee.id, tables.Consignee.code).where(
            tables.Consignee.code.like(f"{prefix}-%")
        )
    }
    shipped_on = today() - timedelta(days=10)
    pbfs, apts = codes[:wholesalers], codes[wholesalers:]
    shipments = [
        tables.Shipment(batch=batch.id, consignee=ids[code], quantity=TIER_ONE_UNITS,
                        shipped_on=shipped_on)
        for code in pbfs
    ] + [
        tables.Shipment(batch=batch.id, consignee=ids[code], sender=ids[pbfs[n % wholesalers]],
                        quantity=TIER_TWO_UNITS, shipped_on=shipped_on + timedelta(days=2))
        for n, code in enumerate(apts)
    ]  # fmt: skip
    await _insert(tables.Shipment, shipments)
    return Distribution(batch.id, batch.batch_no, secrets, pbfs, apts)


async def distribute_by_copy(
    webhook_urls: list[str], wholesalers: int, outlets: int, prefix: str = "N"
) -> Distribution:
    """As `distribute_nationally`, with consignees and shipments written by COPY: hundreds of
    thousands in a minute (on SQLite, `db.copy` inserts)."""
    batch = await _national_batch(wholesalers)
    pbfs = [f"{prefix}-PBF-{n:04d}" for n in range(wholesalers)]
    apts = [f"{prefix}-APT-{n:06d}" for n in range(outlets)]
    secrets = {code: masterdata.new_webhook_secret() for code in pbfs + apts}
    now = datetime.now(UTC)
    await db.copy(
        "consignee",
        ("code", "name", "kind", "webhook_url", "webhook_secret", "phone", "country", "active",
         "created_at"),
        [
            (code, f"{'PBF' if wholesaler else 'Apotek'} {code}",
             "pbf" if wholesaler else "pharmacy",
             f"{webhook_urls[index % len(webhook_urls)]}/{code}",
             masterdata.seal_webhook_secret(secret), "+62 21 555 0100", "ID", True, now)
            for index, (code, secret) in enumerate(secrets.items())
            for wholesaler in [index < wholesalers]
        ],
    )  # fmt: skip
    rows = await db.fetch("SELECT id, code FROM consignee WHERE code LIKE {}", f"{prefix}-%")
    ids = {row["code"]: row["id"] for row in rows}
    shipped_on = today() - timedelta(days=10)
    await db.copy(
        "shipment",
        ("batch", "consignee", "sender", "quantity", "shipped_on", "created_at"),
        [(batch.id, ids[code], None, TIER_ONE_UNITS, shipped_on, now) for code in pbfs]
        + [
            (batch.id, ids[code], ids[pbfs[n % wholesalers]], TIER_TWO_UNITS,
             shipped_on + timedelta(days=2), now)
            for n, code in enumerate(apts)
        ],
    )  # fmt: skip
    return Distribution(batch.id, batch.batch_no, secrets, pbfs, apts)


async def propose_for(api: httpx.AsyncClient, distribution: Distribution) -> int:
    """A class I recall of the distributed batch to retail level, proposed by QA; its id."""
    proposed = await propose(
        api,
        batch_ids=[distribution.batch_id],
        health_hazard_assessment="Acute kidney injury possible; life-threatening.",
    )
    return int(proposed["id"])


async def approve(api: httpx.AsyncClient, recall_id: int) -> httpx.Response:
    """The QA manager's signed approval of the recall, for execution."""
    return await factories.approve(api, recall_id, meaning="Approved for execution")


async def open_every_notice(recall_id: int) -> None:
    """Open the notices a national recall's approval left for the worker, as its job would."""
    from recall import recalls

    while not await recalls.open_remaining_notices(recall_id, budget_seconds=3600):
        pass
