"""Distribution records (shipments, one by one or as CSV) and the trace built from them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.exceptions import ClientException
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import FromPath, JSONBody, Parameter

from recall import masterdata
from recall.actors import Actor
from recall.errors import InvalidInput
from recall.settings import get_settings
from web.api.schemas import (
    BAD_BODY,
    NO_SUCH_RECORD,
    Count,
    ErrorRead,
    Gtin,
    Limit,
    Offset,
    Page,
    errors,
)
from web.security import MASTER_DATA_WRITE, QUALITY_READ

BatchNo = Annotated[str, msgspec.Meta(min_length=1, max_length=20, examples=["SYR2401"])]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=40, examples=["PBF-JKT-01"])]

CSV_MEDIA_TYPES = {"text/csv", "application/csv", "text/plain"}

CREATE_ERRORS = BAD_BODY
NOT_FOUND = NO_SUCH_RECORD


# Shipments -----------------------------------------------------------------------


class ShipmentCreate(msgspec.Struct):
    gtin: Gtin
    batch_no: BatchNo
    consignee_code: Code
    quantity: Count
    shipped_on: date
    # Set when a consignee (e.g. a PBF) passed units on; omit when we shipped them.
    from_consignee_code: Code | None = None


class ImportErrorRead(msgspec.Struct):
    line: int
    detail: str


class ImportRead(msgspec.Struct):
    imported: int
    # The first 1,000 problems by line; `error_count` counts all of them.
    errors: list[ImportErrorRead]
    error_count: int


class ImportRejected(ImportRead):
    """Nothing was imported; `errors` lists the first 1,000 problems by line (line 1 is the
    header) and `error_count` counts all of them."""

    status_code: int
    detail: str


IMPORT_DESCRIPTION = """\
A CSV file (UTF-8, comma-separated) with a header line naming the columns
`gtin, batch_no, consignee_code, quantity, shipped_on` and optionally `from_consignee_code`
(empty when we shipped the units). A row may name as sender a consignee that receives the
batch on an earlier row of the same file.

All or nothing: when any line breaks a rule nothing is imported and the answer is **422**
with `errors` listing the first 1,000 problems by line (`line` 1 is the header;
`detail` names the column) and `error_count` counting all of them. A line shipping a batch
on hold or recalled on or after the hold's day is one of them, its column `batch_no`.
One audit entry (entity `shipment_import`) records the counts and the file's SHA-256.
The answer comes when the import is finished; the file is read and checked off the event
loop meanwhile, so the service keeps answering other requests.
"""


@dataclass
class CsvBodyOperation(Operation):
    """The import takes a raw CSV body, which the handler signature cannot describe."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            content={"text/csv": OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))},
            description="Shipments as CSV, header on line 1",
            required=True,
        )


HELD_BATCH = "The batch is on hold or recalled since a day on or before shipped_on (batch_no)"


class ShipmentController(Controller):
    path = "/api/shipments"
    tags = ["distribution"]

    @post(
        "/",
        operation_id="RecordShipment",
        guards=[MASTER_DATA_WRITE],
        responses={**CREATE_ERRORS, **errors({409: HELD_BATCH})},
        description="Record units of a batch sent to a consignee (audited). A shipment of a "
        "batch on hold or recalled dated on or after the hold's day is refused (409 naming "
        "`batch_no`); earlier-dated records are accepted.",
    )
    async def record_shipment(
        self, data: JSONBody[ShipmentCreate], request: Request[Actor, Any, Any]
    ) -> masterdata.Shipment:
        return await masterdata.record_shipment(
            request.user,
            data.gtin,
            data.batch_no,
            data.consignee_code,
            data.quantity,
            data.shipped_on,
            data.from_consignee_code,
        )

    @get("/", operation_id="ListShipments", guards=[QUALITY_READ])
    async def list_shipments(
        self,
        batch_id: Annotated[int | None, Parameter(ge=1)] = None,
        consignee_code: Annotated[str | None, Parameter(max_length=40)] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[masterdata.Shipment]:
        shipments, total = await masterdata.list_shipments(batch_id, consignee_code, limit, offset)
        return Page(items=shipments, total=total)

    @post(
        "/import",
        operation_id="ImportShipments",
        guards=[MASTER_DATA_WRITE],
        status_code=200,
        request_max_body_size=get_settings().max_import_bytes,
        operation_class=CsvBodyOperation,
        description=IMPORT_DESCRIPTION,
        responses={
            413: ResponseSpec(ErrorRead, description="The file is over the import size limit"),
            415: ResponseSpec(ErrorRead, description="The body is not sent as text/csv"),
            422: ResponseSpec(ImportRejected, description="Some lines are bad; none imported"),
        },
    )
    async def import_shipments(self, request: Request[Actor, Any, Any]) -> Response[ImportRead]:
        media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media_type not in CSV_MEDIA_TYPES:
            raise ClientException("content-type: send the file as text/csv", status_code=415)
        body = await request.body()
        try:
            text = await asyncio.to_thread(body.decode, "utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput("body", f"the file is not UTF-8 text (byte {exc.start})") from None
        result = await masterdata.import_shipments(request.user, text)
        errors = [ImportErrorRead(error.line, error.detail) for error in result.errors]
        if errors:
            detail = f"{result.error_count} problem(s) found; nothing was imported"
            if result.error_count > len(errors):
                detail += f" (the first {len(errors)} are listed)"
            rejected = ImportRejected(0, errors, result.error_count, 422, detail)
            return Response(rejected, status_code=422, media_type=MediaType.JSON)
        return Response(ImportRead(result.imported, [], 0), status_code=200)


# Traceability --------------------------------------------------------------------


class TracedConsigneeRead(msgspec.Struct):
    """A traced line as masterdata.TracedConsignee holds it, less the consignee id."""

    code: str
    name: str
    kind: str
    tier: int
    batch_id: int
    batch_no: str
    quantity: int
    country: str
    province: str | None


class TraceRead(msgspec.Struct):
    batches: list[masterdata.BatchView]
    consignees: list[TracedConsigneeRead]
    total_quantity: int


TRACE_DESCRIPTION = f"""\
Every consignee that received the traced batches, at every tier: tier 1 received from us,
tier 2 from a tier-1 consignee, and so on (at most {masterdata.MAX_TIERS} tiers, which also
stops cycles). A consignee's tier for a shipment is one below the nearest tier at which its
sender was reached. Quantities are summed per consignee, batch and tier; lines are ordered by
tier, code and batch number.

`total_quantity` is the number of units that left the plant: the sum of the tier-1 lines
only. Lower tiers re-distribute those same units, so adding them would count units twice.
"""


def trace_read(trace: masterdata.Trace) -> TraceRead:
    return TraceRead(
        batches=trace.batches,
        # The same fields in the same order, without the consignee id.
        consignees=[TracedConsigneeRead(*line[1:]) for line in trace.consignees],
        total_quantity=trace.total_quantity,
    )


class TraceController(Controller):
    path = "/api"
    tags = ["traceability"]

    @get(
        "/batches/{batch_id:int}/trace",
        operation_id="TraceBatch",
        guards=[QUALITY_READ],
        responses=NOT_FOUND,
        description=TRACE_DESCRIPTION,
    )
    async def trace_batch(self, batch_id: FromPath[int]) -> TraceRead:
        return trace_read(await masterdata.trace_batch(batch_id))

    @get(
        "/material-lots/{lot_id:int}/trace",
        operation_id="TraceMaterialLot",
        guards=[QUALITY_READ],
        responses=NOT_FOUND,
        description="Every finished batch made with this material lot, traced together.\n\n"
        + TRACE_DESCRIPTION,
    )
    async def trace_material_lot(self, lot_id: FromPath[int]) -> TraceRead:
        return trace_read(await masterdata.trace_material_lot(lot_id))
