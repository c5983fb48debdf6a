"""An authority report's data (BPOM initial, progress or final report; FDA recall status
report): the recall, its products and batches, the distribution in the authority's market,
the deadlines and submissions of its profile, gathered before drawing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from recall import clock, db, masterdata, regulatory
from recall.errors import Conflict, InvalidInput
from recall.recalls._authority_report_text import LANGUAGES
from recall.recalls._destruction import (
    DestructionRecord,
    FilesOf,
    destruction_files,
    list_destructions,
)
from recall.recalls._effectiveness import EffectivenessCheckShown, list_effectiveness_checks
from recall.recalls._markets import (
    MarketDistribution,
    distribution_by_market,
    market_countries,
    report_addressees,
)
from recall.recalls._models import Deadline, Recall, RecallStatus, Submission
from recall.recalls._reconciliation import Reconciliation, ReconciliationLine, reconcile
from recall.recalls._service import get_recall
from recall.recalls._submissions import list_submissions
from recall.settings import get_settings

KINDS = ("initial", "progress", "final")
LISTED = 1000  # effectiveness checks, destruction records
NOT_RESPONDING_LISTED = 2000


@dataclass(frozen=True)
class Company:
    name: str
    address: str
    city: str


@dataclass(frozen=True)
class BatchLine:
    """A recalled batch with its product's particulars and what became of it."""

    batch_no: str
    gtin: str
    product_name: str
    strength: str
    dosage_form: str
    nie: str
    expires_on: date
    figures: ReconciliationLine


@dataclass(frozen=True)
class Silent:
    """A consignee of the market that has not responded."""

    code: str
    name: str
    tier: int
    country: str
    province: str | None


@dataclass(frozen=True)
class AuthorityReport:
    """Everything an authority report shows, gathered before drawing."""

    kind: str
    language: str
    rules: regulatory.Profile
    recall: Recall
    company: Company
    batches: list[BatchLine]
    totals: ReconciliationLine
    market: MarketDistribution
    addressees: list[str]
    deadlines: list[Deadline]
    submissions: list[Submission]
    checks: list[EffectivenessCheckShown]
    destructions: list[DestructionRecord]
    notification: dict[str, Any]  # the market's: when and how notified (as status reports say)
    responses: dict[str, Any]  # and the quantity on hand its consignees reported
    silent: list[Silent]
    silent_total: int
    completion: Deadline | None
    pharmacist: str
    generated_at: datetime
    # Each destruction record's evidence files (file name, SHA-256), by record id.
    destruction_files: dict[int, list[tuple[str, str]]] = field(default_factory=dict)


def _choice(field: str, value: str | None, allowed: tuple[str, ...]) -> str:
    if value is None or value not in allowed:
        raise InvalidInput(field, f"must be one of {', '.join(allowed)}")
    return value


async def _batch_lines(recall: Recall, found: Reconciliation) -> list[BatchLine]:
    figures = {line.batch_no: line for line in found.batches}
    lines = []
    for view in recall.batches:
        batch = await masterdata.get_batch(view.id)
        product = await masterdata.get_product(batch.product_id)
        empty = ReconciliationLine(
            view.batch_no, view.gtin, view.product_name, batch.quantity_produced, 0, 0, 0, 0
        )
        lines.append(
            BatchLine(
                batch_no=view.batch_no,
                gtin=view.gtin,
                product_name=product.name,
                strength=product.strength,
                dosage_form=product.dosage_form,
                nie=product.nie,
                expires_on=view.expires_on,
                figures=figures.get(view.batch_no, empty),
            )
        )
    return lines


async def _in_market(
    sql: str, countries: list[str] | None, *params: Any
) -> list[Mapping[str, Any]]:
    """`sql` (consignee alias c, a `{market}` where the market's test goes) for the consignees
    in `countries`, or for all of them (None)."""
    if countries is None:
        return await db.fetch(sql.format(market=""), *params)
    return await db.fetch_in(sql.format(market="AND c.country IN (*) "), countries, *params)


async def _silent(recall_id: int, countries: list[str] | None) -> tuple[list[Silent], int]:
    """The market's consignees without a response (the first NOT_RESPONDING_LISTED), and
    how many there are."""
    where = (
        "FROM notice n JOIN consignee c ON c.id = n.consignee "
        "WHERE n.recall = {{}} AND n.responded_at IS NULL {market}"
    )
    columns = (
        "SELECT c.code AS code, c.name AS name, n.tier AS tier, c.country AS country, "
        "c.province AS province"
    )
    rows = await _in_market(
        f"{columns} {where}ORDER BY n.tier, c.code LIMIT {{{{}}}}",
        countries,
        recall_id,
        NOT_RESPONDING_LISTED,
    )
    # SQLite runs a long country list in chunks, each with its own order and limit.
    rows = sorted(rows, key=lambda row: (int(row["tier"]), row["code"]))[:NOT_RESPONDING_LISTED]
    counted = await _in_market(f"SELECT COUNT(*) AS n {where}", countries, recall_id)
    listed = [
        Silent(row["code"], row["name"], int(row["tier"]), row["country"], row["province"])
        for row in rows
    ]
    return listed, sum(int(row["n"]) for row in counted)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


async def _notification(recall_id: int, countries: list[str] | None) -> dict[str, Any]:
    """When and how the market's consignees were notified (delivered notices per channel)."""
    times = await _in_market(
        "SELECT MIN(n.notified_at) AS first, MAX(n.notified_at) AS last, "
        "COALESCE(SUM(CASE WHEN n.reminders_sent > 0 THEN 1 ELSE 0 END), 0) AS reminded "
        "FROM notice n JOIN consignee c ON c.id = n.consignee WHERE n.recall = {{}} {market}",
        countries,
        recall_id,
    )
    methods: dict[str, int] = {}
    for row in await _in_market(
        "SELECT d.channel AS channel, COUNT(DISTINCT d.notice) AS notices FROM delivery d "
        "JOIN notice n ON n.id = d.notice JOIN consignee c ON c.id = n.consignee "
        "WHERE n.recall = {{}} AND d.message = 'notice' AND d.status = 'delivered' {market}"
        "GROUP BY d.channel ORDER BY d.channel",
        countries,
        recall_id,
    ):
        methods[row["channel"]] = methods.get(row["channel"], 0) + int(row["notices"])
    firsts = [db.as_utc(row["first"]) for row in times if row["first"] is not None]
    lasts = [db.as_utc(row["last"]) for row in times if row["last"] is not None]
    return {
        "first_notified_at": _iso(min(firsts)) if firsts else None,
        "last_notified_at": _iso(max(lasts)) if lasts else None,
        "methods": dict(sorted(methods.items())),
        "reminded": sum(int(row["reminded"]) for row in times),
    }


def _pharmacist(recall: Recall) -> str:
    """The printed name of the QA manager (responsible pharmacist) who approved the recall."""
    approvals = [s for s in recall.signatures if s.action == "approve"]
    return approvals[-1].full_name if approvals else ""


def _completion(deadlines: list[Deadline]) -> Deadline | None:
    """The estimated time frame for completion: the latest completion deadline."""
    targets = [d for d in deadlines if d.key.endswith("_complete")]
    return max(targets, key=lambda d: d.due_at) if targets else None


async def authority_report(
    recall_id: int,
    kind: str | None,
    language: str | None = None,
    profile: str | None = None,
    files_of: FilesOf | None = None,
) -> AuthorityReport:
    """The data of the `kind` report to `profile`'s authority (by default the recall's
    first profile), in `language` (by default the profile's). InvalidInput naming `kind`,
    `lang` or `profile`; NotFound for an unknown recall; Conflict for one only proposed.
    `files_of` reads a destruction record's evidence files for the reader."""
    kind = _choice("kind", kind, KINDS)
    if language is not None:
        _choice("lang", language, LANGUAGES)
    recall = await get_recall(recall_id)
    profile = profile or recall.profile
    if profile not in recall.profiles:
        raise InvalidInput(
            "profile", f"not a profile of this recall; one of {', '.join(recall.profiles)}"
        )
    if recall.status == RecallStatus.PROPOSED:
        raise Conflict(f"recall {recall.reference} is only proposed: nothing to report yet")
    rules = regulatory.load_profile(profile)
    now = clock.now().astimezone(UTC)
    countries = await market_countries(recall_id, profile)
    found = await reconcile(recall_id, countries)
    market = next(m for m in await distribution_by_market(recall_id) if m.profile == profile)
    deadlines = [d for d in recall.deadlines if d.profile in ("", profile)]
    checks, _ = await list_effectiveness_checks(recall_id, limit=LISTED)
    destructions, _ = await list_destructions(recall_id, limit=LISTED)
    silent, silent_total = await _silent(recall_id, countries)
    settings = get_settings()
    return AuthorityReport(
        kind=kind,
        language=language or rules.language,
        rules=rules,
        recall=recall,
        company=Company(settings.company_name, settings.company_address, settings.company_city),
        batches=await _batch_lines(recall, found),
        totals=found.totals,
        market=market,
        addressees=await report_addressees(recall_id, profile),
        deadlines=deadlines,
        submissions=[s for s in await list_submissions(recall_id) if s.profile == profile],
        checks=checks,
        destructions=destructions,
        notification=await _notification(recall_id, countries),
        responses={"quantity_on_hand": sum(t.totals.quantity_on_hand for t in found.tiers)},
        silent=silent,
        silent_total=silent_total,
        completion=_completion(deadlines),
        pharmacist=_pharmacist(recall),
        generated_at=now,
        # Only the final report lists the destruction records.
        destruction_files=await destruction_files(destructions, files_of)
        if kind == "final"
        else {},
    )
