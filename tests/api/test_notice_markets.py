"""A notice of a recall under several profiles answers by its consignee's market: respond-by,
overdue counts and reminders follow that profile's deadlines (a BPOM + FDA recall)."""

from __future__ import annotations

from datetime import datetime, timedelta

from recall import db, notices
from tests.api.authorities_setup import deadline_of, two_markets
from tests.factories import START, headers_for
from tests.reads import moment, my_notices

MINUTE = timedelta(minutes=1)


def due(recall: dict, key: str, profile: str) -> datetime:
    return moment(deadline_of(recall, key, profile)["due_at"])


async def respond_by(recall_id: int, now: datetime) -> dict[str, datetime | None]:
    rows, _ = await notices.consignee_rows(recall_id, notices.ConsigneeFilter(), now, None)
    return {row.code: row.respond_by for row in rows}


async def reminded(recall_id: int) -> dict[str, int]:
    rows = await db.fetch(
        "SELECT c.code AS code, n.reminders_sent AS sent FROM notice n "
        "JOIN consignee c ON c.id = n.consignee WHERE n.recall = {}",
        recall_id,
    )
    return {row["code"]: int(row["sent"]) for row in rows}


async def test_each_notice_answers_by_its_markets_deadlines(client, move_to):
    found = await two_markets(client)
    recall = found["recall"]
    fda, bpom = (due(recall, "wholesale_complete", p) for p in ("fda", "bpom"))
    assert fda != bpom

    shown = await respond_by(recall["id"], START)

    assert shown["US-IMP"] == fda
    assert shown["ID-PBF"] == bpom
    assert shown["ID-APT"] == due(recall, "retail_complete", "bpom")


async def test_overdue_counts_follow_each_market(client, move_to):
    found = await two_markets(client)
    recall = found["recall"]
    first = min(due(recall, "wholesale_complete", p) for p in ("fda", "bpom"))
    late = "US-IMP" if first == due(recall, "wholesale_complete", "fda") else "ID-PBF"

    progress = await notices.progress(recall["id"], first + MINUTE)
    rows, _ = await notices.consignee_rows(
        recall["id"], notices.ConsigneeFilter(overdue_only=True), first + MINUTE, None
    )

    assert progress.overdue == 1
    assert [row.code for row in rows] == [late]


async def test_reminders_follow_each_markets_deadline(client, move_to):
    found = await two_markets(client)
    recall = found["recall"]
    fda, bpom = (due(recall, "wholesale_complete", p) for p in ("fda", "bpom"))
    earlier, later = sorted([("US-IMP", fda), ("ID-PBF", bpom)], key=lambda item: item[1])
    half = {code: START + (at - START) / 2 for code, at in (earlier, later)}

    move_to(half[earlier[0]] + MINUTE)
    assert await notices.send_due_reminders(half[earlier[0]] + MINUTE) == 1
    assert (await reminded(recall["id"]))[earlier[0]] == 1
    assert (await reminded(recall["id"]))[later[0]] == 0

    move_to(half[later[0]] + MINUTE)
    await notices.send_due_reminders(half[later[0]] + MINUTE)
    assert (await reminded(recall["id"]))[later[0]] == 1


async def test_a_named_customer_answers_by_its_markets_deadline(client, move_to):
    found = await two_markets(client)
    recall, batch = found["recall"], found["batch"]
    pbf = await headers_for("distributor", consignee_code="ID-PBF")
    (notice,) = (await my_notices(client, pbf))["items"]

    named = await client.post(
        f"/api/notices/{notice['id']}/sub-consignees",
        json={"consignees": [{"code": "ID-APT2", "name": "Apotek Dua", "kind": "pharmacy",
                              "batch_no": batch.batch_no, "quantity": 20}]},
        headers=pbf,
    )  # fmt: skip

    assert named.status_code == 201, named.text
    assert (await respond_by(recall["id"], START))["ID-APT2"] == due(
        recall, "retail_complete", "bpom"
    )
