"""The demo's running recall and complaint reports: a BPOM-ordered recall of every batch made
with a contaminated solvent lot, nine days in, sold in Indonesia and to an importer in the
United States (FDA), with what has been sent to the authorities and what is late; BPOM's list
grew by the second solvent lot (a signed scope amendment), a wholesaler destroyed stock before
Balai Besar POM's witness, and a tablet batch is on hold.

Its history is written through the real use cases at the times it happened: the clock is
set back for each step and the notices are delivered by the worker's own sender then.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from recall import clock, complaints, masterdata, notices, outbox, recalls, regulatory
from recall.actors import Actor
from recall.settings import get_settings

ORDER_DAYS_AGO = 9
ORDER_REFERENCE = "PW.02.02.1.3.11.26.1021"
T = TypeVar("T")


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    zone = ZoneInfo(get_settings().time_zone)
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


async def _at(moment: datetime, step: Callable[[], Awaitable[T]]) -> T:
    """Run `step` as if it were `moment` (the demo's history), then return to the present."""
    clock.set_clock(lambda: moment)
    try:
        return await step()
    finally:
        clock.set_clock(None)


class _DeliverNow:
    """A job queue that runs notice deliveries at once, with the worker's sender."""

    def __init__(self, sender: notices.Sender) -> None:
        self.sender = sender

    async def enqueue_job(
        self,
        function: str,
        *args: Any,
        _job_id: str | None = None,
        _defer_until: datetime | None = None,
    ) -> None:
        if function == notices.DELIVER_JOB:
            await notices.deliver(int(args[0]), self.sender)


async def open_recall(
    staff: dict[str, Actor],
    officers: list[Actor],
    solvent_lots: list[masterdata.MaterialLot],
    sender: notices.Sender | None,
) -> None:
    """Propose, approve and run the recall of the first solvent lot's batches up to today;
    the wholesalers' recall `officers` acknowledge the next morning; five days in, the
    second lot's batches are added; on the seventh day PBF Jakarta destroys stock."""
    solvent_lot = solvent_lots[0]
    ordered_on = clock.today() - timedelta(days=ORDER_DAYS_AGO)
    proposal = recalls.RecallProposal(
        reason=f"Ethylene glycol above the limit in propylene glycol lot {solvent_lot.lot_no} "
        "(supplier's certificate falsified); BPOM ordered the recall of every batch made with it.",
        recall_class="I",
        recall_type="mandatory",
        depth="consumer",
        profile=None,
        profiles=("bpom", "fda"),
        health_hazard_assessment="Ethylene glycol causes acute kidney injury, most of all in "
        "children; the syrups are taken by children. Serious and possibly fatal: class I.",
        material_lot_id=solvent_lot.id,
        authority_reference=ORDER_REFERENCE,
        ordered_on=ordered_on,
        public_warning="general",
    )
    recall = await _at(
        _local(ordered_on, 10), lambda: recalls.propose_recall(staff["qa"], proposal)
    )
    approved_at = _local(ordered_on, 13)
    await _at(
        approved_at,
        lambda: recalls.approve_recall(
            staff["manager"], recall.id, "demo", "Approved: recall ordered by BPOM"
        ),
    )
    if sender is not None:
        await _at(approved_at + timedelta(minutes=4), lambda: outbox.relay(_DeliverNow(sender)))
    await _at(
        _local(ordered_on + timedelta(days=1), 9),
        lambda: recalls.record_public_warning(
            staff["qa"],
            recall.id,
            recalls.PublicWarningRecord(
                published_on=ordered_on + timedelta(days=1),
                channel="Kompas (national daily) and the company website",
                text="Penarikan kembali sirup yang dibuat dengan propilen glikol tercemar: "
                "hentikan penggunaan dan kembalikan ke apotek.",
            ),
        ),
    )
    if sender is not None:
        await _acknowledge(recall.id, officers, _local(ordered_on + timedelta(days=1), 8))
    await _report(staff["qa"], recall.id, "bpom", _local(ordered_on + timedelta(days=3), 15))
    # The FDA's initial report was due within 24 hours of the order: this one is late.
    await _report(staff["qa"], recall.id, "fda", _local(ordered_on + timedelta(days=3), 16))
    await _amend(staff, recall.id, solvent_lots[1], ordered_on + timedelta(days=5), sender)
    await _destroy(staff["qa"], recall.id, ordered_on + timedelta(days=7))


async def _amend(
    staff: dict[str, Actor],
    recall_id: int,
    solvent_lot: masterdata.MaterialLot,
    day: date,
    sender: notices.Sender | None,
) -> None:
    """BPOM's list grows: the batches made with the second solvent lot join the recall under
    the QA manager's signature; new consignees get notices, those reached an update."""
    amendment = await _at(
        _local(day, 9),
        lambda: recalls.propose_amendment(
            staff["qa"],
            recall_id,
            f"BPOM's follow-up letter names propylene glycol lot {solvent_lot.lot_no} too "
            "(same falsified certificate).",
            material_lot_id=solvent_lot.id,
        ),
    )
    approved_at = _local(day, 11)
    await _at(
        approved_at,
        lambda: recalls.approve_amendment(
            staff["manager"], recall_id, amendment.id, "demo", "Approved: scope per BPOM letter"
        ),
    )
    if sender is not None:
        await _at(approved_at + timedelta(minutes=4), lambda: outbox.relay(_DeliverNow(sender)))


async def _destroy(qa: Actor, recall_id: int, day: date) -> None:
    """PBF Jakarta's returned-to-quarantine stock destroyed by a licensed contractor, witnessed
    by Balai Besar POM di Jakarta and the provincial health office (berita acara)."""
    batches = (await recalls.get_recall(recall_id)).batches
    witnesses = (
        recalls.Witness("Dra. Ratna Kusumawati, Apt.", "Balai Besar POM di Jakarta"),
        recalls.Witness("dr. Hendra Gunawan", "Dinas Kesehatan Provinsi DKI Jakarta"),
    )
    await _at(
        _local(day, 14),
        lambda: recalls.record_destruction(
            qa,
            recall_id,
            batch_no=batches[0].batch_no,
            quantity=1_200,
            method="Insinerasi (insinerator berizin KLHK)",
            place="PT Wastec Internasional, Cileungsi, Bogor",
            witness="",
            destroyed_on=day,
            consignee_code="PBF-JKT-001",
            document_no=f"BA-PM/001/QA/{day:%m}/{day:%Y}",
            executor="PT Wastec Internasional",
            witnesses=witnesses,
        ),
    )


async def hold_batch(qa: Actor, batch: masterdata.Batch) -> None:
    """A tablet batch held two days ago while its dissolution result is retested."""
    await _at(
        clock.now() - timedelta(days=2),
        lambda: masterdata.hold_batch(
            qa, batch.id, "Out-of-specification dissolution at 30 minutes; retest under way."
        ),
    )


async def _acknowledge(recall_id: int, officers: list[Actor], first: datetime) -> None:
    """Each officer acknowledges its notice, a quarter of an hour after the previous one."""
    listed, _ = await recalls.list_recall_notices(recall_id, limit=100)
    by_consignee = {notice.consignee_code: notice.id for notice in listed}
    for index, officer in enumerate(officers):
        consignee = await masterdata.get_consignee(int(officer.consignee_id or 0))
        notice_id = by_consignee[consignee.code]
        await _at(
            first + timedelta(minutes=15 * index),
            lambda: notices.acknowledge_notice(officer, notice_id),  # noqa: B023 - awaited at once
        )


async def _report(qa: Actor, recall_id: int, profile: str, submitted_at: datetime) -> None:
    addressees = tuple(await recalls.report_addressees(recall_id, profile))
    record = recalls.SubmissionRecord(
        kind="initial_report",
        authority=profile,
        submitted_at=submitted_at,
        channel="email",
        reference=f"SFN/QA/{profile.upper()}/{submitted_at:%Y}/0{submitted_at:%m%d}",
        addressees=addressees,
    )
    await _at(submitted_at, lambda: recalls.record_submission(qa, recall_id, record))


def received_with_field_alert_due_soon() -> datetime:
    """A receipt time in the past whose FDA Field Alert Report falls due as soon as it can
    (three working days in New York: within the coming day on a working day), so the
    demo's QA sees it come due."""
    now = clock.now()
    received_times = [now - timedelta(hours=hours) for hours in range(24, 24 * 10, 3)]
    pending = [
        (due, received)
        for received in received_times
        if (due := regulatory.field_alert_due("fda", "quality_defect", received)) is not None
        and due - now > timedelta(hours=2)
    ]
    return min(pending)[1] if pending else now - timedelta(days=1)


async def triage_for_reports(qa: Actor, adverse_event_id: int, defect_id: int) -> None:
    """Triage two complaints so the reports they owe authorities are due: a quality defect
    (an FDA Field Alert Report) and a serious adverse event (BPOM e-MESO and FDA)."""
    await complaints.triage_complaint(
        qa,
        defect_id,
        complaints.TriageRequest(category="quality_defect", severity="major", investigate=True),
    )
    await complaints.triage_complaint(
        qa,
        adverse_event_id,
        complaints.TriageRequest(category="adverse_event", severity="critical", investigate=True),
    )
