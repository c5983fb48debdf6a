"""Read-only lookups for lists of recalls: what each one recalls, in one query per page."""

from __future__ import annotations

from collections.abc import Sequence

from recall import db, masterdata


async def batches_by_recall(recall_ids: Sequence[int]) -> dict[int, list[masterdata.BatchView]]:
    """The batches of each recall in `recall_ids`, by batch number."""
    if not recall_ids:
        return {}
    rows = await db.fetch_in(
        f"SELECT rb.recall AS recall, {masterdata.BATCH_VIEW_COLUMNS} FROM recall_batch rb "
        "JOIN batch b ON b.id = rb.batch JOIN product p ON p.id = b.product "
        "WHERE rb.recall IN (*) ORDER BY rb.recall, b.batch_no, b.id",
        recall_ids,
    )
    found: dict[int, list[masterdata.BatchView]] = {}
    for row in rows:
        found.setdefault(int(row["recall"]), []).append(masterdata.batch_view(row))
    return found
