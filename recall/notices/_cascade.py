"""The cascade: a consignee names its own customers, who then get notices in turn.

A customer is named by code. A code already in master data means that consignee, as
stored: the name, kind and addresses given are not used and never overwrite the record.
A new code creates a consignee whose parent is the naming consignee. What the namer sees
back is its own request (recall.notices._named): never another consignee's record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from recall import audit, clock, db, masterdata
from recall.actors import Actor
from recall.errors import Conflict, InvalidInput
from recall.notices._consignee import (
    MAX_QUANTITY,
    _consignee_of,
    _Line,
    _line_of,
    _notice_lines,
    _once,
    _open_notice,
)
from recall.notices._delivery_schedule import schedule
from recall.notices._idempotency import IdempotencyKey, StoredAnswer
from recall.notices._models import PlannedLine, PlannedNotice, within_depth
from recall.notices._named import (
    NamedSubConsignee,
    NoticeOutcome,
    SubConsignee,
    SubConsigneeNaming,
    SubConsigneesNamed,
    secrets_opened,
    secrets_sealed,
)
from recall.notices._service import create_notices, insert_lines
from recall.rules import choice, required_text, text

MAX_NAMED = 1000


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
        country=masterdata.check_country(entry.country) if (entry.country or "").strip() else None,
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
    naming: SubConsigneeNaming,
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
    entries = _checked(naming.consignees)
    # Where the worker would post: hosts resolved, the field naming its entry.
    webhooks = [(f"consignees[{i}].webhook_url", e.webhook_url) for i, e in enumerate(entries)]
    await masterdata.check_webhook_destinations([(at, url) for at, url in webhooks if url])
    try:
        result = await _once(
            actor,
            key,
            lambda: _name(actor, consignee_id, notice_id, entries),
            kept=secrets_sealed,
        )
    except Exception as exc:
        # A concurrent request created the same consignee or notice first.
        if db.is_unique_violation(exc):
            raise Conflict(f"notice {notice_id}: customers changed meanwhile; send again") from None
        raise
    return secrets_opened(result) if isinstance(result, StoredAnswer) else result


@dataclass
class _Customer:
    """A named customer as found or about to be created, and its notice in this recall."""

    code: str
    name: str
    kind: str
    email: str | None
    webhook_url: str | None
    country: str | None = None  # given for a new customer; none: the namer's
    id: int | None = None
    new: bool = False
    notice_id: int | None = None
    tier: int = 0
    batches: set[int] | None = None  # batches its existing notice covers
    webhook_secret: str | None = None  # set only when created by this request
    parent: int | None = None  # the consignee that created it through the cascade

    @property
    def reachable(self) -> bool:
        return bool(self.email or self.webhook_url)

    def whose(self, namer: int) -> bool:
        """The namer's own customer: created by it, now or by an earlier naming."""
        return self.new or (self.id is not None and self.parent == namer)


async def _naming_notice(notice_id: int) -> Mapping[str, Any]:
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
            _Customer(
                entry.code, entry.name, entry.kind, entry.email, entry.webhook_url, entry.country
            ),
        )
    for row in await db.fetch_in(
        "SELECT id, code, name, kind, email, webhook_url, parent FROM consignee WHERE code IN (*)",
        list(customers),
    ):
        customers[row["code"]] = _Customer(
            row["code"], row["name"], row["kind"], row["email"], row["webhook_url"],
            id=int(row["id"]), parent=row["parent"] and int(row["parent"]),
        )  # fmt: skip
    known = {customer.id: customer for customer in customers.values() if customer.id}
    for row in await db.fetch_in(
        "SELECT n.id AS id, n.consignee AS consignee, n.tier AS tier, l.batch AS batch "
        "FROM notice n LEFT JOIN notice_line l ON l.notice = n.id "
        "WHERE n.recall = {} AND n.consignee IN (*)",
        list(known),
        recall_id,
    ):
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
    named = [
        masterdata.NamedCustomer(c.code, c.name, c.kind, c.email, c.webhook_url, c.country)
        for c in customers
    ]
    added = await masterdata.add_customers(actor, named, parent_id, parent_code, now)
    for customer in customers:
        customer.id, customer.new = added[customer.code].id, True
        customer.webhook_secret = added[customer.code].webhook_secret


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
            # Another consignee's stored kind is not the namer's to learn.
            what = (
                f"{customer.kind} customers"
                if customer.whose(consignee_id) or not customer.id
                else "this customer"
            )
            raise InvalidInput(
                f"consignees[{index}].kind",
                f"a {depth}-level recall does not reach {what}; they get no notice",
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
    done = list(zip(entries, outcomes, strict=True))
    await audit.record(
        actor,
        audit.Change(
            "notice",
            notice_id,
            "sub_consignees_named",
            new={
                "consignees": [
                    {
                        "code": entry.code,
                        "batch_no": entry.batch_no,
                        "quantity": entry.quantity,
                        "notice_id": customers[entry.code].notice_id,
                        "notice": outcome.value,
                        "new_consignee": customers[entry.code].new,
                    }
                    for entry, outcome in done
                ]
            },
        ),
    )
    return SubConsigneesNamed(
        tuple(_echo(entry, customers[entry.code], outcome, consignee_id) for entry, outcome in done)
    )


def _echo(
    entry: SubConsignee, customer: _Customer, outcome: NoticeOutcome, namer: int
) -> NamedSubConsignee:
    """What the namer sent back to it; what became of the customer only when its own."""
    own = customer.whose(namer)
    return NamedSubConsignee(
        code=entry.code,
        name=entry.name,
        kind=entry.kind,
        batch_no=entry.batch_no,
        quantity=entry.quantity,
        notice_id=customer.notice_id if own else None,
        tier=customer.tier if own else None,
        new_consignee=customer.new,
        notice=outcome if own else None,
        notified=(outcome is NoticeOutcome.CREATED and customer.reachable) if own else None,
        webhook_secret=_secret_shown(customer),
    )


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
        for row in await db.fetch_in("SELECT id, consignee FROM notice WHERE id IN (*)", created):
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
