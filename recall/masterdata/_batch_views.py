"""Batches as other contexts list them, read from the batch and product tables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from recall import db
from recall.masterdata._models import BatchView

# The columns batch_view reads, from `batch b JOIN product p ON p.id = b.product`.
BATCH_VIEW_COLUMNS = (
    "b.id AS id, b.batch_no AS batch_no, p.gtin AS gtin, p.name AS product_name, "
    "b.expires_on AS expires_on, b.status AS status"
)


def batch_view(row: Mapping[str, Any]) -> BatchView:
    """The view of a row holding BATCH_VIEW_COLUMNS."""
    return BatchView(
        id=int(row["id"]),
        batch_no=row["batch_no"],
        gtin=row["gtin"],
        product_name=row["product_name"],
        expires_on=db.as_date(row["expires_on"]),
        status=row["status"],
    )
