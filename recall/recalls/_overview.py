"""Read-only lookups for lists of recalls: what each one recalls, in one query per page."""

from __future__ import annotations

from collections.abc import Sequence

from recall import db
from recall.recalls._models import RecalledBatch


async def batches_by_recall(recall_ids: Sequence[int]) -> dict[int, list[RecalledBatch]]:
    """The batches of each recall in `recall_ids`, by batch number."""
    if not recall_ids:
        return {}
    marks = ", ".join("{}" for _ in recall_ids)
    rows = await db.fetch(
        "SELECT rb.recall AS recall, b.id AS id, b.batch_no AS batch_no, p.gtin AS gtin, "
        "p.name AS product_name, b.expires_on AS expires_on FROM recall_batch rb "
        "JOIN batch b ON b.id = rb.batch JOIN product p ON p.id = b.product "
        f"WHERE rb.recall IN ({marks}) ORDER BY rb.recall, b.batch_no, b.id",
        *recall_ids,
    )
    found: dict[int, list[RecalledBatch]] = {}
    for row in rows:
        found.setdefault(int(row["recall"]), []).append(
            RecalledBatch(
                id=int(row["id"]),
                batch_no=row["batch_no"],
                gtin=row["gtin"],
                product_name=row["product_name"],
                expires_on=db.as_date(row["expires_on"]),
            )
        )
    return found
