"""Pages: the audit trail of one record or of everything, its chain check, and its download."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, get
from litestar.params import Parameter, QueryParameter
from litestar.response import Template

from recall import audit
from recall.actors import Actor
from recall.errors import InvalidInput
from recall.settings import get_settings
from web.bad_input import parse_day
from web.pages.export import FormatParameter, download
from web.pages.forms import FormState, QueryForm
from web.pages.labels import (
    AUDIT_ACTION_NAMES,
    AUDIT_ENTITY_NAMES,
    CHAIN_PROBLEMS,
    label,
    options,
)
from web.pages.render import N_, gettext_for, local_time, page
from web.pages.session import signed_in
from web.security import QUALITY_READ

PER_PAGE = 50
EXPORT_PAGE = 5000
EXPORT_MAX = 100_000

_ISO_MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)")

Text = Annotated[str | None, Parameter(max_length=100)]
PageNumber = Annotated[int, QueryParameter(name="page", ge=1, le=100_000)]


@dataclass(frozen=True)
class ChangedField:
    name: str
    old: str | None  # None: the field had no value before (a new record, a new field)
    new: str | None  # None: the field was removed


class _Values:
    """Stored values as a person reads them: moments on the plant's clock, yes/no, lists."""

    def __init__(self, _: Callable[[str], str], zone: str) -> None:
        self._, self.zone = _, zone

    def text(self, value: Any) -> str:
        if value is None or value == "":
            return "—"
        if isinstance(value, bool):
            return self._("Yes") if value else self._("No")
        if isinstance(value, str) and _ISO_MOMENT.fullmatch(value):
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return local_time(moment, self.zone)
        if isinstance(value, dict):
            return "; ".join(f"{_field_name(k)}: {self.nested(v)}" for k, v in value.items())
        if isinstance(value, list):
            return "; ".join(self.nested(item) for item in value) or "—"
        return str(value)

    def nested(self, value: Any) -> str:
        text = self.text(value)
        return f"({text})" if isinstance(value, dict | list) and ";" in text else text


def _field_name(key: str) -> str:
    return key.replace("_", " ")


def changed_fields(entry: audit.Entry, values: _Values) -> list[ChangedField]:
    """What the entry changed, field by field, in the order the use case wrote them."""
    names = list(dict.fromkeys([*entry.new_values, *entry.old_values]))
    shown = []
    for name in names:
        old = values.text(entry.old_values[name]) if name in entry.old_values else None
        new = values.text(entry.new_values[name]) if name in entry.new_values else None
        if old != new:
            shown.append(ChangedField(_field_name(name), old, new))
    return shown


@dataclass(frozen=True)
class Selection(QueryForm):
    """The query string of /audit and /audit/export: which entries, as typed."""

    entity: str = ""
    entity_id: str = ""
    actor: str = ""
    action: str = ""
    since: str = ""
    until: str = ""

    @property
    def is_record(self) -> bool:
        return bool(self.entity and self.entity_id)

    def entry_filter(self, zone: str) -> audit.EntryFilter:
        """The domain's filter; InvalidInput names a date that is not a date."""
        since = _day(self.since, "since", zone)
        until = _day(self.until, "until", zone)
        return audit.EntryFilter(
            entity=self.entity or None,
            entity_id=self.entity_id or None,
            actor=self.actor or None,
            action=self.action or None,
            since=since,
            # The "to" day is included: entries up to the start of the next day.
            until=until + timedelta(days=1) if until else None,
        )


def _day(text: str, field: str, zone: str) -> datetime | None:
    """The start of a day on the plant's clock, as a moment."""
    if not text:
        return None
    day = parse_day(field, text)  # 1900-2200: far dates overflow in a time zone
    return datetime.combine(day, time(), ZoneInfo(zone)).astimezone(UTC)


def _selection(*values: str | None) -> Selection:
    return Selection(*[(value or "").strip() for value in values])


def _entity_options(chosen: str, _: Callable[[str], str]) -> list[tuple[str, str]]:
    """The record types to filter by, by name; one the trail names but this list does not, too."""
    entities = sorted(options(_, AUDIT_ENTITY_NAMES), key=lambda option: option[1])
    return entities if not chosen or chosen in AUDIT_ENTITY_NAMES else [*entities, (chosen, chosen)]


def _order_oldest_first(selection: Selection) -> bool:
    # One record's history reads from its creation on; the whole trail, newest first.
    return selection.is_record


@get("/audit", guards=[signed_in, QUALITY_READ], include_in_schema=False)
async def audit_trail(
    request: Request[Actor, Any, Any],
    entity: Text = None,
    entity_id: Text = None,
    actor: Text = None,
    action: Text = None,
    since: Text = None,
    until: Text = None,
    page_number: PageNumber = 1,
) -> Template:
    """The entries of one record (?entity=complaint&entity_id=12) or of everything, filtered."""
    _ = gettext_for(request)
    zone = get_settings().time_zone
    selection = _selection(entity, entity_id, actor, action, since, until)
    form = FormState(values=selection.values)
    entries: list[audit.Entry] = []
    total = 0
    status_code = 200
    try:
        entries, total = await audit.find_entries(
            selection.entry_filter(zone),
            PER_PAGE,
            (page_number - 1) * PER_PAGE,
            oldest_first=_order_oldest_first(selection),
        )
    except InvalidInput as exc:
        form = FormState(values=form.values, error_field=exc.field,
                         error_text=_("Enter a date such as 2026-01-31."))  # fmt: skip
        status_code = 422
    values = _Values(_, zone)
    rows = [
        {
            "entry": entry,
            "local": local_time(entry.at, zone),
            "utc": entry.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
            "entity": label(_, AUDIT_ENTITY_NAMES, entry.entity),
            "action": label(_, AUDIT_ACTION_NAMES, entry.action),
            "changes": changed_fields(entry, values),
            "data": json.dumps(
                {"old": entry.old_values, "new": entry.new_values},
                indent=2,
                ensure_ascii=False,
                sort_keys=True,
            ),
        }
        for entry in entries
    ]
    verification = await audit.verify()
    pages = max(1, -(-total // PER_PAGE))
    return page(
        request,
        "audit/trail.html",
        {
            "selection": selection,
            "form": form,
            "rows": rows,
            "total": total,
            "page_number": page_number,
            "pages": pages,
            "previous": selection.query(page=page_number - 1) if page_number > 1 else None,
            "next": selection.query(page=page_number + 1) if page_number < pages else None,
            "verification": verification,
            "problem": label(_, CHAIN_PROBLEMS, verification.problem),
            "last_full": _last_full(verification.last_full, zone, _),
            "entities": _entity_options(selection.entity, _),
            "entity_name": _(AUDIT_ENTITY_NAMES.get(selection.entity, selection.entity)),
            "oldest_first": _order_oldest_first(selection),
            "export": selection.query(),
        },
        status_code=status_code,
    )


def _last_full(run: audit.FullRun | None, zone: str, _: Callable[[str], str]) -> Any:
    """The latest full re-hash, for the line under the chain's status."""
    if run is None:
        return None
    return {
        "run": run,
        "local": local_time(datetime.fromisoformat(run.at), zone),
        "problem": label(_, CHAIN_PROBLEMS, run.problem),
    }


async def _selected(selection: audit.EntryFilter, oldest_first: bool) -> list[audit.Entry]:
    """Every matching entry, up to EXPORT_MAX, read a page at a time."""
    found: list[audit.Entry] = []
    while len(found) < EXPORT_MAX:
        chunk, _total = await audit.find_entries(
            selection, EXPORT_PAGE, len(found), oldest_first=oldest_first
        )
        found += chunk
        if len(chunk) < EXPORT_PAGE:
            break
    return found[:EXPORT_MAX]


EXPORT_HEADERS = [
    N_("Entry"),
    N_("Time (plant's clock)"),
    N_("Time (UTC)"),
    N_("Actor"),
    N_("Record type"),
    N_("Record"),
    N_("Action"),
    N_("Changes"),
    N_("Reason"),
    N_("Old values"),
    N_("New values"),
    N_("Hash"),
]


@get("/audit/export", guards=[signed_in, QUALITY_READ], include_in_schema=False)
async def export_audit_trail(
    request: Request[Actor, Any, Any],
    format: FormatParameter,
    entity: Text = None,
    entity_id: Text = None,
    actor: Text = None,
    action: Text = None,
    since: Text = None,
    until: Text = None,
) -> Response[Any]:
    """The entries /audit shows for the same query, all pages, as CSV or XLSX."""
    _ = gettext_for(request)
    zone = get_settings().time_zone
    selection = _selection(entity, entity_id, actor, action, since, until)
    try:
        entries = await _selected(selection.entry_filter(zone), _order_oldest_first(selection))
    except InvalidInput:
        return page(
            request,
            "message.html",
            {"title": _("Not a date"), "text": _("Enter a date such as 2026-01-31.")},
            status_code=422,
        )
    values = _Values(_, zone)

    def changes(entry: audit.Entry) -> str:
        return "\n".join(
            f"{change.name}: {change.old or '—'} → {change.new or '—'}"
            if change.old is not None
            else f"{change.name}: {change.new}"
            for change in changed_fields(entry, values)
        )

    rows = (
        [
            entry.seq,
            entry.at.astimezone(ZoneInfo(zone)),
            entry.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            entry.actor_name,
            entry.entity,
            entry.entity_id,
            entry.action,
            changes(entry),
            entry.reason,
            audit_json(entry.old_values),
            audit_json(entry.new_values),
            entry.hash,
        ]
        for entry in entries
    )
    name = f"audit-{selection.entity}-{selection.entity_id}" if selection.is_record else "audit"
    return download(
        re.sub(r"[^A-Za-z0-9_.-]", "_", name), format, [_(h) for h in EXPORT_HEADERS], rows
    )


def audit_json(values: dict[str, Any]) -> str:
    return json.dumps(values, ensure_ascii=False, sort_keys=True) if values else ""


ROUTES: list[Any] = [audit_trail, export_audit_trail]
