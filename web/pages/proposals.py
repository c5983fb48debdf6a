"""Pages: proposing a recall, with a preview of the trace its approval will notify."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any

import msgspec
from babel.numbers import format_decimal
from litestar import Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.params import Parameter
from litestar.response import Template

from recall import clock, investigations, masterdata, recalls, regulatory
from recall.actors import Actor
from recall.errors import InvalidInput
from recall.investigations import SharedLot
from recall.recalls import (
    Depth,
    RecallPreview,
    RecallType,
    preview_recall,
    recalled_batches,
)
from web.api.recalls import RecallCreate
from web.api.schemas import command
from web.i18n import language_of
from web.pages.forms import FormState, form_action, in_words, read, typed
from web.pages.investigations import positive_id, ticked_ids
from web.pages.labels import (
    CLASS_NAMES,
    CONSIGNEE_KIND_NAMES,
    DEPTH_NAMES,
    PROFILE_NAMES,
    PUBLIC_WARNING_NAMES,
    RISK_LEVEL_NAMES,
    TYPE_NAMES,
    options,
    translated,
)
from web.pages.render import N_, gettext_for, page, see_other
from web.pages.session import signed_in
from web.security import QA_ONLY

BATCHES_LISTED = 100
LOTS_LISTED = 200
Id = Annotated[int, msgspec.Meta(ge=1)]
# The markets ticked on a new form: the plant's own authority.
DEFAULT_PROFILES = ("bpom",)
# The domain's refusals of the authority fields, worded for the catalogues.
REFUSALS = (
    N_("required for a mandatory recall (the date of the order letter)"),
    N_("required for a mandatory recall"),
    N_("must not be in the future"),
    N_("required for a class I recall to consumer level"),
    N_("must not be empty"),
)


class RecallScope(msgspec.Struct):
    """What a preview needs of the proposal: the batches (or lot) and how deep to go."""

    depth: Depth
    batch_ids: list[Id] | None = None
    material_lot_id: Id | None = None


@dataclass
class Choice:
    """What the form offers to recall: batches (some ticked at first) and material lots."""

    batches: list[tuple[masterdata.BatchView, str]]  # with a note: why it is offered
    ticked: set[int]
    lots: list[masterdata.MaterialLot | SharedLot]
    gtin_problem: str | None = None


async def _investigation_choice(investigation: investigations.Investigation) -> Choice:
    """An investigation's complained and affected batches ticked; those sharing a lot offered."""
    complained = {c.batch_id for c in investigation.complaints if c.batch_id is not None}
    affected = {b.id for b in investigation.affected_batches}
    suggested = {b.id for b in investigation.suggested_batches}
    notes = {
        **dict.fromkeys(suggested, N_("Shares a material lot")),
        **dict.fromkeys(affected, N_("Affected")),
        **dict.fromkeys(complained, N_("Complained")),
    }
    found = {batch.id: batch for batch in await recalled_batches(list(notes))}
    order = sorted(affected | complained) + sorted(suggested - affected - complained)
    shared = {
        lot.material_lot_id: lot for b in investigation.suggested_batches for lot in b.shared_lots
    }
    lots, _total = await masterdata.list_material_lots(limit=LOTS_LISTED)
    return Choice(
        batches=[(found[i], notes[i]) for i in order if i in found],
        ticked=affected | complained,
        lots=[*shared.values(), *(lot for lot in lots if lot.id not in shared)],
    )


async def _product_choice(gtin: str) -> Choice:
    """The newest batches, of one product when a GTIN is given."""
    problem = None
    try:
        batches, _total = await masterdata.list_batches(gtin or None, limit=BATCHES_LISTED)
    except InvalidInput as exc:
        problem = exc.detail.removeprefix("gtin: ")
        batches, _total = await masterdata.list_batches(limit=BATCHES_LISTED)
    shown = await recalled_batches([batch.id for batch in batches])
    lots, _total = await masterdata.list_material_lots(limit=LOTS_LISTED)
    return Choice([(batch, "") for batch in shown], set(), list(lots), problem)


def _lot_option(lot: masterdata.MaterialLot | SharedLot) -> tuple[str, str]:
    if isinstance(lot, SharedLot):
        return str(lot.material_lot_id), f"{lot.lot_no} · {lot.material}"
    return str(lot.id), f"{lot.lot_no} · {lot.material} ({lot.supplier})"


async def _form_page(
    request: Request[Actor, Any, Any],
    form: FormState,
    *,
    investigation_id: int | None,
    gtin: str = "",
    ticked: set[int] | None = None,
    profiles: Sequence[str] = DEFAULT_PROFILES,
    preview: RecallPreview | None = None,
    status_code: int = 200,
) -> Template:
    investigation = None
    if investigation_id:
        investigation = await investigations.get_investigation(investigation_id)
        choice = await _investigation_choice(investigation)
    else:
        choice = await _product_choice(gtin)
    _ = gettext_for(request)
    return page(
        request,
        "proposals/new.html",
        {
            "form": form,
            "investigation": investigation,
            "gtin": gtin,
            "choice": choice,
            "ticked": choice.ticked if ticked is None else ticked,
            "lots": [_lot_option(lot) for lot in choice.lots],
            "class_options": options(_, CLASS_NAMES),
            "type_options": options(_, TYPE_NAMES),
            "depth_options": options(_, DEPTH_NAMES),
            "profile_options": options(
                _, {name: PROFILE_NAMES.get(name, name) for name in regulatory.PROFILE_NAMES}
            ),
            "profiles_ticked": set(profiles),
            "warning_options": options(_, PUBLIC_WARNING_NAMES),
            "today": clock.today().isoformat(),
            "kind_names": translated(_, CONSIGNEE_KIND_NAMES),
            "risk_level_names": translated(_, RISK_LEVEL_NAMES),
            "preview": preview,
            "number": lambda amount: format_decimal(amount, locale=language_of(request)),
        },
        status_code=status_code,
    )


@get("/recalls/new", guards=[signed_in, QA_ONLY], include_in_schema=False)
async def new_recall(
    request: Request[Actor, Any, Any],
    investigation_id: Annotated[str | None, Parameter(required=False, max_length=10)] = None,
    gtin: Annotated[str | None, Parameter(required=False, max_length=20)] = None,
) -> Template:
    chosen = positive_id(investigation_id)
    form = FormState()
    if chosen:
        investigation = await investigations.get_investigation(chosen)
        form = FormState(values={"reason": investigation.conclusion or investigation.title})
    return await _form_page(request, form, investigation_id=chosen, gtin=(gtin or "").strip())


def _scope(form: FormMultiDict) -> dict[str, Any]:
    """No batch ticked means the proposal is by material lot (the API wants one or the other)."""
    return {} if form.getall("batch_ids[]", []) else {"batch_ids": None}


def _markets(form: FormMultiDict) -> list[str]:
    """The profiles ticked, in the form's order (the first is the recall's `profile`)."""
    return [str(value) for value in form.getall("profiles[]", []) if str(value).strip()]


def _authorities(form: FormMultiDict) -> dict[str, Any]:
    """The markets ticked (none ticked is an empty list, refused by the domain), and no order
    date for a voluntary recall: the page hides that field then."""
    fixed: dict[str, Any] = {"profiles": _markets(form), "profile": None}
    if str(form.get("recall_type", "")) != RecallType.MANDATORY:
        fixed["ordered_on"] = None
    return fixed


async def _preview(form: FormMultiDict) -> RecallPreview:
    scope = read(form, RecallScope, **_scope(form))
    return await preview_recall(scope.depth.value, scope.batch_ids, scope.material_lot_id)


async def _preview_if_valid(form: FormMultiDict) -> RecallPreview | None:
    """The preview still shown beside a refused proposal, when the batches themselves are fine."""
    try:
        return await _preview(form)
    except InvalidInput:
        return None


@post("/recalls/new", guards=[signed_in, QA_ONLY], include_in_schema=False)
async def propose_recall(request: Request[Actor, Any, Any]) -> Response[Any]:
    form = await request.form()
    investigation_id = positive_id(str(form.get("investigation_id", "")))
    gtin = str(form.get("gtin", "")).strip()[:20]
    ticked = ticked_ids(form, "batch_ids[]")
    form_page = partial(
        _form_page,
        request,
        investigation_id=investigation_id,
        gtin=gtin,
        ticked=ticked,
        profiles=_markets(form),
    )

    async def propose() -> Response[Any]:
        if form.get("_action") == "preview":
            preview = await _preview(form)
            return await form_page(FormState(values=typed(form)), preview=preview)
        data = read(form, RecallCreate, **_scope(form), **_authorities(form))
        proposed = await recalls.propose_recall(request.user, command(recalls.RecallProposal, data))
        return see_other(f"/recalls/{proposed.id}")

    async def again(state: FormState, *, status_code: int) -> Template:
        preview = await _preview_if_valid(form)
        return await form_page(in_words(request, state), preview=preview, status_code=status_code)

    return await form_action(form, propose, lambda answer: answer, again, refuses=(InvalidInput,))


ROUTES: list[Any] = [new_recall, propose_recall]
