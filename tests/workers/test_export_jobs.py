"""Downloads made by the worker: the page says the file is being prepared, refreshes itself
and gives the file once a worker made it; the API waits for the file; a failed export says
why; nobody but who asked gets the file; files go after their retention."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest_asyncio
import redis.asyncio as redis

from recall import db, exports
from recall.exports import TableFile
from recall.settings import get_settings
from tests.factories import headers_for, two_tier_recall
from tests.pages.helpers import EN, signed_in_as
from tests.workers.delivery_setup import FakeSender
from tests.workers.test_delivery_jobs import registered, run_worker
from web.exports import WORKER_HEALTH_KEY
from workers.settings import WorkerSettings


@pytest_asyncio.fixture
async def worker_alive() -> AsyncIterator[None]:
    """A worker's health-check key, as a running worker keeps it: the web leaves exports
    to it (a burst worker in the test removes the key when it stops)."""
    store = redis.from_url(os.environ["RECALL_REDIS_URL"])
    await store.set(WORKER_HEALTH_KEY, b"alive", px=60_000)
    yield
    await store.delete(WORKER_HEALTH_KEY)
    await store.aclose()


def csv_rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


async def relayed_exports() -> int:
    rows = await db.fetch(
        "SELECT COUNT(*) AS n FROM outbox WHERE job = {} AND relayed_at IS NOT NULL",
        exports.EXPORT_JOB,
    )
    return int(rows[0]["n"])


async def statuses() -> list[str]:
    return [row["status"] for row in await db.fetch("SELECT status FROM export_job ORDER BY id")]


def test_the_worker_makes_exports_and_removes_old_files():
    assert registered(exports.EXPORT_JOB).name == "make_export"
    assert "remove_expired_exports" in {job.name for job in WorkerSettings.cron_jobs}


async def test_the_page_shows_the_export_being_prepared_then_gives_the_file(
    client, queue, worker_alive
):
    world = await two_tier_recall(client)
    recall_id = world["recall"]["id"]
    # The notices go out first: one burst would run the export beside their deliveries.
    await run_worker(queue, FakeSender())
    await signed_in_as(client, "inspector")

    asked = await client.get(
        f"/recalls/{recall_id}/consignees/export", params={"format": "csv"}, headers=EN
    )
    assert asked.status_code == 303
    progress = asked.headers["location"]
    assert re.fullmatch(rf"/recalls/{recall_id}/exports/\d+", progress)
    waiting = await client.get(progress, headers=EN)
    assert waiting.status_code == 200
    assert 'http-equiv="refresh"' in waiting.text and "Waiting to start" in waiting.text
    # The same reader asking again while it waits gets the same export.
    again = await client.get(
        f"/recalls/{recall_id}/consignees/export", params={"format": "csv"}, headers=EN
    )
    assert again.headers["location"] == progress
    # Under way, in Indonesian: rows written with the language's own thousands separator.
    await db.fetch(
        "UPDATE export_job SET status = 'running', rows_total = 43501, rows_done = 12000"
    )
    running = await client.get(progress, headers={"Accept-Language": "id"})
    assert "12.000" in running.text and "43.501" in running.text, running.text
    await db.fetch("UPDATE export_job SET status = 'queued', rows_total = NULL, rows_done = 0")

    await run_worker(queue, FakeSender())
    assert await statuses() == ["ready"]  # made by the worker, not by the page

    made = await client.get(progress, headers=EN)
    assert made.status_code == 200
    assert made.headers["content-type"].startswith("text/csv")
    reference = world["recall"]["reference"]
    assert (
        made.headers["content-disposition"] == f'attachment; filename="{reference}-consignees.csv"'
    )
    rows = csv_rows(made.content)
    assert [row["Code"] for row in rows] == ["PBF-A", "PBF-B", "APT-C", "RS-D"]
    assert (rows[0]["Kind"], rows[0]["Status"], rows[0]["Received"]) == (
        "Wholesaler (PBF)",
        "Notified",
        "1300",
    )
    # Made at once by the page itself when no worker is running: the same file.
    await queue.delete(WORKER_HEALTH_KEY)
    at_once = await client.get(
        f"/recalls/{recall_id}/consignees/export", params={"format": "csv"}, headers=EN
    )
    assert at_once.status_code == 200 and at_once.content == made.content


async def test_the_api_waits_for_the_worker_and_answers_with_the_file(client, queue, worker_alive):
    recall_id = (await two_tier_recall(client))["recall"]["id"]
    headers = await headers_for("qa")
    answer = asyncio.create_task(
        client.get(f"/api/recalls/{recall_id}/report.pdf", headers=headers)
    )
    while not await relayed_exports():
        await asyncio.sleep(0.05)
    assert not answer.done()  # the request waits for the worker
    await run_worker(queue, FakeSender())
    assert await statuses() == ["ready"]
    response = await answer
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert "interim-report.pdf" in response.headers["content-disposition"]
    assert response.content.startswith(b"%PDF")


async def test_the_api_says_so_when_no_worker_made_it_in_time(client, worker_alive, monkeypatch):
    monkeypatch.setattr("web.api.reports.WAIT_SECONDS", 0.3)
    recall_id = (await two_tier_recall(client))["recall"]["id"]
    response = await client.get(
        f"/api/recalls/{recall_id}/report.pdf", headers=await headers_for("qa")
    )
    assert response.status_code == 503
    assert "still being made" in response.json()["detail"]


async def test_without_a_worker_the_api_makes_the_file_itself(client):
    recall_id = (await two_tier_recall(client))["recall"]["id"]
    headers = await headers_for("qa")
    path = f"/api/recalls/{recall_id}/authority-report.pdf"
    response = await client.get(path, params={"kind": "initial"}, headers=headers)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    # A bad choice is refused naming it, as before.
    refused = await client.get(path, params={"kind": "weekly"}, headers=headers)
    assert refused.status_code == 422 and "kind" in refused.json()["detail"]


async def test_a_failed_export_shows_failed_with_its_reason(client, monkeypatch):
    recall_id = (await two_tier_recall(client))["recall"]["id"]

    def disk_full(self, rows):
        raise OSError("No space left on device")

    monkeypatch.setattr(TableFile, "add", disk_full)
    await signed_in_as(client, "qa")
    asked = await client.get(
        f"/recalls/{recall_id}/reconciliation/export", params={"format": "xlsx"}, headers=EN
    )
    assert asked.status_code == 303
    shown = await client.get(asked.headers["location"], headers=EN)
    assert shown.status_code == 200
    assert "Failed" in shown.text and "could not be prepared" in shown.text
    assert "OSError" in shown.text
    assert 'http-equiv="refresh"' not in shown.text


async def test_nobody_else_gets_the_export(client, worker_alive):
    recall_id = (await two_tier_recall(client))["recall"]["id"]
    await signed_in_as(client, "qa")
    asked = await client.get(f"/recalls/{recall_id}/report.pdf")
    progress = asked.headers["location"]
    export_id = int(progress.rsplit("/", 1)[1])
    await exports.make_export(export_id)

    await signed_in_as(client, "qa")
    assert (await client.get(progress)).status_code == 404
    # Another reader asking for the same document gets an export of their own.
    theirs = await client.get(f"/recalls/{recall_id}/report.pdf")
    assert theirs.headers["location"] != progress


async def test_exports_and_their_files_go_after_a_day(client, frozen_clock):
    recall_id = (await two_tier_recall(client))["recall"]["id"]
    await signed_in_as(client, "qa")
    made = await client.get(f"/recalls/{recall_id}/report.pdf")
    assert made.status_code == 200
    rows = await db.fetch("SELECT id FROM export_job")
    files = [get_settings().data_dir / "exports" / f"{row['id']}.pdf" for row in rows]
    assert all(path.exists() for path in files)
    # Made by the page itself: its outbox row is done, no worker will make it again.
    assert (
        await db.fetch(
            "SELECT id FROM outbox WHERE job = {} AND done_at IS NULL", exports.EXPORT_JOB
        )
        == []
    )

    frozen_clock[0] += exports.RETENTION - timedelta(minutes=1)
    assert await exports.remove_expired() == 0
    frozen_clock[0] += timedelta(minutes=2)
    assert await exports.remove_expired() == len(files)
    assert not any(path.exists() for path in files)


async def test_a_file_no_longer_kept_is_not_found(client):
    recall_id = (await two_tier_recall(client))["recall"]["id"]
    await signed_in_as(client, "qa")
    assert (await client.get(f"/recalls/{recall_id}/report.pdf")).status_code == 200
    (export_id,) = [row["id"] for row in await db.fetch("SELECT id FROM export_job")]
    (get_settings().data_dir / "exports" / f"{export_id}.pdf").unlink()
    gone = await client.get(f"/recalls/{recall_id}/exports/{export_id}", headers=EN)
    assert gone.status_code == 404
