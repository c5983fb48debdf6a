"""Where a consignee is: its country (ISO 3166 alpha-2) and province, which decide the market
(regulatory profile) a recall reaches it under and the province its figures count in."""

from __future__ import annotations

from collections.abc import Iterable

from recall import db, regulatory
from recall.errors import InvalidInput
from recall.rules import is_valid_id, text
from recall.settings import get_settings

INDONESIA = "ID"
PROVINCE_MAX = 100


def check_country(value: str | None, field: str = "country", *, default: str | None = None) -> str:
    """An ISO 3166 alpha-2 code in upper case; blank is `default`, else the plant's country."""
    if value is None or not value.strip():
        return default or get_settings().plant_country
    code = regulatory.country_code(value)
    if code is None:
        raise InvalidInput(field, "not an ISO 3166 alpha-2 country code (e.g. ID, US, DE)")
    return code


def check_province(value: str | None, country: str, field: str = "province") -> str | None:
    """Indonesia's official name for an Indonesian province (aliases accepted); elsewhere a
    state or region as written. None when blank."""
    province = text(value, field, PROVINCE_MAX, required=False, one_line=True)
    if province is None or country != INDONESIA:
        return province
    official = regulatory.canonical_province(province)
    if official is None:
        raise InvalidInput(
            field, "not a province of Indonesia (e.g. DKI Jakarta, Jawa Timur, Sumatera Utara)"
        )
    return official


async def consignee_markets(consignee_ids: Iterable[int]) -> dict[int, tuple[str, str | None]]:
    """Country and province of each consignee, by id (unknown ids are left out).

    In SQL, the same values are the `country` and `province` columns of `consignee`.
    """
    ids = sorted({consignee_id for consignee_id in consignee_ids if is_valid_id(consignee_id)})
    if not ids:
        return {}
    rows = await db.fetch_in("SELECT id, country, province FROM consignee WHERE id IN (*)", ids)
    return {int(row["id"]): (row["country"], row["province"]) for row in rows}
