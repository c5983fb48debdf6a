"""Benchmark: `GET /api/material-lots/{id}/trace` over 1,000,000 shipment rows in three tiers.

2,000 batches, each shipped by us to 5 wholesalers (tier 1), passed on to 45 hospitals and
sub-distributors (tier 2) and from them to 450 pharmacies (tier 3): 500 shipments a batch,
among 48,500 consignees. Forty material lots went into one to four batches each; every lot
is traced twice and the timings include the HTTP answer (every consignee line in JSON).
Run with `python -m tests.benchmarks.trace`.
"""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, date, datetime, timedelta

from tests.benchmarks.scratch import migrate, percentiles, report, scratch_environment

BATCHES, BATCHES_PER_PRODUCT = 2_000, 20
WHOLESALERS, HOSPITALS, PHARMACIES = 500, 5_000, 43_000
TIER_ONE, TIER_TWO, TIER_THREE = 5, 45, 450  # shipments of one batch at each tier
LOTS, MOST_BATCHES_PER_LOT = 40, 4
ROUNDS = 2


def shipments_of(
    batch_id: int, rng: random.Random, tiers: tuple[list[int], list[int], list[int]]
) -> list[tuple[int, int, int | None, int, date, datetime]]:
    """One batch's 500 shipments: (batch, consignee, sender, quantity, shipped_on, created)."""
    wholesalers, hospitals, pharmacies = tiers
    shipped, now = date(2026, 9, 1), datetime.now(UTC)
    first = rng.sample(wholesalers, TIER_ONE)
    second = rng.sample(hospitals, TIER_TWO)
    rows: list[tuple[int, int, int | None, int, date, datetime]] = [
        (batch_id, consignee, None, 2_000, shipped, now) for consignee in first
    ]
    rows += [
        (batch_id, consignee, first[n % TIER_ONE], 80, shipped + timedelta(days=2), now)
        for n, consignee in enumerate(second)
    ]
    rows += [
        (batch_id, rng.choice(pharmacies), second[n % TIER_TWO], 6, shipped + timedelta(days=5),
         now)
        for n in range(TIER_THREE)
    ]  # fmt: skip
    return rows


async def load(connection_url: str) -> list[int]:
    """Products, batches, consignees and 1,000,000 shipments in bulk; the material lot ids."""
    import asyncpg

    from tests.factories import add_material, make_material_lot, make_product

    rng = random.Random(1_000_000)
    products = [
        (await make_product(name=f"Syrup {p}")).id for p in range(BATCHES // BATCHES_PER_PRODUCT)
    ]
    connection = await asyncpg.connect(connection_url)
    try:
        now = datetime.now(UTC)
        made, expires = date(2026, 8, 1), date(2028, 7, 31)
        await connection.copy_records_to_table(
            "batch",
            records=[
                (product, f"T{p:03d}{b:03d}", made, expires, 50_000, now)
                for p, product in enumerate(products)
                for b in range(BATCHES_PER_PRODUCT)
            ],
            columns=["product", "batch_no", "manufactured_on", "expires_on",
                     "quantity_produced", "created_at"],
        )  # fmt: skip
        batch_ids = [row["id"] for row in await connection.fetch("SELECT id FROM batch")]
        kinds = [("W", "pbf", WHOLESALERS), ("H", "hospital", HOSPITALS),
                 ("A", "pharmacy", PHARMACIES)]  # fmt: skip
        await connection.copy_records_to_table(
            "consignee",
            records=[
                (f"{prefix}-{n:05d}", f"{kind.title()} {prefix}-{n:05d}", kind, True, now)
                for prefix, kind, count in kinds
                for n in range(count)
            ],
            columns=["code", "name", "kind", "active", "created_at"],
        )
        ids: dict[str, list[int]] = {"W": [], "H": [], "A": []}
        for row in await connection.fetch("SELECT id, code FROM consignee ORDER BY id"):
            ids[row["code"][0]].append(row["id"])
        tiers = (ids["W"], ids["H"], ids["A"])
        for start in range(0, BATCHES, 200):
            await connection.copy_records_to_table(
                "shipment",
                records=[
                    row
                    for batch_id in batch_ids[start : start + 200]
                    for row in shipments_of(batch_id, rng, tiers)
                ],
                columns=["batch", "consignee", "sender", "quantity", "shipped_on", "created_at"],
            )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    lots = []
    for n in range(LOTS):
        lot = await make_material_lot(lot_no=f"PG-T{n:03d}")
        for batch_id in rng.sample(batch_ids, rng.randint(1, MOST_BATCHES_PER_LOT)):
            await add_material(batch_id, lot.id)
        lots.append(lot.id)
    return lots


async def benchmark() -> dict[str, float]:
    import os

    import httpx

    from recall import db
    from tests.factories import headers_for
    from web.app import create_app

    await migrate()
    app = create_app()
    async with app.lifespan():
        started = time.perf_counter()
        lots = await load(os.environ["RECALL_DATABASE_URL"])
        rows = await db.fetch("SELECT COUNT(*) AS n FROM shipment")
        print(f"{rows[0]['n']:,} shipments ready in {time.perf_counter() - started:.0f} s")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as api:
            headers = await headers_for("qa")
            timings, lines = [], []
            for _ in range(ROUNDS):
                for lot_id in lots:
                    started = time.perf_counter()
                    answer = await api.get(f"/api/material-lots/{lot_id}/trace", headers=headers)
                    timings.append((time.perf_counter() - started) * 1000)
                    assert answer.status_code == 200, answer.text
                    lines.append(len(answer.json()["consignees"]))
    print(f"{len(timings)} traces, {min(lines):,} to {max(lines):,} consignee lines each")
    return {**percentiles(timings, "trace"), "trace_lines_max": max(lines)}


def main() -> None:
    with scratch_environment():
        report(asyncio.run(benchmark()))


if __name__ == "__main__":
    main()
