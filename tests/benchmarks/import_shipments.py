"""Benchmark: import 100,000 shipment lines into a scratch PostgreSQL database.

Run with `python -m tests.benchmarks.import_shipments [lines]` (see tests/benchmarks/scratch.py):
master data through the use cases, then one file of distribution lines through the import.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING

from tests.benchmarks.scratch import migrate, report, scratch_environment

if TYPE_CHECKING:
    from recall import masterdata

HEADER = "gtin,batch_no,consignee_code,quantity,shipped_on,from_consignee_code"


def shipment_csv(
    batches: Sequence[masterdata.Batch],
    wholesalers: Sequence[masterdata.Consignee],
    pharmacies: Sequence[masterdata.Consignee],
    lines: int,
    shipped_on: date,
    seed: int = 2022,
) -> str:
    """A distribution file of `lines` rows: each batch to a few wholesalers (tier 1), then
    wholesalers passing units on to pharmacies (tier 2), as a PBF's ERP export would."""
    rng = random.Random(seed)
    rows = [HEADER]
    received: list[tuple[masterdata.Batch, masterdata.Consignee]] = []
    tier_one = max(1, lines // 40)
    for index in range(tier_one):
        batch = batches[index % len(batches)]
        wholesaler = wholesalers[rng.randrange(len(wholesalers))]
        received.append((batch, wholesaler))
        quantity = rng.randint(200, 2000)
        rows.append(f"{batch.gtin},{batch.batch_no},{wholesaler.code},{quantity},{shipped_on},")
    later = shipped_on + timedelta(days=3)
    for _ in range(lines - tier_one):
        batch, wholesaler = received[rng.randrange(len(received))]
        pharmacy = pharmacies[rng.randrange(len(pharmacies))]
        quantity = rng.randint(1, 24)
        rows.append(
            f"{batch.gtin},{batch.batch_no},{pharmacy.code},{quantity},{later},{wholesaler.code}"
        )
    return "\n".join(rows) + "\n"


async def make_master_data(
    products: int, batches_per_product: int, wholesalers: int, pharmacies: int, made_on: date
) -> tuple[list[masterdata.Batch], list[masterdata.Consignee], list[masterdata.Consignee]]:
    """Products, batches and consignees through the real use cases (as the system user)."""
    from recall import masterdata
    from recall.actors import SYSTEM

    run = uuid.uuid4().hex[:6].upper()
    batches = []
    for p in range(products):
        body = f"899{uuid.uuid4().int % 10**9:09d}"
        total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
        product = await masterdata.create_product(
            SYSTEM, body + str((10 - total % 10) % 10), f"DKL{p + 1:010d}A1",
            f"Bench Syrup {p}", "120 mg/5 mL", "syrup",
        )  # fmt: skip
        for b in range(batches_per_product):
            batch_no = f"{run}{p:02d}{b:04d}"
            expires_on = made_on + timedelta(days=730)
            batch = await masterdata.create_batch(
                SYSTEM, product.gtin, batch_no, made_on, expires_on, 1_000_000
            )
            batches.append(batch)

    async def consignee(code: str, kind: str) -> masterdata.Consignee:
        created, _secret = await masterdata.create_consignee(SYSTEM, code, f"Bench {code}", kind)
        return created

    pbfs = [await consignee(f"PBF-{run}-{n:04d}", "pbf") for n in range(wholesalers)]
    shops = [await consignee(f"APT-{run}-{n:05d}", "pharmacy") for n in range(pharmacies)]
    return batches, pbfs, shops


async def benchmark(lines: int) -> dict[str, float]:
    from recall import db, masterdata
    from recall.actors import SYSTEM
    from recall.clock import today

    await migrate()
    await db.connect()
    try:
        made_on = today() - timedelta(days=60)
        started = time.perf_counter()
        batches, pbfs, shops = await make_master_data(4, 25, 50, 1000, made_on)
        print(f"master data: {time.perf_counter() - started:.1f} s", flush=True)

        text = shipment_csv(batches, pbfs, shops, lines, made_on + timedelta(days=7))
        print(f"file: {lines:,} lines, {len(text.encode()) / 2**20:.1f} MiB", flush=True)
        started = time.perf_counter()
        result = await masterdata.import_shipments(SYSTEM, text)
        elapsed = time.perf_counter() - started
        if result.errors:
            raise SystemExit(f"import refused: {result.errors[:5]}")
        print(f"imported {result.imported:,} shipments in {elapsed:.2f} s", flush=True)
    finally:
        await db.disconnect()
    return {"import_lines": lines, "import_lines_per_s": round(lines / elapsed)}


def main() -> None:
    lines = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with scratch_environment():
        report(asyncio.run(benchmark(lines)))


if __name__ == "__main__":
    main()
