"""Pages: an investigation's risk, containment, CAPA checks and signed conclusion."""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Request, Response, post
from litestar.datastructures import FormMultiDict
from litestar.params import FromPath

from recall import investigations
from recall.actors import Actor
from recall.errors import InvalidInput, NotAuthenticated, NotFound, TooManyAttempts
from recall.investigations import (
    MAX_CONTAINMENT,
)
from web.api.investigations import (
    CapaComplete,
    CapaEffectivenessCreate,
    InvestigationConclude,
    InvestigationUpdate,
    investigation_change,
)
from web.pages._investigation_page import (
    BLANK_CONTAINMENT_LINES,
    RISK_FACTORS,
    forms_page,
    investigation_page,
)
from web.pages.forms import FormState, PageForms, in_words, read
from web.pages.render import gettext_for
from web.pages.session import signed_in
from web.security import QA_ONLY


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

    return await forms_page(request, investigation_id).answer(
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

    return await forms_page(request, investigation_id).answer(
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

    return await forms_page(request, investigation_id).answer(
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

    return await forms_page(request, investigation_id).answer(
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
        return await forms_page(request, investigation_id).answer(
            form, conclude_it, "conclusion", "conclusion", shown=shown
        )
    except NotAuthenticated:
        forms = refused(_("The password is wrong"))
        return await investigation_page(request, investigation_id, forms, status_code=401)
    except TooManyAttempts as exc:
        forms = refused(_("Too many wrong passwords: you cannot sign for 15 minutes."))
        locked = await investigation_page(request, investigation_id, forms, status_code=429)
        locked.set_header("Retry-After", str(exc.retry_after))
        return locked
