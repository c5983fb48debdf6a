"""A recall's distribution split by market (profile), tier and province, for the reports to
each authority, and the addressees such a report goes to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from recall import db, regulatory
from recall.errors import InvalidInput
from recall.recalls._orders import profiles_of
from recall.recalls._service import recall_row

BPOM_HEAD = "Kepala Badan Pengawas Obat dan Makanan"


@dataclass(frozen=True)
class ProvinceDistribution:
    """The consignees of one tier in one province (None: not recorded) of one country."""

    country: str
    province: str | None
    consignees: int
    quantity_distributed: int
    quantity_returned: int
    notified: int
    acknowledged: int
    responded: int


@dataclass(frozen=True)
class TierDistribution:
    tier: int
    consignees: int
    quantity_distributed: int
    provinces: list[ProvinceDistribution]


@dataclass(frozen=True)
class MarketDistribution:
    """The part of a recall one profile's authority oversees: consignees in its countries."""

    profile: str
    authority: str
    consignees: int
    quantity_distributed: int
    tiers: list[TierDistribution]


async def _places(recall_id: int) -> list[tuple[int, ProvinceDistribution]]:
    """Each (tier, country, province) with its consignees' counts and quantities."""
    counts = await db.fetch(
        "SELECT n.tier AS tier, c.country AS country, c.province AS province, "
        "COUNT(*) AS consignees, COUNT(n.notified_at) AS notified, "
        "COUNT(n.acknowledged_at) AS acknowledged, COUNT(n.responded_at) AS responded "
        "FROM notice n JOIN consignee c ON c.id = n.consignee WHERE n.recall = {} "
        "GROUP BY n.tier, c.country, c.province",
        recall_id,
    )
    units = {
        (int(row["tier"]), row["country"], row["province"]): row
        for row in await db.fetch(
            "SELECT n.tier AS tier, c.country AS country, c.province AS province, "
            "SUM(l.quantity_distributed) AS distributed, SUM(l.quantity_returned) AS returned "
            "FROM notice_line l JOIN notice n ON n.id = l.notice "
            "JOIN consignee c ON c.id = n.consignee WHERE l.recall = {} "
            "GROUP BY n.tier, c.country, c.province",
            recall_id,
        )
    }
    places: list[tuple[int, ProvinceDistribution]] = []
    for row in counts:
        tier = int(row["tier"])
        quantities = units.get((tier, row["country"], row["province"]))
        places.append(
            (
                tier,
                ProvinceDistribution(
                    country=row["country"],
                    province=row["province"],
                    consignees=int(row["consignees"]),
                    quantity_distributed=int(quantities["distributed"] or 0) if quantities else 0,
                    quantity_returned=int(quantities["returned"] or 0) if quantities else 0,
                    notified=int(row["notified"]),
                    acknowledged=int(row["acknowledged"]),
                    responded=int(row["responded"]),
                ),
            )
        )
    return places


def _tiers(places: Sequence[tuple[int, ProvinceDistribution]]) -> list[TierDistribution]:
    tiers: dict[int, list[ProvinceDistribution]] = {}
    for tier, place in places:
        tiers.setdefault(tier, []).append(place)
    return [
        TierDistribution(
            tier=tier,
            consignees=sum(place.consignees for place in found),
            quantity_distributed=sum(place.quantity_distributed for place in found),
            provinces=sorted(
                found, key=lambda p: (p.country, p.province is None, p.province or "")
            ),
        )
        for tier, found in sorted(tiers.items())
    ]


async def distribution_by_market(recall_id: int) -> list[MarketDistribution]:
    """Per profile of the recall (in its order): per tier, per country and province, the
    consignees notified of the recall, what they received and what they answered."""
    profiles = profiles_of(await recall_row(recall_id))
    markets: dict[str, list[tuple[int, ProvinceDistribution]]] = {p: [] for p in profiles}
    for tier, place in await _places(recall_id):
        markets[regulatory.market_of(profiles, place.country)].append((tier, place))
    found = []
    for profile, places in markets.items():
        tiers = _tiers(places)
        found.append(
            MarketDistribution(
                profile=profile,
                authority=regulatory.load_profile(profile).authority,
                consignees=sum(tier.consignees for tier in tiers),
                quantity_distributed=sum(tier.quantity_distributed for tier in tiers),
                tiers=tiers,
            )
        )
    return found


async def market_countries(recall_id: int, profile: str) -> list[str] | None:
    """The countries of the recall's consignees that are `profile`'s market (sorted); None
    when the recall runs under one profile only, so every consignee is in its market."""
    profiles = profiles_of(await recall_row(recall_id))
    if len(profiles) == 1:
        return None
    rows = await db.fetch(
        "SELECT DISTINCT c.country AS country FROM notice n "
        "JOIN consignee c ON c.id = n.consignee WHERE n.recall = {}",
        recall_id,
    )
    countries = {row["country"] for row in rows}
    return sorted(c for c in countries if regulatory.market_of(profiles, c) == profile)


async def report_addressees(recall_id: int, profile: str) -> list[str]:
    """Whom a report to `profile`'s authority is addressed to: for BPOM its head and the
    regional office of every province the recall's notices reached (distinct, sorted);
    for another authority, the authority."""
    profiles = profiles_of(await recall_row(recall_id))
    if profile not in profiles:
        raise InvalidInput("profile", f"not a profile of this recall; one of {', '.join(profiles)}")
    rules = regulatory.load_profile(profile)
    if profile != "bpom":
        return [rules.authority_name]
    rows = await db.fetch(
        "SELECT DISTINCT c.country AS country, c.province AS province FROM notice n "
        "JOIN consignee c ON c.id = n.consignee WHERE n.recall = {} AND c.province IS NOT NULL",
        recall_id,
    )
    offices = set()
    for row in rows:
        if regulatory.market_of(profiles, row["country"]) != profile:
            continue
        office = regulatory.regional_office(row["province"])
        if office is not None:
            offices.add(office.name)
    return [BPOM_HEAD, *sorted(offices)]
