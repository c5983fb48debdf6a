"""Recall pages: the authorities' side of a recall — each market's deadlines, the reports sent,
the public warnings published — and the QA manager's signed override of a deadline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.params import PathParameter, QueryParameter
from litestar.response import Template

from recall import clock, recalls, regulatory
from recall.actors import Actor, Role
from recall.errors import Conflict, InvalidInput, NotFound
from recall.recalls import RecallStatus
from web.api.authorities import PublicWarningCreate
from web.api.recalls import RecallApprove, RecallId
from web.i18n import language_of, translations
from web.pages._recall_display import _is_open, _names, _when, time_left
from web.pages._recall_signatures import _not_now, _signed
from web.pages.forms import FormState, PageForms, in_words, local_input, local_moment, read
from web.pages.labels import (
    DEADLINE_BASIS_NAMES,
    DEADLINE_NAMES,
    PROFILE_NAMES,
    PUBLIC_WARNING_NAMES,
    SUBMISSION_CHANNEL_NAMES,
    SUBMISSION_KIND_NAMES,
    label,
    options,
    translated,
)
from web.pages.render import N_, gettext_for, page
from web.pages.session import signed_in
from web.security import QA_MANAGER_ONLY

DeadlineKey = Annotated[str, PathParameter(description="The deadline's key", max_length=50)]
# The domain's refusals of these forms, worded for the catalogues.
REFUSALS = (
    N_("must not be before the recall was proposed"),
    N_("must not be in the future"),
    N_("must not be empty"),
    N_("required"),
)
# The reports to an authority drawn as PDF, ready to sign.
REPORT_KINDS = {
    "initial": N_("Initial report"),
    "progress": N_("Status (progress) report"),
    "final": N_("Final report"),
}
# The dashboard's forms; one is shown when asked for, so the page stops refreshing itself.
FORMS = ("submission", "warning")
ProfileQuery = Annotated[str | None, QueryParameter(required=False, max_length=20)]


# The deadlines, by market --------------------------------------------------------------------


@dataclass(frozen=True)
class DeadlineRow:
    key: str
    profile: str
    name: str
    due_at: str
    basis: str
    met_at: str
    status: str  # "Late by 3 days", "Met", "2 days left", "Not met"
    state: str  # ok | warn | bad | ""
    late: bool
    due_next: bool
    overridden: bool
    override_reason: str | None


@dataclass(frozen=True)
class Market:
    """One profile's part of the recall: its authority, countries, deadlines and distribution."""

    profile: str
    authority: str
    countries: str
    deadlines: list[DeadlineRow]
    distribution: recalls.MarketDistribution | None


def _status(
    request: Request[Any, Any, Any], deadline: recalls.Deadline, is_open: bool, now: datetime
) -> tuple[str, str]:
    catalogue = translations(language_of(request))
    if deadline.late:
        days = deadline.days_late or 1
        text = catalogue.ngettext("Late by %(num)s day", "Late by %(num)s days", days)
        return text % {"num": days}, "bad"
    if deadline.met_at is not None:
        return catalogue.gettext("Met"), "ok"
    if not is_open:
        return catalogue.gettext("Not met"), ""
    left, _overdue = time_left(request, deadline.due_at, now)
    return left, "warn" if (deadline.due_at - now).days < 2 else ""


def _rows(
    request: Request[Any, Any, Any], recall: recalls.Recall, profile: str, now: datetime
) -> list[DeadlineRow]:
    _ = gettext_for(request)
    mine = [d for d in recall.deadlines if (d.profile or recall.profile) == profile]
    upcoming = [d for d in mine if d.met_at is None and d.due_at >= now]
    due_next = min(upcoming, key=lambda d: d.due_at) if _is_open(recall) and upcoming else None
    rows = []
    for deadline in mine:
        status, state = _status(request, deadline, _is_open(recall), now)
        rows.append(
            DeadlineRow(
                key=deadline.key or deadline.name,
                profile=profile,
                name=_(DEADLINE_NAMES.get(deadline.name, deadline.name)),
                due_at=_when(deadline.due_at),
                basis=label(_, DEADLINE_BASIS_NAMES, deadline.basis),
                met_at=_when(deadline.met_at),
                status=status,
                state=state,
                late=deadline.late,
                due_next=deadline is due_next,
                overridden=deadline.overridden,
                override_reason=deadline.override_reason,
            )
        )
    return rows


async def markets(request: Request[Any, Any, Any], recall: recalls.Recall) -> list[Market]:
    """Each of the recall's profiles with its deadlines; the distribution split too when the
    recall has more than one market."""
    now = clock.now().astimezone(UTC)
    language = language_of(request)
    _ = gettext_for(request)
    profiles = recall.profiles or [recall.profile]
    split = {}
    if len(profiles) > 1 and recall.status != RecallStatus.PROPOSED:
        split = {m.profile: m for m in await recalls.distribution_by_market(recall.id)}
    found = []
    for profile in profiles:
        rules = regulatory.load_profile(profile)
        names = sorted(regulatory.country_name(code, language) for code in rules.countries)
        found.append(
            Market(
                profile=profile,
                authority=_(rules.authority_name),
                countries=", ".join(names),
                deadlines=_rows(request, recall, profile, now),
                distribution=split.get(profile),
            )
        )
    return found


# Submissions and public warnings -------------------------------------------------------------


async def authorities_context(
    request: Request[Actor, Any, Any],
    recall: recalls.Recall,
    forms: PageForms,
    record: str | None = None,
    submit_to: str | None = None,
) -> dict[str, Any]:
    """What the dashboard's authority sections show: markets, submissions, public warnings,
    and the form `record` asks for (submission | warning) or one refused, the submission
    form filled in for `submit_to`."""
    _ = gettext_for(request)
    for state in forms.states.values():
        in_words(request, state)
    profiles = recall.profiles or [recall.profile]
    chosen = submit_to if submit_to in profiles else profiles[0]
    submitting = forms["submission"]
    if not submitting.values and recall.status != RecallStatus.PROPOSED:
        addressees = await recalls.report_addressees(recall.id, chosen)
        now = local_input(clock.now())
        submitting = FormState(
            values={"authority": chosen, "addressees": "\n".join(addressees), "submitted_at": now}
        )
    user = request.user
    may_record = user.has(Role.QA, Role.QA_MANAGER) and recall.status != RecallStatus.PROPOSED
    language = language_of(request)
    return {
        "markets": await markets(request, recall),
        "submissions": await recalls.list_submissions(recall.id),
        "forms": forms,
        "submission_form": submitting,
        "submission_kinds": options(_, SUBMISSION_KIND_NAMES),
        "submission_kind_names": translated(_, SUBMISSION_KIND_NAMES),
        "submission_channels": options(_, SUBMISSION_CHANNEL_NAMES),
        "submission_channel_names": translated(_, SUBMISSION_CHANNEL_NAMES),
        "authority_options": [(p, _(PROFILE_NAMES.get(p, p))) for p in profiles],
        "submit_to": chosen,
        "report_kinds": [(kind, _(text)) for kind, text in REPORT_KINDS.items()],
        "language_names": {"id": _("Indonesian"), "en": _("English")},
        "warning_names": translated(_, PUBLIC_WARNING_NAMES),
        "today": clock.today().isoformat(),
        "may_record": may_record,
        "recording": {
            name for name in FORMS if may_record and (name == record or name in forms.states)
        },
        "country": lambda code: regulatory.country_name(code, language),
        "may_override": user.has(Role.QA_MANAGER) and _is_open(recall),
    }


def submission_record(form: FormMultiDict) -> recalls.SubmissionRecord:
    """The submission form as the use case's record: the time on the plant's clock, one
    addressee a line."""
    lines = str(form.get("addressees", "")).splitlines()
    chosen = {name: str(form.get(name, "")).strip() for name in ("kind", "authority", "channel")}
    for name, value in chosen.items():
        if not value:
            raise InvalidInput(name, "required")
    return recalls.SubmissionRecord(
        kind=chosen["kind"],
        authority=chosen["authority"],
        submitted_at=local_moment(str(form.get("submitted_at", "")), "submitted_at"),
        channel=chosen["channel"],
        reference=str(form.get("reference", "")).strip() or None,
        addressees=tuple(line.strip() for line in lines if line.strip()),
    )


def public_warning_record(form: FormMultiDict) -> recalls.PublicWarningRecord:
    data = read(form, PublicWarningCreate)
    return recalls.PublicWarningRecord(data.published_on, data.channel, data.text, data.url)


# The override ---------------------------------------------------------------------------------


class DeadlineOverrideForm(RecallApprove):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


def _deadline(recall: recalls.Recall, key: str, profile: str | None) -> recalls.Deadline:
    """The recall's deadline `key` (of `profile`); NotFound without one."""
    for deadline in recall.deadlines:
        if (deadline.key or deadline.name) == key and profile in (None, deadline.profile):
            return deadline
    raise NotFound(f"recall {recall.id} has no deadline {key[:50]!r}")


async def _override_page(
    request: Request[Actor, Any, Any],
    recall: recalls.Recall,
    key: str,
    profile: str | None,
    form: FormState,
    status_code: int = 200,
) -> Template:
    deadline = _deadline(recall, key, profile)
    _ = gettext_for(request)
    shown = form if form.values else FormState(values={"due_at": local_input(deadline.due_at)})
    in_words(request, shown)
    return page(
        request,
        "recalls/override.html",
        {
            "recall": recall,
            "deadline": deadline,
            "deadline_name": _(DEADLINE_NAMES.get(deadline.name, deadline.name)),
            "basis": label(_, DEADLINE_BASIS_NAMES, deadline.basis),
            "authority": _(regulatory.load_profile(deadline.profile).authority_name),
            "profile": profile,
            "form": shown,
            **_names(request),
        },
        status_code=status_code,
    )


def _not_overridable(request: Request[Any, Any, Any], recall: recalls.Recall) -> Template:
    reason = N_("%(reference)s is %(status)s: its deadlines stay as they are.")
    return _not_now(request, recall, N_("Cannot be changed"), reason)


OVERRIDE_PATH = "/recalls/{recall_id:int}/deadlines/{key:str}/override"


@get(OVERRIDE_PATH, guards=[signed_in, QA_MANAGER_ONLY], include_in_schema=False)
async def override_form(
    request: Request[Actor, Any, Any],
    recall_id: RecallId,
    key: DeadlineKey,
    profile: ProfileQuery = None,
) -> Template:
    recall = await recalls.get_recall(recall_id)
    if not _is_open(recall):
        return _not_overridable(request, recall)
    return await _override_page(request, recall, key, profile, FormState())


@post(OVERRIDE_PATH, guards=[signed_in, QA_MANAGER_ONLY], include_in_schema=False)
async def override(
    request: Request[Actor, Any, Any],
    recall_id: RecallId,
    key: DeadlineKey,
    profile: ProfileQuery = None,
) -> Response[Any]:
    form = await request.form()
    recall = await recalls.get_recall(recall_id)
    if not _is_open(recall):
        return _not_overridable(request, recall)
    _deadline(recall, key, profile)

    async def sign() -> None:
        data = read(form, DeadlineOverrideForm)
        due_at = local_moment(str(form.get("due_at", "")), "due_at")
        await recalls.override_deadline(
            request.user, recall_id, key, profile, due_at, data.reason, data.password, data.meaning
        )

    async def again(state: FormState, status_code: int) -> Template:
        return await _override_page(request, recall, key, profile, state, status_code)

    try:
        return await _signed(request, recall_id, form, sign, again)
    except Conflict:
        return _not_overridable(request, await recalls.get_recall(recall_id))


ROUTES: list[Any] = [override_form, override]
