"""Recall pages: the destruction records of a recall as BPOM's berita acara pemusnahan (number,
executor, witnesses with their agency), and QA's form to record one, through the same use case
as the API."""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.response import Template

from recall import clock, recalls, regulatory
from recall.actors import Actor, Role
from recall.errors import InvalidInput
from recall.recalls import RecallStatus
from web.api.closeout import DestructionCreate, destruction_fields
from web.api.recalls import RecallId
from web.pages._recall_display import PageNumber, _names
from web.pages.attachments import attachments_contexts
from web.pages.forms import FormsPage, FormState, PageForms, in_words, read
from web.pages.forms import typed as typed_values
from web.pages.render import N_, gettext_for, page
from web.pages.session import signed_in
from web.security import QA_ONLY, QUALITY_READ

PER_PAGE = 50
# Blank witness rows the form offers (more come back when more were filled in).
WITNESS_ROWS = 3
MAX_WITNESS_ROWS = 10
_WITNESS_FIELD = re.compile(r"^witnesses\[(\d{1,4})\]\.(name|agency)$")
_WITNESS_ERROR = re.compile(r"^witnesses\[(\d+)\]")
# The refusals of the form, worded for the catalogues.
REFUSALS = (
    N_("must not be empty"),
    N_("must not contain control characters"),
    N_("must not be in the future"),
    N_("must be greater than 0"),
    N_("required"),
    N_("name at least one witness"),
)
# Agencies that usually witness, offered as suggestions (any other may be typed).
USUAL_AGENCIES = (
    "BPOM",
    "Dinas Kesehatan Provinsi",
    "Dinas Kesehatan Kabupaten",
    "Dinas Kesehatan Kota",
)


def agencies(internal_qa: str) -> list[str]:
    """Suggestions for a witness's agency: BPOM, its regional offices, Dinas Kesehatan, QA."""
    offices = {
        office.name
        for province in regulatory.PROVINCES
        if (office := regulatory.regional_office(province)) is not None
    }
    return [*USUAL_AGENCIES[:1], *sorted(offices), *USUAL_AGENCIES[1:], internal_qa]


def _page_number(text: str | None) -> int:
    return int(text) if text and text.isdigit() and 0 < int(text) < 1_000_000 else 1


def _rows_shown(state: FormState, asked: int) -> int:
    """The rows asked for, and at least as many as were filled in, at most the limit."""
    indexes = [int(found[1]) for name in state.values if (found := _WITNESS_FIELD.match(name))]
    return min(MAX_WITNESS_ROWS, max([asked, *(i + 1 for i in indexes)]))


def _rows_asked(form: FormMultiDict) -> int:
    """The form's row count (one more when "add a witness row" was pressed)."""
    text = str(form.get("_rows", ""))
    rows = int(text) if text.isdigit() and len(text) < 3 else WITNESS_ROWS
    return rows + 1 if form.get("_more") else rows


async def _destructions_page(
    request: Request[Actor, Any, Any],
    recall_id: int,
    page_number: int,
    forms: PageForms | None = None,
    *,
    rows: int = WITNESS_ROWS,
    status_code: int = 200,
) -> Template:
    _ = gettext_for(request)
    recall = await recalls.get_recall(recall_id)
    items, total = await recalls.list_destructions(
        recall_id, PER_PAGE, (page_number - 1) * PER_PAGE
    )
    form = forms["destruction"] if forms else FormState()
    may_record = recall.status == RecallStatus.IN_PROGRESS and request.user.has(Role.QA)
    return page(
        request,
        "recalls/destructions.html",
        {
            "recall": recall,
            "items": items,
            "total": total,
            "page_number": page_number,
            "pages": max(1, -(-total // PER_PAGE)),
            "may_record": may_record,
            "form": form,
            "conflict": forms.conflict[1] if forms and forms.conflict else None,
            "witness_rows": _rows_shown(form, rows),
            "max_witnesses": MAX_WITNESS_ROWS,
            "batch_options": [
                (f"{b.gtin}/{b.batch_no}", f"{b.batch_no} · {b.product_name}")
                for b in recall.batches
            ],
            "agencies": agencies(_("Internal QA")),
            "today": clock.today().isoformat(),
            "destruction_attachments": await attachments_contexts(
                request, "destruction", [d.id for d in items], recall_id=recall_id
            ),
            **_names(request),
        },
        status_code=status_code,
    )


@get(
    "/recalls/{recall_id:int}/destructions",
    guards=[signed_in, QUALITY_READ],
    include_in_schema=False,
)
async def destructions(
    request: Request[Actor, Any, Any], recall_id: RecallId, page_number: PageNumber = None
) -> Template:
    return await _destructions_page(request, recall_id, _page_number(page_number))


def _witnesses(form: FormMultiDict) -> tuple[list[dict[str, str]], list[int]]:
    """The witness rows filled in (blank rows left out), and the form row of each."""
    rows: dict[int, dict[str, str]] = {}
    for name in form:
        found = _WITNESS_FIELD.match(name)
        value = str(form.get(name, "")).strip()
        if found and value:
            rows.setdefault(int(found[1]), {})[found[2]] = value
    indexes = sorted(rows)
    return [rows[i] for i in indexes], indexes


def _on_form_row(error: InvalidInput, indexes: list[int]) -> InvalidInput:
    """The refusal of the n-th witness given, named by its row on the form."""
    named = error.field or ""
    found = _WITNESS_ERROR.match(named)
    if found is None or int(found[1]) >= len(indexes):
        return error
    field = f"witnesses[{indexes[int(found[1])]}]" + named[found.end() :]
    return InvalidInput(field, error.detail.removeprefix(f"{named}: "))


@post(
    "/recalls/{recall_id:int}/destructions",
    guards=[signed_in, QA_ONLY],
    include_in_schema=False,
)
async def record_destruction(
    request: Request[Actor, Any, Any], recall_id: RecallId
) -> Response[Any]:
    form = await request.form()
    rows = _rows_asked(form)
    if form.get("_more"):
        # Without scripts, a row is added by sending the form back as typed.
        typed = PageForms({"destruction": FormState(values=typed_values(form))})
        return await _destructions_page(request, recall_id, 1, typed, rows=rows)

    async def record() -> None:
        witnesses, indexes = _witnesses(form)
        if not witnesses:
            raise InvalidInput("witnesses[0].name", REFUSALS[-1])
        # The batch is chosen as "GTIN/batch number": two products may share a batch number.
        gtin, _, batch_no = str(form.get("batch_no", "")).partition("/")
        chosen = {"batch_no": batch_no, "gtin": gtin} if batch_no else {}
        data = read(form, DestructionCreate, witnesses=witnesses, **chosen)
        try:
            await recalls.record_destruction(request.user, recall_id, **destruction_fields(data))
        except InvalidInput as exc:
            raise _on_form_row(exc, indexes) from None

    forms_page = FormsPage(
        f"/recalls/{recall_id}/destructions",
        partial(_destructions_page, request, recall_id, 1, rows=rows),
    )
    return await forms_page.answer(
        form, record, "destruction", "h-records", shown=partial(in_words, request)
    )


ROUTES: list[Any] = [destructions, record_destruction]
