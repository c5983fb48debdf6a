"""Pages: one investigation as QA and inspectors read it, with the forms its page carries."""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Request
from litestar.response import Template

from recall import clock, investigations
from recall.actors import Actor, Role
from recall.investigations import (
    MAX_CONTAINMENT,
    RISK_HIGH_FROM,
    RISK_MEDIUM_FROM,
    InvestigationStatus,
    resulting_recalls,
)
from recall.settings import get_settings
from web.pages.attachments import attachments_context
from web.pages.forms import FormsPage, FormState, PageForms
from web.pages.labels import (
    CAPA_KIND_NAMES,
    COMPLAINT_STATUS_NAMES,
    INVESTIGATION_STATUS_NAMES,
    RISK_LEVEL_NAMES,
    ROOT_CAUSE_NAMES,
    translated,
)
from web.pages.render import N_, gettext_for, local_time, page

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


async def investigation_page(
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


def forms_page(request: Request[Actor, Any, Any], investigation_id: int) -> FormsPage:
    return FormsPage(
        f"/investigations/{investigation_id}",
        partial(investigation_page, request, investigation_id),
    )
