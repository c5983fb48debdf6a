"""Use cases of master data: products, batches, material lots, consignees, shipments."""

from __future__ import annotations

from typing import Any

from recall.errors import InvalidInput, NotFound
from recall.masterdata.models import Consignee
from recall.masterdata.tables import Consignee as ConsigneeRow


def _consignee(row: dict[str, Any]) -> Consignee:
    return Consignee(
        id=row["id"],
        code=row["code"],
        name=row["name"],
        kind=row["kind"],
        parent_code=row.get("parent.code"),
        email=row["email"],
        phone=row["phone"],
        after_hours_phone=row["after_hours_phone"],
        webhook_url=row["webhook_url"],
        province=row["province"],
    )


def _consignee_query() -> Any:
    return ConsigneeRow.select(*ConsigneeRow.all_columns(), ConsigneeRow.parent.code)


async def get_consignee(consignee_id: int) -> Consignee:
    row = await _consignee_query().where(ConsigneeRow.id == consignee_id).first()
    if row is None:
        raise NotFound(f"consignee {consignee_id} not found")
    return _consignee(row)


async def consignee_by_code(code: str, *, field: str = "consignee_code") -> Consignee:
    """The consignee with `code`; InvalidInput naming `field` when there is none."""
    row = await _consignee_query().where(ConsigneeRow.code == code.strip()).first()
    if row is None:
        raise InvalidInput(field, f"no consignee with code {code!r}")
    return _consignee(row)
