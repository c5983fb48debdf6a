"""The cascade: a consignee names its own customers, who then get notices in turn.

A customer is named by code. A code already in master data means that consignee, as
stored: the name, kind and addresses given are not used and never overwrite the record.
A new code creates a consignee whose parent is the naming consignee.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec

from recall import audit, clock, db, masterdata
from recall.auth import Actor
from recall.errors import Conflict, InvalidInput, NotFound
from recall.notices.consignee import (
    MAX_QUANTITY,
    PROPOSED,
    _consignee_of,
    _Line,
    _line_of,
    _notice_lines,
    _once,
    _open_notice,
)
from recall.notices.delivery import schedule
from recall.notices.idempotency import IdempotencyKey, StoredAnswer
from recall.notices.models import PlannedLine, PlannedNotice, within_depth
from recall.notices.service import create_notices, insert_lines
from recall.rules import choice, is_valid_id, required_text, text

MAX_NAMED = 1000
# Values per IN (...) list: well under SQLite's and PostgreSQL's parameter limits.
IDS_PER_QUERY = 500
CONSIGNEES_PER_INSERT = 500


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


class NoticeOutcome(StrEnum):
    CREATED = "created"  # a new notice at the tier below the naming consignee
    LINE_ADDED = "line_added"  # it already had a notice in this recall; the batch was added
    UNCHANGED = "unchanged"  # it already had a notice covering this batch


@dataclass(frozen=True)
class NamedSubConsignee:
    """What became of one named customer: its notice, and whether it was told just now.

    `name` and `kind` are as stored. `notified` says a notice was queued to it (webhook
    and/or e-mail) by this request; a new notice to a consignee with neither is not, and
    QA is alerted to phone it instead.
    """

    code: str
    name: str
    kind: str
    batch_no: str
    quantity: int
    notice_id: int
    tier: int
    new_consignee: bool
    notice: str
    notified: bool
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
    """A notice that came about because this notice's consignee named its customer."""

    notice_id: int
    code: str
    name: str
    kind: str
    tier: int
    status: str
    acknowledged_at: datetime | None
    responded_at: datetime | None
    lines: tuple[NamedLine, ...]


def _entry(entry: SubConsignee) -> SubConsignee:
    """One entry trimmed and checked on its own; errors name the field within the entry."""
    batch_no = text(entry.batch_no, "batch_no", 40, one_line=True)
    assert batch_no is not None  # required text is never None
    if isinstance(entry.quantity, bool) or not 1 <= entry.quantity <= MAX_QUANTITY:
        raise InvalidInput("quantity", f"a whole number from 1 to {MAX_QUANTITY}")
    return SubConsignee(
        code=masterdata.check_code(entry.code, "code"),
        name=required_text(entry.name, "name", masterdata.NAME_MAX, one_line=True),
        kind=choice(masterdata.ConsigneeKind, entry.kind, "kind").value,
        batch_no=batch_no,
        quantity=entry.quantity,
        email=masterdata.check_email(entry.email),
        webhook_url=masterdata.check_webhook_url(entry.webhook_url),
    )


def _checked(named: Sequence[SubConsignee]) -> list[SubConsignee]:
    """The entries trimmed and checked, before the database is asked."""
    if not named:
        raise InvalidInput("consignees", "name at least one customer")
    if len(named) > MAX_NAMED:
        raise InvalidInput("consignees", f"at most {MAX_NAMED} per request")
    checked: list[SubConsignee] = []
    kind_of: dict[str, str] = {}
    seen: set[tuple[str, str]] = set()
    for index, given in enumerate(named):
        at = f"consignees[{index}]"
        try:
            entry = _entry(given)
        except InvalidInput as exc:
            field = exc.field or "code"
            raise InvalidInput(f"{at}.{field}", exc.detail.removeprefix(f"{field}: ")) from None
        if kind_of.setdefault(entry.code, entry.kind) != entry.kind:
            raise InvalidInput(
                f"{at}.kind", f"{entry.code} is named before as {kind_of[entry.code]}"
            )
        if (entry.code, entry.batch_no) in seen:
            raise InvalidInput(
                f"{at}.batch_no", f"{entry.code} is named twice for batch {entry.batch_no}"
            )
        seen.add((entry.code, entry.batch_no))
        checked.append(entry)
    return checked


async def name_sub_consignees(
    actor: Actor,
    notice_id: int,
    named: Sequence[SubConsignee],
    key: IdempotencyKey | None = None,
) -> SubConsigneesNamed | StoredAnswer:
    """Name the acting consignee's customers for one of its notices (the cascade).

    Each customer gets a notice one tier below, for the batches and quantities named,
    when the recall's depth reaches its kind; its delivery is queued with the change. A
    customer that already has a notice in this recall keeps it and gains only a missing
    batch. Per batch, everything named through this notice may not exceed what the
    consignee received. Honours an Idempotency-Key like acknowledge_notice.
    """
    consignee_id = _consignee_of(actor)
    entries = _checked(named)
    # Where the worker would post: hosts resolved, the field naming its entry.
    webhooks = [(f"consignees[{i}].webhook_url", e.webhook_url) for i, e in enumerate(entries)]
    await masterdata.check_webhook_destinations([(at, url) for at, url in webhooks if url])
    try:
        result = await _once(
            actor,
            key,
            lambda: _name(actor, consignee_id, notice_id, entries),
            status_code=201,
            kept=_secrets_sealed,
        )
    except Exception as exc:
        # A concurrent request created the same consignee or notice first.
        if db.is_unique_violation(exc):
            raise Conflict(f"notice {notice_id}: customers changed meanwhile; send again") from None
        raise
    return _secrets_opened(result) if isinstance(result, StoredAnswer) else result


def _secrets_sealed(named: SubConsigneesNamed) -> SubConsigneesNamed:
    """The answer as kept for replays: a new customer's signing secret only sealed."""
    return SubConsigneesNamed(
        tuple(
            replace(item, webhook_secret=masterdata.seal_webhook_secret(item.webhook_secret))
            if item.webhook_secret
            else item
            for item in named.consignees
        )
    )


def _secrets_opened(answer: StoredAnswer) -> StoredAnswer:
    """A replayed answer shows the signing secrets again, as the first answer did."""
    body = msgspec.json.decode(answer.body)
    for item in body.get("consignees", []):
        if item.get("webhook_secret"):
            item["webhook_secret"] = masterdata.open_webhook_secret(item["webhook_secret"])
    return StoredAnswer(answer.status_code, msgspec.json.encode(body))


@dataclass
class _Customer:
    """A named customer as found or about to be created, and its notice in this recall."""

    code: str
    name: str
    kind: str
    email: str | None
    webhook_url: str | None
    id: int | None = None
    new: bool = False
    notice_id: int | None = None
    tier: int = 0
    batches: set[int] | None = None  # batches its existing notice covers
    webhook_secret: str | None = None  # set only when created by this request

    @property
    def reachable(self) -> bool:
        return bool(self.email or self.webhook_url)


async def _naming_notice(notice_id: int) -> dict[str, Any]:
    rows = await db.fetch(
        "SELECT n.recall AS recall, n.tier AS tier, n.version AS version, rc.depth AS depth, "
        "c.code AS code FROM notice n JOIN recall rc ON rc.id = n.recall "
        "JOIN consignee c ON c.id = n.consignee WHERE n.id = {}",
        notice_id,
    )
    return rows[0]


async def _named_before(notice_id: int) -> dict[int, int]:
    """Per batch, what this notice's consignee already passed on through earlier namings."""
    rows = await db.fetch(
        "SELECT l.batch AS batch, SUM(l.quantity_distributed) AS quantity "
        "FROM notice_line l JOIN notice n ON n.id = l.notice WHERE n.via_notice = {} "
        "GROUP BY l.batch",
        notice_id,
    )
    return {int(row["batch"]): int(row["quantity"]) for row in rows}


def _check_quantities(
    entries: list[SubConsignee], targets: list[_Line], before: dict[int, int]
) -> None:
    """Per batch, all named through the notice must fit in what its consignee received."""
    named = dict(before)
    for index, (entry, line) in enumerate(zip(entries, targets, strict=True)):
        named[line.batch] = named.get(line.batch, 0) + entry.quantity
        if named[line.batch] > line.quantity_distributed:
            already = before.get(line.batch, 0)
            earlier = f", {already} of them named before" if already else ""
            raise InvalidInput(
                f"consignees[{index}].quantity",
                f"{named[line.batch]} of batch {entry.batch_no} named{earlier}: more than the "
                f"{line.quantity_distributed} you received",
            )


async def _customers(entries: list[SubConsignee], recall_id: int) -> dict[str, _Customer]:
    """Each named code: the stored consignee when known, and its notice in this recall."""
    customers: dict[str, _Customer] = {}
    for entry in entries:
        # A new consignee is described by the first entry that names it.
        customers.setdefault(
            entry.code,
            _Customer(entry.code, entry.name, entry.kind, entry.email, entry.webhook_url),
        )
    codes = list(customers)
    for start in range(0, len(codes), IDS_PER_QUERY):
        chunk = codes[start : start + IDS_PER_QUERY]
        marks = ", ".join("{}" for _ in chunk)
        for row in await db.fetch(
            "SELECT id, code, name, kind, email, webhook_url FROM consignee "
            f"WHERE code IN ({marks})",
            *chunk,
        ):
            customers[row["code"]] = _Customer(
                row["code"], row["name"], row["kind"], row["email"], row["webhook_url"],
                id=int(row["id"]),
            )  # fmt: skip
    known = {customer.id: customer for customer in customers.values() if customer.id}
    ids = list(known)
    for start in range(0, len(ids), IDS_PER_QUERY):
        chunk_ids = ids[start : start + IDS_PER_QUERY]
        marks = ", ".join("{}" for _ in chunk_ids)
        rows = await db.fetch(
            "SELECT n.id AS id, n.consignee AS consignee, n.tier AS tier, l.batch AS batch "
            "FROM notice n LEFT JOIN notice_line l ON l.notice = n.id "
            f"WHERE n.recall = {{}} AND n.consignee IN ({marks})",
            recall_id,
            *chunk_ids,
        )
        for row in rows:
            customer = known[int(row["consignee"])]
            customer.notice_id, customer.tier = int(row["id"]), int(row["tier"])
            customer.batches = customer.batches or set()
            if row["batch"] is not None:
                customer.batches.add(int(row["batch"]))
    return customers


def _secret_shown(customer: _Customer) -> str | None:
    return customer.webhook_secret if customer.new and customer.webhook_url else None


async def _create_consignees(
    actor: Actor, customers: list[_Customer], parent_id: int, parent_code: str, now: datetime
) -> None:
    for start in range(0, len(customers), CONSIGNEES_PER_INSERT):
        chunk = customers[start : start + CONSIGNEES_PER_INSERT]
        values: list[Any] = []
        for customer in chunk:
            customer.webhook_secret = masterdata.new_webhook_secret()
            values += [
                customer.code, customer.name, customer.kind, parent_id, customer.email,
                customer.webhook_url, masterdata.seal_webhook_secret(customer.webhook_secret),
                True, now,
            ]  # fmt: skip
        rows = await db.fetch(
            "INSERT INTO consignee (code, name, kind, parent, email, webhook_url, "
            "webhook_secret, active, created_at) VALUES "
            + ", ".join(["({}, {}, {}, {}, {}, {}, {}, {}, {})"] * len(chunk))
            + " RETURNING id, code",
            *values,
        )
        id_of = {row["code"]: int(row["id"]) for row in rows}
        for customer in chunk:
            customer.id, customer.new = id_of[customer.code], True
    await audit.record(
        actor,
        *[
            audit.Change(
                "consignee",
                customer.id or 0,
                "created",
                new={
                    "code": customer.code,
                    "name": customer.name,
                    "kind": customer.kind,
                    "email": customer.email,
                    "phone": None,
                    "after_hours_phone": None,
                    "webhook_url": customer.webhook_url,
                    "province": None,
                    "parent_code": parent_code,
                },
                reason=f"named as a customer by {parent_code}",
            )
            for customer in customers
        ],
    )


async def _name(
    actor: Actor, consignee_id: int, notice_id: int, entries: list[SubConsignee]
) -> SubConsigneesNamed:
    await _open_notice(consignee_id, notice_id)
    naming = await _naming_notice(notice_id)
    recall_id, tier, depth = int(naming["recall"]), int(naming["tier"]) + 1, naming["depth"]
    lines = await _notice_lines(notice_id)
    targets = [
        _line_of(lines, entry.batch_no, f"consignees[{index}].batch_no")
        for index, entry in enumerate(entries)
    ]
    _check_quantities(entries, targets, await _named_before(notice_id))
    customers = await _customers(entries, recall_id)
    for index, entry in enumerate(entries):
        customer = customers[entry.code]
        if customer.id == consignee_id:
            raise InvalidInput(f"consignees[{index}].code", "that is your own code")
        if customer.notice_id is None and not within_depth(depth, tier, customer.kind):
            stored = " (as stored)" if customer.id else ""
            raise InvalidInput(
                f"consignees[{index}].kind",
                f"a {depth}-level recall does not reach {customer.kind}{stored} customers; "
                "they get no notice",
            )
    now = clock.now()
    # The version guard serialises namings through one notice, so the caps above hold.
    changed = await db.fetch(
        "UPDATE notice SET last_contact_at = {}, version = version + 1 "
        "WHERE id = {} AND version = {} RETURNING id",
        now,
        notice_id,
        naming["version"],
    )
    if not changed:
        raise Conflict(f"notice {notice_id} changed meanwhile; send again")
    new_customers = [customer for customer in customers.values() if customer.id is None]
    if new_customers:
        await _create_consignees(actor, new_customers, consignee_id, naming["code"], now)
    outcomes = await _give_notices(actor, entries, targets, customers, recall_id, tier, now,
                                   notice_id)  # fmt: skip
    result = SubConsigneesNamed(
        tuple(
            NamedSubConsignee(
                code=entry.code,
                name=customers[entry.code].name,
                kind=customers[entry.code].kind,
                batch_no=target.batch_no,
                quantity=entry.quantity,
                notice_id=customers[entry.code].notice_id or 0,
                tier=customers[entry.code].tier,
                new_consignee=customers[entry.code].new,
                notice=outcome.value,
                notified=outcome is NoticeOutcome.CREATED and customers[entry.code].reachable,
                webhook_secret=_secret_shown(customers[entry.code]),
            )
            for entry, target, outcome in zip(entries, targets, outcomes, strict=True)
        )
    )
    await audit.record(
        actor,
        audit.Change(
            "notice",
            notice_id,
            "sub_consignees_named",
            new={
                "consignees": [
                    {
                        "code": item.code,
                        "batch_no": item.batch_no,
                        "quantity": item.quantity,
                        "notice_id": item.notice_id,
                        "notice": item.notice,
                        "new_consignee": item.new_consignee,
                    }
                    for item in result.consignees
                ]
            },
        ),
    )
    return result


async def _give_notices(
    actor: Actor,
    entries: list[SubConsignee],
    targets: list[_Line],
    customers: dict[str, _Customer],
    recall_id: int,
    tier: int,
    now: datetime,
    via_notice: int,
) -> list[NoticeOutcome]:
    """New notices for customers without one, missing lines for those with one."""
    outcomes: list[NoticeOutcome] = []
    planned: dict[str, list[PlannedLine]] = {}
    added: list[tuple[_Customer, _Line, int]] = []
    for entry, target in zip(entries, targets, strict=True):
        customer = customers[entry.code]
        if customer.notice_id is None:
            planned.setdefault(entry.code, []).append(PlannedLine(target.batch, entry.quantity))
            outcomes.append(NoticeOutcome.CREATED)
        elif customer.batches is not None and target.batch not in customer.batches:
            customer.batches.add(target.batch)
            added.append((customer, target, entry.quantity))
            outcomes.append(NoticeOutcome.LINE_ADDED)
        else:
            outcomes.append(NoticeOutcome.UNCHANGED)
    changes: list[audit.Change] = []
    if planned:
        notices = [
            PlannedNotice(
                customers[code].id or 0,
                tier,
                tuple(sorted(lines, key=lambda line: line.batch_id)),
            )
            for code, lines in planned.items()
        ]
        created = await create_notices(recall_id, notices, now, via_notice=via_notice)
        by_consignee = {notice.consignee_id: notice for notice in notices}
        customer_of = {customer.id: customer for customer in customers.values()}
        batch_no = {target.batch: target.batch_no for target in targets}
        for start in range(0, len(created), IDS_PER_QUERY):
            chunk = created[start : start + IDS_PER_QUERY]
            marks = ", ".join("{}" for _ in chunk)
            for row in await db.fetch(
                f"SELECT id, consignee FROM notice WHERE id IN ({marks})", *chunk
            ):
                notice = by_consignee[int(row["consignee"])]
                customer = customer_of[notice.consignee_id]
                customer.notice_id, customer.tier = int(row["id"]), tier
                changes.append(
                    audit.Change(
                        "notice",
                        customer.notice_id,
                        "created",
                        new={
                            "recall_id": recall_id,
                            "consignee_code": customer.code,
                            "tier": tier,
                            "via_notice": via_notice,
                            "lines": {
                                batch_no[line.batch_id]: line.quantity_distributed
                                for line in notice.lines
                            },
                        },
                        reason="named as a customer through the cascade",
                    )
                )
        await schedule(created)
    if added:
        await insert_lines(
            [
                (customer.notice_id or 0, recall_id, customer.tier, target.batch, quantity)
                for customer, target, quantity in added
            ]
        )
        changes += [
            audit.Change(
                "notice",
                customer.notice_id or 0,
                "line_added",
                new={
                    "batch_no": target.batch_no,
                    "quantity_distributed": quantity,
                    "via_notice": via_notice,
                },
                reason="named as a customer through the cascade",
            )
            for customer, target, quantity in added
        ]
    await audit.record(actor, *changes)
    return outcomes


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
        "n.responded_at AS responded_at FROM notice n JOIN consignee c ON c.id = n.consignee "
        "WHERE n.via_notice = {} ORDER BY c.code, n.id LIMIT {} OFFSET {}",
        notice_id,
        limit,
        offset,
    )
    total = await db.fetch("SELECT COUNT(*) AS total FROM notice WHERE via_notice = {}", notice_id)
    lines: dict[int, list[NamedLine]] = {int(row["id"]): [] for row in rows}
    ids = list(lines)
    if ids:
        marks = ", ".join("{}" for _ in ids)
        for row in await db.fetch(
            "SELECT l.notice AS notice, b.batch_no AS batch_no, p.gtin AS gtin, "
            "l.quantity_distributed AS quantity FROM notice_line l "
            "JOIN batch b ON b.id = l.batch JOIN product p ON p.id = b.product "
            f"WHERE l.notice IN ({marks}) ORDER BY b.batch_no, l.id",
            *ids,
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
        for row in rows
    ]
    return items, int(total[0]["total"])
