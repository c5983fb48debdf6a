"""Reading a recall's scope amendments as shown: batches, names, signature."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from recall import auth, db, masterdata
from recall.errors import NotFound
from recall.recalls._models import AMENDMENT, Amendment, SignatureShown

_BATCH_SQL = (
    f"SELECT {masterdata.BATCH_VIEW_COLUMNS} FROM batch b JOIN product p ON p.id = b.product "
)


async def _batches(batch_ids: list[int]) -> list[masterdata.BatchView]:
    rows = await db.fetch_in(_BATCH_SQL + "WHERE b.id IN (*) ORDER BY b.batch_no, b.id", batch_ids)
    return [masterdata.batch_view(row) for row in rows]


async def material_lot(lot_id: int | None) -> masterdata.MaterialLot | None:
    return None if lot_id is None else await masterdata.get_material_lot(lot_id)


async def _names(user_ids: Iterable[int | None]) -> dict[int, str]:
    names: dict[int, str] = {}
    for user_id in {user_id for user_id in user_ids if user_id is not None}:
        try:
            user = await auth.get_user(user_id)
        except NotFound:
            continue
        names[user_id] = user.full_name or user.username
    return names


async def amendment_views(rows: Sequence[Mapping[str, Any]]) -> list[Amendment]:
    names = await _names(
        [row["proposed_by"] for row in rows] + [row["approved_by"] for row in rows]
    )
    views = {
        batch.id: batch
        for batch in await _batches(
            sorted({int(i) for row in rows for i in json.loads(row["batches"])})
        )
    }
    found = []
    for row in rows:
        signatures = await auth.signatures_of(AMENDMENT, row["id"])
        signed = signatures[-1] if signatures else None
        found.append(
            Amendment(
                id=int(row["id"]),
                recall_id=int(row["recall"]),
                number=int(row["number"]),
                status=row["status"],
                reason=row["reason"],
                material_lot=await material_lot(row["material_lot"]),
                batches_added=sorted(
                    (views[int(i)] for i in json.loads(row["batches"]) if int(i) in views),
                    key=lambda b: (b.batch_no, b.id),
                ),
                consignees_added=int(row["consignees_added"] or 0),
                proposed_at=db.as_utc(row["proposed_at"]),
                proposed_by=row["proposed_by"],
                proposed_by_name=names.get(row["proposed_by"]),
                approved_at=db.as_utc(row["approved_at"]) if row["approved_at"] else None,
                approved_by=row["approved_by"],
                approved_by_name=names.get(row["approved_by"]),
                signature=None
                if signed is None
                else SignatureShown(
                    signed.full_name, signed.meaning, signed.signed_at, signed.action,
                    signed.record_hash,
                ),
                version=int(row["version"]),
            )
        )  # fmt: skip
    return found


async def amendments_of(recall_id: int) -> list[Amendment]:
    """A recall's scope amendments, first first."""
    rows = await db.fetch(
        "SELECT * FROM recall_amendment WHERE recall = {} ORDER BY number, id", recall_id
    )
    return await amendment_views(rows)
