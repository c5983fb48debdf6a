"""For the delivery tests: a scripted fake Sender, an approved recall to given consignees."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage

from recall import db, masterdata, notices, recalls
from recall.actors import SYSTEM
from recall.clock import today
from recall.notices import DeliveryError
from tests.factories import PASSWORD, make_actor, recent_batch


@dataclass
class FakeSender:
    """Answers per webhook URL or mail address from a script; records what was sent."""

    answers: dict[str, list[int | DeliveryError]] = field(default_factory=dict)
    mail_answers: dict[str, list[DeliveryError | None]] = field(default_factory=dict)
    posts: list[tuple[str, bytes, dict[str, str]]] = field(default_factory=list)
    mails: list[EmailMessage] = field(default_factory=list)
    delay: float = 0.0
    in_flight: int = 0
    most_in_flight: int = 0

    async def post(self, url, body, headers):
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            self.posts.append((url, body, dict(headers)))
            script = self.answers.get(url, [])
            answer = script.pop(0) if len(script) > 1 else (script[0] if script else 200)
            if isinstance(answer, DeliveryError):
                raise answer
            return answer
        finally:
            self.in_flight -= 1

    async def mail(self, message):
        self.mails.append(message)
        script = self.mail_answers.get(message["To"], [])
        answer = script.pop(0) if len(script) > 1 else (script[0] if script else None)
        if answer is not None:
            raise answer

    def ids_posted_to(self, url: str) -> list[str]:
        return [headers["webhook-id"] for posted, _, headers in self.posts if posted == url]


# Set-up ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Receiver:
    code: str
    url: str | None
    email: str | None
    secret: str


async def consignee(code: str, *, webhook: bool = True, email: bool = True) -> Receiver:
    url = f"https://hooks.example/{code}" if webhook else None
    address = f"{code.lower()}@example.com" if email else None
    _, secret = await masterdata.create_consignee(
        SYSTEM, code, f"PBF {code}", "pbf", email=address, webhook_url=url, phone="+62 21 555 01"
    )
    return Receiver(code, url, address, secret)


async def recall_to(*receivers: Receiver, drill: bool = False, recall_class: str = "I") -> int:
    """An approved recall of one batch shipped to each receiver (tier 1); returns its id."""
    batch = await recent_batch()
    for receiver in receivers:
        await masterdata.record_shipment(
            SYSTEM, batch.gtin, batch.batch_no, receiver.code, 100, today() - timedelta(days=5)
        )
    proposed = await recalls.propose_recall(
        await make_actor("qa"),
        recalls.RecallProposal(
            batch_ids=[batch.id],
            reason="Diethylene glycol above limit",
            recall_class=recall_class,
            recall_type="voluntary",
            depth="wholesale",
            profile="bpom",
            health_hazard_assessment="Serious: acute kidney injury",
            drill=drill,
        ),
    )
    await recalls.approve_recall(await make_actor("qa_manager"), proposed.id, PASSWORD, "Approved")
    return proposed.id


async def deliver_jobs() -> list[int]:
    rows = await db.fetch(
        "SELECT id FROM outbox WHERE job = {} AND done_at IS NULL ORDER BY id", notices.DELIVER_JOB
    )
    return [int(row["id"]) for row in rows]


async def deliver_over_the_network() -> None:
    """Send every queued notice delivery through the real sender (HTTP and SMTP clients)."""
    from recall.settings import get_settings
    from workers.senders import NetworkSender

    settings = get_settings()
    sender = NetworkSender.of(settings)
    try:
        for outbox_id in await deliver_jobs():
            await notices.deliver(outbox_id, sender)
    finally:
        await sender.aclose()
