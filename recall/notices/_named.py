"""What a consignee sees of the customers it names (the cascade), and only that.

A customer the naming consignee created (a new code, its parent) is its own to follow: its
notice, tier and answers are shown. Any other consignee it names (another distributor, an
outlet we already knew) is someone else's: the namer sees back only what it sent, never that
consignee's stored name, notice ids or statuses.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

import msgspec

from recall import db, masterdata
from recall.actors import Actor
from recall.errors import NotFound
from recall.notices._consignee import PROPOSED, _consignee_of
from recall.notices._idempotency import StoredAnswer
from recall.rules import is_valid_id


@dataclass(frozen=True)
class SubConsignee:
    """One customer a consignee names, with what it passed on to it of one batch."""

    code: str
    name: str
    kind: str
    batch_no: str
    quantity: int
    email: str | None = None
    webhook_url: str | None = None
    country: str | None = None  # ISO 3166 alpha-2 of a new customer; none: the namer's


@dataclass(frozen=True)
class SubConsigneeNaming:
    """The customers a consignee names for one of its notices (the cascade's request)."""

    consignees: tuple[SubConsignee, ...]


class NoticeOutcome(StrEnum):
    CREATED = "created"  # a new notice at the tier below the naming consignee
    LINE_ADDED = "line_added"  # it already had a notice in this recall; the batch was added
    UNCHANGED = "unchanged"  # it already had a notice covering this batch


@dataclass(frozen=True)
class NamedSubConsignee:
    """One named customer as the namer sent it, and what became of it when its own.

    `code`, `name`, `kind`, `batch_no` and `quantity` echo the request. For a customer of
    the namer's own (created by it), `notice_id`, `tier`, `notice` and `notified` say what
    became of it (`notified`: a notice was queued to it by webhook and/or e-mail; one with
    neither is phoned by QA); for any other consignee they are None.
    """

    code: str
    name: str
    kind: str
    batch_no: str
    quantity: int
    notice_id: int | None
    tier: int | None
    new_consignee: bool
    notice: NoticeOutcome | None
    notified: bool | None
    # Shown once, for a customer created by this request with a webhook: the naming
    # consignee passes it on so the customer can verify our signatures.
    webhook_secret: str | None = None


@dataclass(frozen=True)
class SubConsigneesNamed:
    consignees: tuple[NamedSubConsignee, ...]


@dataclass(frozen=True)
class NamedLine:
    batch_no: str
    gtin: str
    quantity: int


@dataclass(frozen=True)
class SubConsigneeNotice:
    """A notice that came about because this notice's consignee named its customer.

    For a consignee that is not the namer's own only its code is shown (everything else
    None, no lines): its record and notice are not the namer's to see.
    """

    notice_id: int | None
    code: str
    name: str | None
    kind: str | None
    tier: int | None
    status: str | None
    acknowledged_at: datetime | None
    responded_at: datetime | None
    lines: tuple[NamedLine, ...]


def secrets_sealed(named: SubConsigneesNamed) -> SubConsigneesNamed:
    """The answer as kept for replays: a new customer's signing secret only sealed."""
    return SubConsigneesNamed(
        tuple(
            replace(item, webhook_secret=masterdata.seal_webhook_secret(item.webhook_secret))
            if item.webhook_secret
            else item
            for item in named.consignees
        )
    )


def secrets_opened(answer: StoredAnswer) -> StoredAnswer:
    """A replayed answer shows the signing secrets again, as the first answer did."""
    body = msgspec.json.decode(answer.body)
    for item in body.get("consignees", []):
        if item.get("webhook_secret"):
            item["webhook_secret"] = masterdata.open_webhook_secret(item["webhook_secret"])
    return StoredAnswer(answer.answer_code, msgspec.json.encode(body))


async def list_sub_consignees(
    actor: Actor, notice_id: int, limit: int = 50, offset: int = 0
) -> tuple[list[SubConsigneeNotice], int]:
    """The notices given to the customers the acting consignee named through `notice_id`."""
    consignee_id = _consignee_of(actor)
    own = []
    if is_valid_id(notice_id):
        own = await db.fetch(
            "SELECT n.id AS id FROM notice n JOIN recall rc ON rc.id = n.recall "
            "WHERE n.id = {} AND n.consignee = {} AND rc.status <> {}",
            notice_id,
            consignee_id,
            PROPOSED,
        )
    if not own:
        raise NotFound(f"notice {notice_id} not found")
    rows = await db.fetch(
        "SELECT n.id AS id, c.code AS code, c.name AS name, c.kind AS kind, n.tier AS tier, "
        "n.status AS status, n.acknowledged_at AS acknowledged_at, "
        "n.responded_at AS responded_at, c.parent AS parent "
        "FROM notice n JOIN consignee c ON c.id = n.consignee "
        "WHERE n.via_notice = {} ORDER BY c.code, n.id LIMIT {} OFFSET {}",
        notice_id,
        limit,
        offset,
    )
    total = await db.fetch("SELECT COUNT(*) AS total FROM notice WHERE via_notice = {}", notice_id)
    mine = [row for row in rows if row["parent"] is not None and int(row["parent"]) == consignee_id]
    lines: dict[int, list[NamedLine]] = {int(row["id"]): [] for row in mine}
    ids = list(lines)
    if ids:
        for row in await db.fetch_in(
            "SELECT l.notice AS notice, b.batch_no AS batch_no, p.gtin AS gtin, "
            "l.quantity_distributed AS quantity FROM notice_line l "
            "JOIN batch b ON b.id = l.batch JOIN product p ON p.id = b.product "
            "WHERE l.notice IN (*) ORDER BY b.batch_no, l.id",
            ids,
        ):
            lines[int(row["notice"])].append(
                NamedLine(row["batch_no"], row["gtin"], int(row["quantity"]))
            )
    items = [
        SubConsigneeNotice(
            notice_id=int(row["id"]),
            code=row["code"],
            name=row["name"],
            kind=row["kind"],
            tier=int(row["tier"]),
            status=row["status"],
            acknowledged_at=db.as_utc(row["acknowledged_at"]),
            responded_at=db.as_utc(row["responded_at"]),
            lines=tuple(lines[int(row["id"])]),
        )
        if int(row["id"]) in lines
        else SubConsigneeNotice(None, row["code"], None, None, None, None, None, None, ())
        for row in rows
    ]
    return items, int(total[0]["total"])
