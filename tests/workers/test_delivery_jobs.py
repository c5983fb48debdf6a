"""The delivery jobs in a real arq worker (burst mode, in the test loop): relay, send, retry
through arq, mail QA; registrations that let a lost job be handed over again."""

from __future__ import annotations

from dataclasses import replace

import pytest
from arq.connections import ArqRedis
from arq.worker import Worker

from recall import alerts, db, notices, outbox
from recall.notices import _alert_mail
from recall.notices import _delivery as delivery
from recall.settings import get_settings
from tests.workers.delivery_setup import FakeSender, consignee, recall_to
from workers import WorkerSettings
from workers.jobs import relay_outbox


@pytest.fixture
def quick_retries(monkeypatch):
    settings = get_settings()
    quick = replace(
        settings,
        qa_alert_email="qa@plant.example",
        delivery=replace(settings.delivery, retry_base_seconds=0.05, retry_max_seconds=0.1),
    )
    for module in (delivery, _alert_mail, alerts._service):
        monkeypatch.setattr(module, "get_settings", lambda: quick)


async def run_worker(queue: ArqRedis, sender: FakeSender) -> Worker:
    async def startup(ctx):
        await db.connect()
        ctx["sender"] = sender

    worker = Worker(
        functions=WorkerSettings.functions,
        redis_pool=queue,
        on_startup=startup,
        burst=True,
        poll_delay=0.02,
        handle_signals=False,
        max_tries=1,  # the registrations' own max_tries must win
    )
    await worker.async_run()
    return worker


def registered(name: str):
    return next(f for f in WorkerSettings.functions if f.name == name)


def test_jobs_keep_no_result_retry_for_long_and_time_out_as_configured():
    timeout = get_settings().delivery.job_timeout_seconds
    for name in (notices.DELIVER_JOB, alerts.MAIL_JOB):
        job = registered(name)
        assert job.keep_result_s == 0
        assert job.max_tries >= 1000
        assert job.timeout_s == timeout
    assert WorkerSettings.job_timeout == timeout


def test_the_outbox_is_swept_every_ten_seconds_and_at_start_up():
    sweep = next(job for job in WorkerSettings.cron_jobs if job.name == "relay_outbox")
    assert sweep.second == {0, 10, 20, 30, 40, 50}
    assert sweep.minute is None
    assert sweep.run_at_startup


async def test_a_worker_sends_relayed_notices_and_retries_through_arq(queue, quick_retries):
    steady, flaky = await consignee("PBF-W1"), await consignee("PBF-W2", email=False)
    await recall_to(steady, flaky)
    sender = FakeSender(answers={flaky.url: [503, 503, 200]})

    assert await relay_outbox({"redis": queue}) == 1
    worker = await run_worker(queue, sender)

    assert worker.jobs_retried == 2 and worker.jobs_failed == 0
    assert await outbox.pending() == 0
    rows = await db.fetch("SELECT status FROM notice ORDER BY id")
    assert [row["status"] for row in rows] == ["sent", "sent"]
    assert len(set(sender.ids_posted_to(flaky.url))) == 1
    assert len(sender.ids_posted_to(flaky.url)) == 3


async def test_a_failed_notice_reaches_qa_by_mail_through_the_worker(queue, quick_retries):
    gone = await consignee("PBF-W3", email=False)
    await recall_to(gone)
    sender = FakeSender(answers={gone.url: [410]})

    await relay_outbox({"redis": queue})
    await run_worker(queue, sender)
    assert await relay_outbox({"redis": queue}) == 1  # the alert's mail, written by the job
    await run_worker(queue, sender)

    assert [mail["To"] for mail in sender.mails] == ["qa@plant.example"]
    assert "PBF-W3" in sender.mails[0].get_content()
    assert await outbox.pending() == 0


async def test_a_finished_job_leaves_nothing_that_blocks_handing_its_row_over_again(queue):
    receiver = await consignee("PBF-W4")
    await recall_to(receiver)
    [row] = await db.fetch("SELECT id FROM outbox")
    await relay_outbox({"redis": queue})
    await run_worker(queue, FakeSender())

    again = await queue.enqueue_job(
        notices.DELIVER_JOB, int(row["id"]), _job_id=outbox.job_id(int(row["id"]))
    )
    assert again is not None  # keep_result=0: no stored result refuses the id
