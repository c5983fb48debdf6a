"""Shipment files imported in the background: progress told as it goes, a second run changes
nothing, an import whose process died shows as interrupted."""

from __future__ import annotations

from datetime import timedelta

from recall import clock, db, masterdata
from recall.actors import SYSTEM
from recall.masterdata import ImportStatus
from recall.masterdata import _distribution as distribution
from tests.factories import make_batch, make_consignee

HEADER = "gtin,batch_no,consignee_code,quantity,shipped_on,from_consignee_code"


class Heard:
    def __init__(self) -> None:
        self.events: list[tuple[str, int, int]] = []

    async def checked(self, lines: int, total: int) -> None:
        self.events.append(("checked", lines, total))

    async def writing(self) -> None:
        self.events.append(("writing", 0, 0))

    async def written(self, imported: int) -> None:
        assert db.in_transaction()
        self.events.append(("written", imported, 0))


async def a_file(lines: int) -> str:
    batch = await make_batch()
    pbf = await make_consignee()
    rows = [HEADER] + [f"{batch.gtin},{batch.batch_no},{pbf.code},1,2026-02-03,"] * lines
    return "\n".join(rows) + "\n"


async def test_progress_is_told_between_chunks_then_writing_then_inside_the_write(monkeypatch):
    monkeypatch.setattr(distribution, "PROGRESS_EVERY", 10)
    heard = Heard()
    result = await masterdata.import_shipments(SYSTEM, await a_file(25), heard)
    assert result.imported == 25
    assert heard.events == [
        ("checked", 10, 26),
        ("checked", 20, 26),
        ("checked", 26, 26),
        ("writing", 0, 0),
        ("written", 25, 0),
    ]


async def test_a_second_run_of_the_same_import_changes_nothing():
    text = await a_file(3)
    queued = await masterdata.start_shipment_import(SYSTEM, "feb.csv", text.encode())
    assert queued.status == ImportStatus.QUEUED and queued.lines_total == 4
    done = await masterdata.run_shipment_import(SYSTEM, queued.id)
    assert (done.status, done.imported, done.lines_checked) == (ImportStatus.DONE, 3, 4)
    again = await masterdata.run_shipment_import(SYSTEM, queued.id)
    assert again.status == ImportStatus.DONE
    assert (await masterdata.list_shipments())[1] == 3


async def test_bad_lines_are_kept_with_line_and_column():
    text = (await a_file(2)).replace("2026-02-03", "2026-02-31", 1)
    queued = await masterdata.start_shipment_import(SYSTEM, "bad.csv", text.encode())
    failed = await masterdata.run_shipment_import(SYSTEM, queued.id)
    assert failed.status == ImportStatus.FAILED and failed.error_count == 1
    errors, total = await masterdata.import_errors(queued.id)
    assert total == 1
    assert (errors[0].line, errors[0].column) == (2, "shipped_on")
    assert errors[0].problem == "'2026-02-31' is not a date (YYYY-MM-DD)"


async def test_an_import_silent_for_long_shows_as_interrupted(monkeypatch):
    queued = await masterdata.start_shipment_import(SYSTEM, "x.csv", (await a_file(1)).encode())
    later = clock.now() + timedelta(minutes=6)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert (await masterdata.get_shipment_import(queued.id)).status == ImportStatus.INTERRUPTED
