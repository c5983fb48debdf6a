"""Sending notices against the database with a fake Sender: signatures, retries with backoff,
final failures, QA alerts, attempt logs, and re-runs after a crash that send nothing twice."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook

from recall import alerts, audit, db, masterdata, notices, outbox, recalls
from recall.actors import SYSTEM, Actor, Role
from recall.notices import (
    DeliveryError,
    Message,
    _alert_mail,
    _delivery_schedule,
    _delivery_send,
)
from recall.notices import _delivery as delivery
from recall.settings import get_settings
from tests.workers.delivery_setup import FakeSender, consignee, deliver_jobs, recall_to


async def run_all(sender: FakeSender) -> list[float | None]:
    return [await notices.deliver(outbox_id, sender) for outbox_id in await deliver_jobs()]


async def notice_of(code: str) -> dict:
    rows = await db.fetch(
        "SELECT n.id AS id, n.status AS status, n.notified_at AS notified_at FROM notice n "
        "JOIN consignee c ON c.id = n.consignee WHERE c.code = {}",
        code,
    )
    return rows[0]


async def attempts_of(code: str, channel: str = "webhook") -> list[dict]:
    return await db.fetch(
        "SELECT a.outcome AS outcome, a.status_code AS status_code, a.error AS error, "
        "a.duration_ms AS duration_ms FROM delivery_attempt a JOIN delivery d ON d.id = a.delivery "
        "JOIN notice n ON n.id = d.notice JOIN consignee c ON c.id = n.consignee "
        "WHERE c.code = {} AND d.channel = {} ORDER BY a.id",
        code,
        channel,
    )


def later(now: list[datetime], seconds: float) -> None:
    now[0] += timedelta(seconds=seconds)


@pytest.fixture
def qa_mailbox(monkeypatch) -> str:
    settings = replace(get_settings(), qa_alert_email="qa@plant.example")
    for module in (delivery, _alert_mail, alerts._service):
        monkeypatch.setattr(module, "get_settings", lambda: settings)
    return settings.qa_alert_email


# Tests -----------------------------------------------------------------------------------


async def test_notices_go_out_signed_by_webhook_and_by_mail():
    both, mail_only = await consignee("PBF-A"), await consignee("PBF-B", webhook=False)
    recall_id = await recall_to(both, mail_only)
    sender = FakeSender()

    assert await run_all(sender) == [None]

    assert len(sender.posts) == 1
    url, body, headers = sender.posts[0]
    assert url == both.url
    payload = Webhook(both.secret).verify(body, headers)
    notice = await notice_of("PBF-A")
    assert payload["type"] == "recall.notice"
    assert payload["notice_id"] == notice["id"]
    assert payload["recall"]["recall_class"] == "I"
    assert payload["drill"] is False
    assert payload["portal_url"].startswith(f"{get_settings().public_url}/portal/notices/")
    assert headers["content-type"] == "application/json"
    assert sorted(mail["To"] for mail in sender.mails) == [both.email, mail_only.email]
    for code in ("PBF-A", "PBF-B"):
        row = await notice_of(code)
        assert row["status"] == "sent"
        assert row["notified_at"] is not None
    # Notified when the first of its channels' delivered attempts began.
    [first] = await db.fetch(
        "SELECT MIN(a.attempted_at) AS at FROM delivery_attempt a "
        "JOIN delivery d ON d.id = a.delivery JOIN notice n ON n.id = d.notice "
        "JOIN consignee c ON c.id = n.consignee WHERE c.code = 'PBF-A' AND a.outcome = 'delivered'"
    )
    assert db.as_utc((await notice_of("PBF-A"))["notified_at"]) == db.as_utc(first["at"])
    listed = await recalls.get_recall(recall_id)
    assert listed.progress.notified == 2
    assert await deliver_jobs() == []
    [attempt] = await attempts_of("PBF-A")
    assert attempt["outcome"] == "delivered" and attempt["status_code"] == 200
    assert attempt["duration_ms"] >= 0
    entries, _ = await audit.list_entries(entity="notice", entity_id=str(notice["id"]))
    assert [(e.action, e.actor_name) for e in entries if e.action == "sent"] == [
        ("sent", SYSTEM.display_name)
    ]


async def test_server_errors_are_retried_with_backoff_and_the_same_webhook_id(frozen_clock):
    flaky = await consignee("PBF-FLAKY", email=False)
    await recall_to(flaky)
    sender = FakeSender(answers={flaky.url: [503, 503, 200]})
    [job] = await deliver_jobs()

    wait = await notices.deliver(job, sender)
    settings = get_settings().delivery
    assert wait is not None and 0 <= wait <= settings.retry_base_seconds
    assert (await notice_of("PBF-FLAKY"))["status"] == "pending"
    # Not yet due: nothing is sent, the job is told how long to wait.
    later(frozen_clock, -1)
    assert await notices.deliver(job, sender) is not None
    assert len(sender.posts) == 1

    later(frozen_clock, 1 + settings.retry_base_seconds)
    second_wait = await notices.deliver(job, sender)
    assert second_wait is not None and second_wait <= 2 * settings.retry_base_seconds
    later(frozen_clock, 2 * settings.retry_base_seconds)
    assert await notices.deliver(job, sender) is None

    outcomes = [(a["outcome"], a["status_code"]) for a in await attempts_of("PBF-FLAKY")]
    assert outcomes == [("retry", 503), ("retry", 503), ("delivered", 200)]
    assert len(set(sender.ids_posted_to(flaky.url))) == 1
    assert len({headers["webhook-timestamp"] for _, _, headers in sender.posts}) == 3
    for _, body, headers in sender.posts:  # each attempt signed anew with its own timestamp
        stamp = datetime.fromtimestamp(int(headers["webhook-timestamp"]), UTC)
        expected = Webhook(flaky.secret).sign(headers["webhook-id"], stamp, body.decode())
        assert headers["webhook-signature"] == expected
    assert (await notice_of("PBF-FLAKY"))["status"] == "sent"


async def test_gone_webhook_fails_at_once_the_notice_fails_and_qa_is_alerted(qa_mailbox):
    gone = await consignee("PBF-GONE", email=False)
    recall_id = await recall_to(gone)
    sender = FakeSender(answers={gone.url: [410]})

    assert await run_all(sender) == [None]

    assert len(sender.posts) == 1
    assert [(a["outcome"], a["status_code"]) for a in await attempts_of("PBF-GONE")] == [
        ("failed", 410)
    ]
    notice = await notice_of("PBF-GONE")
    assert notice["status"] == "failed" and notice["notified_at"] is None
    found, total = await alerts.list_alerts(recall_id=recall_id, kind="delivery_failed")
    assert total == 1
    assert found[0].notice_id == notice["id"]
    assert "PBF-GONE" in found[0].detail and "webhook: HTTP 410" in found[0].detail
    assert "+62 21 555 01" in found[0].detail
    entries, _ = await audit.list_entries(entity="notice", entity_id=str(notice["id"]))
    assert "delivery_failed" in [entry.action for entry in entries]

    # The alert's e-mail to QA was queued with the failure and goes out through the sender.
    [mail_job] = await db.fetch("SELECT id FROM outbox WHERE job = {}", alerts.MAIL_JOB)
    assert await notices.mail_alert(int(mail_job["id"]), sender) is None
    assert [mail["To"] for mail in sender.mails] == [qa_mailbox]
    assert "PBF-GONE" in sender.mails[0].get_content()
    assert await outbox.pending() == 0


async def test_one_channel_failing_still_leaves_the_notice_sent():
    half = await consignee("PBF-HALF")
    recall_id = await recall_to(half)
    sender = FakeSender(answers={half.url: [410]})

    assert await run_all(sender) == [None]

    assert (await notice_of("PBF-HALF"))["status"] == "sent"
    assert (await alerts.list_alerts(recall_id=recall_id))[1] == 0


async def test_retries_stop_after_the_configured_attempts(frozen_clock):
    down = await consignee("PBF-DOWN", email=False)
    recall_id = await recall_to(down)
    refused = DeliveryError("ConnectError: refused", retryable=True)
    sender = FakeSender(answers={down.url: [refused]})
    [job] = await deliver_jobs()

    runs = 0
    while (wait := await notices.deliver(job, sender)) is not None:
        later(frozen_clock, wait + 0.001)
        runs += 1
        assert runs < 50

    limit = get_settings().delivery.attempts
    outcomes = [a["outcome"] for a in await attempts_of("PBF-DOWN")]
    assert outcomes == ["retry"] * (limit - 1) + ["failed"]
    last = (await attempts_of("PBF-DOWN"))[-1]
    assert last["error"] == f"ConnectError: refused (gave up after {limit} attempts)"
    assert (await notice_of("PBF-DOWN"))["status"] == "failed"
    assert (await alerts.list_alerts(recall_id=recall_id))[1] == 1


async def test_smtp_4xx_is_retried_and_5xx_is_final(frozen_clock):
    greylisted = await consignee("PBF-GREY", webhook=False)
    unknown = await consignee("PBF-NOBODY", webhook=False)
    await recall_to(greylisted, unknown)
    sender = FakeSender(
        mail_answers={
            greylisted.email: [DeliveryError("SMTP 451: try later", retryable=True), None],
            unknown.email: [DeliveryError("SMTP 550: no such user", retryable=False)],
        }
    )
    [job] = await deliver_jobs()

    wait = await notices.deliver(job, sender)
    assert wait is not None
    later(frozen_clock, wait + 0.001)
    assert await notices.deliver(job, sender) is None

    assert [a["outcome"] for a in await attempts_of("PBF-GREY", "email")] == ["retry", "delivered"]
    assert [a["error"] for a in await attempts_of("PBF-NOBODY", "email")] == [
        "SMTP 550: no such user"
    ]
    assert (await notice_of("PBF-GREY"))["status"] == "sent"
    assert (await notice_of("PBF-NOBODY"))["status"] == "failed"
    ids = {mail["Message-ID"] for mail in sender.mails if mail["To"] == greylisted.email}
    assert len(ids) == 1  # the retried mail carries the same Message-ID


async def test_a_rerun_after_a_crash_resends_only_what_is_unrecorded_with_the_same_id(
    frozen_clock, monkeypatch
):
    steady, flaky = await consignee("PBF-STEADY"), await consignee("PBF-FLAKY2", email=False)
    await recall_to(steady, flaky)
    sender = FakeSender(answers={flaky.url: [503, 503, 200]})
    [job] = await deliver_jobs()

    wait = await notices.deliver(job, sender)  # steady delivered, flaky to retry
    later(frozen_clock, wait + 0.001)
    record = delivery._record

    async def killed(*args, **kwargs):
        raise RuntimeError("worker killed before recording")

    monkeypatch.setattr(delivery, "_record", killed)
    with pytest.raises(RuntimeError):
        await notices.deliver(job, sender)  # flaky sent (503) but nothing recorded
    monkeypatch.setattr(delivery, "_record", record)

    assert await notices.deliver(job, sender) is None  # flaky sent again: 200
    assert await notices.deliver(job, sender) is None  # done: nothing more

    assert len(sender.ids_posted_to(steady.url)) == 1
    assert len([m for m in sender.mails if m["To"] == steady.email]) == 1
    flaky_ids = sender.ids_posted_to(flaky.url)
    assert len(flaky_ids) == 3 and len(set(flaky_ids)) == 1
    # The unrecorded attempt left no trace: the log shows what the system knows.
    assert [a["outcome"] for a in await attempts_of("PBF-FLAKY2")] == ["retry", "delivered"]


async def test_an_acknowledged_notice_is_never_moved_back_to_sent():
    early = await consignee("PBF-EARLY", webhook=False)
    await recall_to(early)
    notice = await notice_of("PBF-EARLY")
    consignee_row = await masterdata.consignee_by_code("PBF-EARLY")
    distributor = Actor(None, "early", "Early", frozenset({Role.DISTRIBUTOR}), consignee_row.id)
    await notices.acknowledge_notice(distributor, notice["id"])

    await run_all(FakeSender())

    row = await notice_of("PBF-EARLY")
    assert row["status"] == "acknowledged"
    assert row["notified_at"] is not None


async def test_drills_and_reminders_say_so(frozen_clock):
    drilled = await consignee("PBF-DRILL")
    await recall_to(drilled, drill=True)
    sender = FakeSender()
    await run_all(sender)
    notice = await notice_of("PBF-DRILL")

    async with db.transaction():
        await _delivery_schedule.schedule([notice["id"]], Message.REMINDER, 1)
    await run_all(sender)

    first, reminder = (json.loads(body) for _, body, _ in sender.posts)
    assert (first["type"], first["drill"]) == ("recall.notice", True)
    assert (reminder["type"], reminder["drill"]) == ("recall.reminder", True)
    ids = sender.ids_posted_to(drilled.url)
    assert len(set(ids)) == 2  # the reminder is a message of its own
    subjects = [mail["Subject"] for mail in sender.mails]
    assert subjects[0].startswith("[LATIHAN / DRILL] PENARIKAN KEMBALI")
    assert subjects[1].startswith("[LATIHAN / DRILL] Pengingat / Reminder")
    assert (await notice_of("PBF-DRILL"))["status"] == "sent"


async def test_a_reminder_failing_everywhere_alerts_qa_but_keeps_the_notice_status():
    fading = await consignee("PBF-FADING", email=False)
    recall_id = await recall_to(fading)
    sender = FakeSender(answers={fading.url: [200, 410]})
    await run_all(sender)
    notice = await notice_of("PBF-FADING")
    async with db.transaction():
        await _delivery_schedule.schedule([notice["id"]], Message.REMINDER, 1)

    await run_all(sender)

    assert (await notice_of("PBF-FADING"))["status"] == "sent"
    found, total = await alerts.list_alerts(recall_id=recall_id)
    assert total == 1 and found[0].detail.startswith("A reminder of")


async def test_many_failures_in_one_chunk_make_one_alert_not_a_flood():
    dead = [await consignee(f"PBF-DEAD{n:02d}", email=False) for n in range(12)]
    recall_id = await recall_to(*dead)
    sender = FakeSender(answers={receiver.url: [404] for receiver in dead})

    await run_all(sender)

    found, total = await alerts.list_alerts(recall_id=recall_id)
    assert total == 1
    assert found[0].detail.startswith("12 consignee(s) did not get the recall notice")
    statuses = {row["status"] for row in await db.fetch("SELECT status FROM notice")}
    assert statuses == {"failed"}


async def test_sends_in_flight_are_bounded_by_the_shared_limit():
    receivers = [await consignee(f"PBF-PAR{n}", email=False) for n in range(6)]
    await recall_to(*receivers)
    sender = FakeSender(delay=0.05)
    [job] = await deliver_jobs()

    assert await notices.deliver(job, sender, limit=notices.InFlightLimit(2)) is None

    assert len(sender.posts) == 6
    assert sender.most_in_flight == 2


async def test_sends_still_running_at_the_time_limit_are_logged_as_cut_off_and_retried(
    monkeypatch,
):
    quick, stuck = await consignee("PBF-QUICK", email=False), await consignee("PBF-STUCK")
    await recall_to(quick, stuck)
    monkeypatch.setattr(_delivery_send, "SEND_BUDGET_SHARE", 0.05)  # 5 s job: 0.25 s to send

    class Stuck(FakeSender):
        async def post(self, url, body, headers):
            if url == stuck.url:
                await asyncio.Event().wait()
            return await super().post(url, body, headers)

    [job] = await deliver_jobs()
    monkeypatch.setattr(
        delivery,
        "get_settings",
        lambda: replace(
            get_settings(), delivery=replace(get_settings().delivery, job_timeout_seconds=5)
        ),
    )
    wait = await notices.deliver(job, Stuck())

    # The consignee may have got it: the attempt is in the log, and the send is retried.
    [cut_off] = await attempts_of("PBF-STUCK")
    assert cut_off["outcome"] == "retry" and cut_off["status_code"] is None
    assert cut_off["error"].startswith("cut off")
    assert wait is not None and wait >= 0
    assert [a["outcome"] for a in await attempts_of("PBF-QUICK")] == ["delivered"]


async def test_the_number_of_statements_does_not_grow_with_the_chunk():
    async def statements_for(count: int, prefix: str) -> int:
        receivers = [await consignee(f"{prefix}{n:03d}") for n in range(count)]
        await recall_to(*receivers)
        [job] = await deliver_jobs()
        statements: list[str] = []
        async with db.watch(statements.append):
            assert await notices.deliver(job, FakeSender()) is None
        return len(statements)

    small, large = await statements_for(3, "PBF-S"), await statements_for(40, "PBF-L")
    assert small == large


async def test_a_finished_or_unknown_job_sends_nothing():
    done = await consignee("PBF-DONE")
    await recall_to(done)
    [job] = await deliver_jobs()
    sender = FakeSender()
    assert await notices.deliver(job, sender) is None
    assert await notices.deliver(job, sender) is None
    assert await notices.deliver(987654, sender) is None
    assert len(sender.posts) == 1 and len(sender.mails) == 1
