"""Pages: QA investigations over complaints — root cause, affected batches, CAPA, conclusion."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.params import FromPath, Parameter
from litestar.response import Template

from recall import clock, investigations, masterdata
from recall.actors import Actor, Role
from recall.errors import InvalidInput, NotAuthenticated, NotFound, TooManyAttempts
from recall.investigations import (
    MAX_CONTAINMENT,
    RISK_HIGH_FROM,
    RISK_MEDIUM_FROM,
    InvestigationOrder,
    InvestigationStatus,
    complaints_to_investigate,
    resulting_recalls,
    tallies,
)
from recall.settings import get_settings
from web.api.investigations import (
    CapaComplete,
    CapaCreate,
    CapaEffectivenessCreate,
    InvestigationConclude,
    InvestigationCreate,
    InvestigationUpdate,
    investigation_change,
)
from web.api.schemas import command
from web.pages.attachments import attachments_context
from web.pages.forms import FormsPage, FormState, PageForms, form_action, in_words, read
from web.pages.labels import (
    CAPA_KIND_NAMES,
    COMPLAINT_STATUS_NAMES,
    INVESTIGATION_STATUS_NAMES,
    RISK_LEVEL_NAMES,
    ROOT_CAUSE_NAMES,
    translated,
)
from web.pages.render import N_, gettext_for, local_time, page, see_other
from web.pages.session import signed_in
from web.security import QA_ONLY, QUALITY_READ

PAGE_SIZE = 50

TEXT_FIELDS = ("root_cause_category", "root_cause", "findings")
RISK_FACTORS = {
    "severity": N_("Severity"),
    "occurrence": N_("Occurrence"),
    "detectability": N_("Detectability"),
}
# Blank containment lines offered below those recorded.
BLANK_CONTAINMENT_LINES = 3
# The domain's refusals of these forms, worded for the catalogues.
REFUSALS = (
    N_("an integer from 1 to 5"),
    N_("required, an integer from 1 to 5"),
    N_("must not be empty"),
    N_("must not be in the future"),
    N_("required"),
)


# The list ------------------------------------------------------------------------------


@get("/investigations", guards=[signed_in, QUALITY_READ], include_in_schema=False)
async def investigation_list(
    request: Request[Actor, Any, Any],
    status: Annotated[str | None, Parameter(required=False, max_length=20)] = None,
    offset: Annotated[str | None, Parameter(required=False, max_length=10)] = None,
    sort: Annotated[str | None, Parameter(required=False, max_length=20)] = None,
) -> Template:
    # A filter or sort link edited by hand shows the default rather than an error.
    wanted = status if status in set(InvestigationStatus) else None
    order = InvestigationOrder(sort) if sort in set(InvestigationOrder) else None
    start = min(positive_id(offset) or 0, 2**31 - 1)
    items, total = await investigations.list_investigations(
        wanted, PAGE_SIZE, start, (order or InvestigationOrder.NEWEST).value
    )
    counts = await tallies([item.id for item in items])
    zone = get_settings().time_zone
    rows = [
        {"item": item, "tally": counts[item.id], "opened": local_time(item.created_at, zone)}
        for item in items
    ]
    return page(
        request,
        "investigations/list.html",
        {
            "rows": rows,
            "total": total,
            "status": wanted or "",
            "sort": order.value if order else "",
            "offset": start,
            "page_size": PAGE_SIZE,
            "status_names": translated(gettext_for(request), INVESTIGATION_STATUS_NAMES),
            "risk_level_names": translated(gettext_for(request), RISK_LEVEL_NAMES),
            "can_open": request.user.has(Role.QA),
        },
    )


# Opening one ---------------------------------------------------------------------------


async def _new_form(
    request: Request[Actor, Any, Any],
    form: FormState,
    ticked: set[int],
    *,
    status_code: int = 200,
    conflict: str | None = None,
) -> Template:
    zone = get_settings().time_zone
    candidates = [
        {"complaint": complaint, "received": local_time(complaint.received_at, zone)}
        for complaint in await complaints_to_investigate()
    ]
    return page(
        request,
        "investigations/new.html",
        {"form": form, "candidates": candidates, "ticked": ticked, "conflict": conflict},
        status_code=status_code,
    )


@get("/investigations/new", guards=[signed_in, QA_ONLY], include_in_schema=False)
async def new_investigation(
    request: Request[Actor, Any, Any],
    complaint_id: Annotated[str | None, Parameter(required=False, max_length=10)] = None,
) -> Template:
    chosen = positive_id(complaint_id)
    return await _new_form(request, FormState(), {chosen} if chosen else set())


def positive_id(text: str | None) -> int | None:
    """A record id typed in a link or a form, or None when it is not one."""
    value = (text or "").strip()
    return int(value) if value.isascii() and value.isdigit() and 0 < int(value) < 2**31 else None


def ticked_ids(form: FormMultiDict, name: str) -> set[int]:
    """The ticked ids of a checkbox list (anything not an id is ignored here)."""
    return {i for i in (positive_id(str(value)) for value in form.getall(name, [])) if i}


@post("/investigations", guards=[signed_in, QA_ONLY], include_in_schema=False)
async def open_investigation(request: Request[Actor, Any, Any]) -> Response[Any]:
    form = await request.form()
    ticked = ticked_ids(form, "complaint_ids[]")

    async def open_one() -> investigations.Investigation:
        data = read(form, InvestigationCreate)
        return await investigations.open_investigation(
            request.user, data.title, list(data.complaint_ids)
        )

    return await form_action(
        form,
        open_one,
        lambda opened: see_other(f"/investigations/{opened.id}"),
        lambda state, **shown: _new_form(request, state, ticked, **shown),
    )


# One investigation ---------------------------------------------------------------------


def _suggestions_by_lot(suggested: tuple[investigations.SuggestedBatch, ...]) -> list[Any]:
    """Suggested batches under each shared material lot: "lot X is also in batches …"."""
    lots: dict[int, dict[str, Any]] = {}
    for batch in suggested:
        for lot in batch.shared_lots:
            entry = lots.setdefault(lot.material_lot_id, {"lot": lot, "batches": []})
            entry["batches"].append(batch)
    return list(lots.values())


def _recorded_findings(investigation: investigations.Investigation) -> FormState:
    """The findings form filled with what is recorded, ready to be amended."""
    recorded = {name: getattr(investigation, name) or "" for name in TEXT_FIELDS}
    return FormState(values=recorded)


def _recorded_risk(investigation: investigations.Investigation) -> FormState:
    risk = investigation.risk
    if risk is None:
        return FormState()
    return FormState(values={f"risk.{name}": str(getattr(risk, name)) for name in RISK_FACTORS})


def _recorded_containment(investigation: investigations.Investigation) -> FormState:
    values: dict[str, str] = {}
    for index, item in enumerate(investigation.containment):
        values[f"containment[{index}].action"] = item.action
        values[f"containment[{index}].done_on"] = item.done_on.isoformat() if item.done_on else ""
    return FormState(values=values)


def _field_labels(
    _: Any, investigation: investigations.Investigation, lines: int
) -> dict[str, str]:
    """The labels the detail page's forms show, by field name, to name a refused field."""
    labels = {f"risk.{name}": _(label) for name, label in RISK_FACTORS.items()}
    for index in range(lines):
        line = _("Line %(n)s") % {"n": index + 1}
        labels[f"containment[{index}].action"] = f"{_('Containment action')} ({line})"
        labels[f"containment[{index}].done_on"] = f"{_('Done on')} ({line})"
    labels.update(
        {
            "containment": _("Containment actions"),
            "conclusion": _("Conclusion"),
            "recall_recommended": _("Recall recommended?"),
            "password": _("Password"),
            "meaning": _("Meaning"),
            "effective": _("Did the CAPA work?"),
            "evidence": _("Evidence"),
        }
    )
    return labels


async def _investigation_page(
    request: Request[Actor, Any, Any],
    investigation_id: int,
    forms: PageForms | None = None,
    *,
    status_code: int = 200,
) -> Template:
    investigation = await investigations.get_investigation(investigation_id)
    forms = forms or PageForms()
    forms.states.setdefault("findings", _recorded_findings(investigation))
    forms.states.setdefault("risk", _recorded_risk(investigation))
    forms.states.setdefault("containment", _recorded_containment(investigation))
    lines = min(len(investigation.containment) + BLANK_CONTAINMENT_LINES, MAX_CONTAINMENT)
    zone = get_settings().time_zone
    _ = gettext_for(request)
    is_open = investigation.status == InvestigationStatus.OPEN
    recall_batch_ids = {b.id for b in investigation.affected_batches} | {
        c.batch_id for c in investigation.complaints if c.batch_id is not None
    }
    return page(
        request,
        "investigations/detail.html",
        {
            "investigation": investigation,
            "opened": local_time(investigation.created_at, zone),
            "concluded": local_time(investigation.concluded_at, zone),
            "is_open": is_open,
            "can_write": request.user.has(Role.QA),
            "suggestions": _suggestions_by_lot(investigation.suggested_batches),
            "complained_batches": sorted(
                {c.batch_no for c in investigation.complaints if c.batch_no}
            ),
            "forms": forms,
            "status_names": translated(_, INVESTIGATION_STATUS_NAMES),
            "complaint_status_names": translated(_, COMPLAINT_STATUS_NAMES),
            "category_names": translated(_, ROOT_CAUSE_NAMES),
            "capa_kind_names": translated(_, CAPA_KIND_NAMES),
            "risk_factors": translated(_, RISK_FACTORS),
            "risk_level_names": translated(_, RISK_LEVEL_NAMES),
            "risk_bands": (RISK_MEDIUM_FROM, RISK_HIGH_FROM),
            "containment_lines": lines,
            "field_labels": _field_labels(_, investigation, lines),
            "signed_at": [local_time(s.signed_at, zone) for s in investigation.signatures],
            "checked_at": {
                capa.id: [local_time(check.recorded_at, zone) for check in capa.effectiveness]
                for capa in investigation.capas
            },
            "today": clock.today(),
            "recalls": await resulting_recalls(investigation.id),
            "attachments": await attachments_context(request, "investigation", investigation.id),
            "can_propose": (
                request.user.has(Role.QA)
                and investigation.status == InvestigationStatus.CONCLUDED
                and bool(investigation.recall_recommended)
                and bool(recall_batch_ids)
            ),
        },
        status_code=status_code,
    )


def _forms_page(request: Request[Actor, Any, Any], investigation_id: int) -> FormsPage:
    return FormsPage(
        f"/investigations/{investigation_id}",
        partial(_investigation_page, request, investigation_id),
    )


@get(
    "/investigations/{investigation_id:int}",
    guards=[signed_in, QUALITY_READ],
    include_in_schema=False,
)
async def investigation_detail(
    request: Request[Actor, Any, Any], investigation_id: FromPath[int]
) -> Template:
    return await _investigation_page(request, investigation_id)


@post(
    "/investigations/{investigation_id:int}/findings",
    guards=[signed_in, QA_ONLY],
    include_in_schema=False,
)
async def record_findings(
    request: Request[Actor, Any, Any], investigation_id: FromPath[int]
) -> Response[Any]:
    form = await request.form()
    # A field sent empty clears it; the API leaves absent fields unchanged.
    cleared = {name: None for name in TEXT_FIELDS if not str(form.get(name, "")).strip()}

    async def record() -> None:
        data = read(form, InvestigationUpdate, **cleared)
        change = investigation_change(data)
        await investigations.update_investigation(request.user, investigation_id, change)

    return await _forms_page(request, investigation_id).answer(form, record, "findings", "findings")


async def _set_batches(
    request: Request[Actor, Any, Any], investigation_id: int, batch_ids: set[int]
) -> None:
    change = investigations.InvestigationChange(affected_batch_ids=sorted(batch_ids))
    await investigations.update_investigation(request.user, investigation_id, change)


@post(
    "/investigations/{investigation_id:int}/batches",
    guards=[signed_in, QA_ONLY],
    include_in_schema=False,
)
async def add_batches(
    request: Request[Actor, Any, Any], investigation_id: FromPath[int]
) -> Response[Any]:
    """Add the ticked suggested batches, or one batch named by GTIN and batch number."""
    form = await request.form()
    investigation = await investigations.get_investigation(investigation_id)
    wanted = {batch.id for batch in investigation.affected_batches}

    async def add() -> None:
        added = ticked_ids(form, "batch_ids[]")
        gtin, batch_no = str(form.get("gtin", "")).strip(), str(form.get("batch_no", "")).strip()
        if gtin or batch_no:
            added.add(await _named_batch(gtin, batch_no))
        if not added:
            raise InvalidInput("batch_ids", "tick at least one batch")
        await _set_batches(request, investigation_id, wanted | added)

    name = "suggested" if "batch_ids[]" in form else "batch"
    return await _forms_page(request, investigation_id).answer(form, add, name, "batches")


async def _named_batch(gtin: str, batch_no: str) -> int:
    if not gtin:
        raise InvalidInput("gtin", "required")
    if not batch_no:
        raise InvalidInput("batch_no", "required")
    batch = await masterdata.find_batch(gtin, batch_no)
    if batch is None:
        raise InvalidInput("batch_no", f"no batch {batch_no} of the product with GTIN {gtin}")
    return batch.id


@post(
    "/investigations/{investigation_id:int}/batches/remove",
    guards=[signed_in, QA_ONLY],
    include_in_schema=False,
)
async def remove_batch(
    request: Request[Actor, Any, Any], investigation_id: FromPath[int]
) -> Response[Any]:
    form = await request.form()
    investigation = await investigations.get_investigation(investigation_id)
    kept = {batch.id for batch in investigation.affected_batches} - ticked_ids(form, "batch_id")

    async def remove() -> None:
        await _set_batches(request, investigation_id, kept)

    return await _forms_page(request, investigation_id).answer(form, remove, "batch", "batches")


@post(
    "/investigations/{investigation_id:int}/capas",
    guards=[signed_in, QA_ONLY],
    include_in_schema=False,
)
async def add_capa(
    request: Request[Actor, Any, Any], investigation_id: FromPath[int]
) -> Response[Any]:
    form = await request.form()

    async def add() -> None:
        data = read(form, CapaCreate)
        plan = command(investigations.CapaPlan, data)
        await investigations.add_capa(request.user, investigation_id, plan)

    return await _forms_page(request, investigation_id).answer(form, add, "capa", "capa")


async def _capa_of(investigation_id: int, capa_id: int) -> investigations.Capa:
    """The CAPA if it belongs to this investigation; NotFound otherwise (a link edited by hand)."""
    capa = await investigations.get_capa(capa_id)
    if capa.investigation_id != investigation_id:
        raise NotFound(f"CAPA {capa_id} not found")
    return capa


@post(
    "/investigations/{investigation_id:int}/capas/{capa_id:int}/complete",
    guards=[signed_in, QA_ONLY],
    include_in_schema=False,
)
async def complete_capa(
    request: Request[Actor, Any, Any], investigation_id: FromPath[int], capa_id: FromPath[int]
) -> Response[Any]:
    await _capa_of(investigation_id, capa_id)
    form = await request.form()

    async def complete() -> None:
        data = read(form, CapaComplete)
        await investigations.complete_capa(
            request.user, capa_id, data.note, data.effectiveness_check_due_on
        )

    return await _forms_page(request, investigation_id).answer(
        form, complete, f"complete-{capa_id}", "capa"
    )


@post(
    "/investigations/{investigation_id:int}/risk",
    guards=[signed_in, QA_ONLY],
    include_in_schema=False,
)
async def assess_risk(
    request: Request[Actor, Any, Any], investigation_id: FromPath[int]
) -> Response[Any]:
    form = await request.form()

    async def assess() -> None:
        typed = {name: str(form.get(f"risk.{name}", "")).strip() for name in RISK_FACTORS}
        risk = {name: value for name, value in typed.items() if value}
        data = read(form, InvestigationUpdate, risk=risk)
        change = investigations.InvestigationChange(
            risk=investigation_change(data).risk, version=data.version
        )
        await investigations.update_investigation(request.user, investigation_id, change)

    return await _forms_page(request, investigation_id).answer(
        form, assess, "risk", "risk", shown=partial(in_words, request)
    )


def _containment_lines(form: FormMultiDict) -> tuple[list[dict[str, str]], list[int]]:
    """The containment lines typed (wholly blank ones left out), and each one's line on the
    form, so a refusal names the line the user sees."""
    lines: list[dict[str, str]] = []
    at: list[int] = []
    for index in range(MAX_CONTAINMENT + BLANK_CONTAINMENT_LINES):
        action = str(form.get(f"containment[{index}].action", "")).strip()
        done_on = str(form.get(f"containment[{index}].done_on", "")).strip()
        if action or done_on:
            lines.append({"action": action, **({"done_on": done_on} if done_on else {})})
            at.append(index)
    return lines, at


def _on_the_form(error: InvalidInput, at: list[int]) -> InvalidInput:
    """The refusal naming the form's line (`containment[4]`) rather than the list's."""
    named = error.field or ""
    prefix, _, rest = named.partition("]")
    if not prefix.startswith("containment[") or not rest:
        return error
    position = int(prefix.removeprefix("containment["))
    field = f"containment[{at[position]}]{rest}" if position < len(at) else named
    return InvalidInput(field, error.detail.removeprefix(f"{named}: "))


@post(
    "/investigations/{investigation_id:int}/containment",
    guards=[signed_in, QA_ONLY],
    include_in_schema=False,
)
async def record_containment(
    request: Request[Actor, Any, Any], investigation_id: FromPath[int]
) -> Response[Any]:
    """Replace the containment actions with the lines typed (all blank clears the list)."""
    form = await request.form()
    lines, at = _containment_lines(form)

    async def record() -> None:
        try:
            data = read(form, InvestigationUpdate, containment=lines)
            change = investigations.InvestigationChange(
                containment=investigation_change(data).containment, version=data.version
            )
            await investigations.update_investigation(request.user, investigation_id, change)
        except InvalidInput as exc:
            raise _on_the_form(exc, at) from None

    return await _forms_page(request, investigation_id).answer(
        form, record, "containment", "containment", shown=partial(in_words, request)
    )


@post(
    "/investigations/{investigation_id:int}/capas/{capa_id:int}/effectiveness",
    guards=[signed_in, QA_ONLY],
    include_in_schema=False,
)
async def check_effectiveness(
    request: Request[Actor, Any, Any], investigation_id: FromPath[int], capa_id: FromPath[int]
) -> Response[Any]:
    await _capa_of(investigation_id, capa_id)
    form = await request.form()

    async def record() -> None:
        data = read(form, CapaEffectivenessCreate)
        await investigations.record_effectiveness(
            request.user, capa_id, data.effective, data.evidence or ""
        )

    return await _forms_page(request, investigation_id).answer(
        form, record, f"effectiveness-{capa_id}", "capa", shown=partial(in_words, request)
    )


def _without_password(request: Request[Actor, Any, Any], state: FormState) -> FormState:
    """A refused signature comes back in the reader's words, never with the password typed."""
    state.values.pop("password", None)
    return in_words(request, state)


@post(
    "/investigations/{investigation_id:int}/conclude",
    guards=[signed_in, QA_ONLY],
    include_in_schema=False,
)
async def conclude(
    request: Request[Actor, Any, Any], investigation_id: FromPath[int]
) -> Response[Any]:
    """Conclude with the QA's electronic signature: a wrong password is refused (401), and
    after five in a row signing is locked for a while (429)."""
    form = await request.form()
    _ = gettext_for(request)
    shown = partial(_without_password, request)

    async def conclude_it() -> None:
        data = read(form, InvestigationConclude)
        await investigations.conclude_investigation(
            request.user,
            investigation_id,
            data.conclusion,
            data.recall_recommended,
            data.password,
            data.meaning,
        )

    def refused(text: str) -> PageForms:
        state = shown(FormState.failed(form, InvalidInput("password", text)))
        return PageForms({"conclusion": state})

    try:
        return await _forms_page(request, investigation_id).answer(
            form, conclude_it, "conclusion", "conclusion", shown=shown
        )
    except NotAuthenticated:
        forms = refused(_("The password is wrong"))
        return await _investigation_page(request, investigation_id, forms, status_code=401)
    except TooManyAttempts as exc:
        forms = refused(_("Too many wrong passwords: you cannot sign for 15 minutes."))
        locked = await _investigation_page(request, investigation_id, forms, status_code=429)
        locked.set_header("Retry-After", str(exc.retry_after))
        return locked


ROUTES: list[Any] = [
    investigation_list,
    new_investigation,
    open_investigation,
    investigation_detail,
    record_findings,
    add_batches,
    remove_batch,
    add_capa,
    complete_capa,
    check_effectiveness,
    assess_risk,
    record_containment,
    conclude,
]
