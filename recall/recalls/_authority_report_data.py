"""An authority report's data (BPOM initial, progress or final report; FDA recall status
report): the recall, its products and batches, the distribution in the authority's market,
the deadlines and submissions of its profile, gathered before drawing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from recall import clock, db, masterdata, regulatory
from recall.errors import Conflict, InvalidInput
from recall.recalls._authority_report_text import LANGUAGES
from recall.recalls._destruction import DestructionRecord, list_destructions
from recall.recalls._effectiveness import EffectivenessCheckShown, list_effectiveness_checks
from recall.recalls._markets import MarketDistribution, distribution_by_market, report_addressees
from recall.recalls._models import Deadline, Recall, RecallStatus, Submission
from recall.recalls._reconciliation import ReconciliationLine, reconcile
from recall.recalls._reports import status_report_content
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
    notification: dict[str, Any]  # status_report_content's: when and how notified
    responses: dict[str, Any]  # and who responded, with the quantity on hand they reported
    silent: list[Silent]
    silent_total: int
    completion: Deadline | None
    pharmacist: str
    generated_at: datetime

    @property
    def several_markets(self) -> bool:
        return len(self.recall.profiles) > 1


def _choice(field: str, value: str | None, allowed: tuple[str, ...]) -> str:
    if value is None or value not in allowed:
        raise InvalidInput(field, f"must be one of {', '.join(allowed)}")
    return value


async def _batch_lines(recall: Recall) -> tuple[list[BatchLine], ReconciliationLine]:
    found = await reconcile(recall.id)
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
    return lines, found.totals


async def _silent(recall: Recall, profile: str) -> tuple[list[Silent], int]:
    """The market's consignees without a response (the first NOT_RESPONDING_LISTED), and
    how many there are."""
    where = (
        "FROM notice n JOIN consignee c ON c.id = n.consignee "
        "WHERE n.recall = {} AND n.responded_at IS NULL"
    )
    columns = (
        "SELECT c.code AS code, c.name AS name, n.tier AS tier, c.country AS country, "
        "c.province AS province"
    )
    if len(recall.profiles) == 1:  # every consignee is in the one market
        rows = await db.fetch(
            f"{columns} {where} ORDER BY n.tier, c.code LIMIT {{}}",
            recall.id,
            NOT_RESPONDING_LISTED,
        )
        total = int((await db.fetch(f"SELECT COUNT(*) AS n {where}", recall.id))[0]["n"])
    else:
        found = await db.fetch(f"{columns} {where} ORDER BY n.tier, c.code", recall.id)
        rows = [r for r in found if regulatory.market_of(recall.profiles, r["country"]) == profile]
        total = len(rows)
    listed = [
        Silent(row["code"], row["name"], int(row["tier"]), row["country"], row["province"])
        for row in rows[:NOT_RESPONDING_LISTED]
    ]
    return listed, total


def _pharmacist(recall: Recall) -> str:
    """The printed name of the QA manager (responsible pharmacist) who approved the recall."""
    approvals = [s for s in recall.signatures if s.action == "approve"]
    return approvals[-1].full_name if approvals else ""


def _completion(deadlines: list[Deadline]) -> Deadline | None:
    """The estimated time frame for completion: the latest completion deadline."""
    targets = [d for d in deadlines if d.key.endswith("_complete")]
    return max(targets, key=lambda d: d.due_at) if targets else None


async def authority_report(
    recall_id: int, kind: str | None, language: str | None = None, profile: str | None = None
) -> AuthorityReport:
    """The data of the `kind` report to `profile`'s authority (by default the recall's
    first profile), in `language` (by default the profile's). InvalidInput naming `kind`,
    `lang` or `profile`; NotFound for an unknown recall; Conflict for one only proposed."""
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
    batches, totals = await _batch_lines(recall)
    market = next(m for m in await distribution_by_market(recall_id) if m.profile == profile)
    deadlines = [d for d in recall.deadlines if d.profile in ("", profile)]
    checks, _ = await list_effectiveness_checks(recall_id, limit=LISTED)
    destructions, _ = await list_destructions(recall_id, limit=LISTED)
    silent, silent_total = await _silent(recall, profile)
    settings = get_settings()
    content = await status_report_content(recall_id, now)
    return AuthorityReport(
        kind=kind,
        language=language or rules.language,
        rules=rules,
        recall=recall,
        company=Company(settings.company_name, settings.company_address, settings.company_city),
        batches=batches,
        totals=totals,
        market=market,
        addressees=await report_addressees(recall_id, profile),
        deadlines=deadlines,
        submissions=[s for s in await list_submissions(recall_id) if s.profile == profile],
        checks=checks,
        destructions=destructions,
        notification=content["notification"],
        responses=content["responses"],
        silent=silent,
        silent_total=silent_total,
        completion=_completion(deadlines),
        pharmacist=_pharmacist(recall),
        generated_at=now,
    )
