"""What every recall page shows alike: codes as words, figures and moments, the consignee filter."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from litestar import Request
from litestar.params import QueryParameter

from recall import recalls
from recall.notices import ConsigneeFilter, ConsigneeRow, NoticeStatus
from recall.recalls import RecallStatus
from recall.settings import get_settings
from web.i18n import language_of, translations
from web.pages.labels import (
    ALERT_NAMES,
    CLASS_NAMES,
    CONSIGNEE_KIND_NAMES,
    DEPTH_NAMES,
    NOTICE_CHANNEL_NAMES,
    NOTICE_STATUS_NAMES,
    PROFILE_NAMES,
    PUBLIC_WARNING_NAMES,
    RECALL_STATUS_NAMES,
    SIGNATURE_NAMES,
    TYPE_NAMES,
)
from web.pages.render import gettext_for

# Query values are read leniently: one that means nothing is ignored, never an error page.
Query = Annotated[str | None, QueryParameter()]
PageNumber = Annotated[str | None, QueryParameter(name="page")]

# How a status looks in a table: ok | warn | bad | "" (plain).
STATUS_STATES = {"proposed": "warn", "in_progress": "", "closed": "ok"}
NOTICE_STATES = {"failed": "bad", "acknowledged": "", "responded": "ok", "pending": "warn"}


# Showing figures and moments -----------------------------------------------------------------


def _zone() -> ZoneInfo:
    return ZoneInfo(get_settings().time_zone)


def _when(moment: datetime | None) -> str:
    """A UTC moment on the plant's clock (the zone is named once, above each table)."""
    return "" if moment is None else f"{moment.astimezone(_zone()):%d-%m-%Y %H:%M}"


def _number(language: str) -> Callable[[int | None], str]:
    def number(value: int | None) -> str:
        return "—" if value is None else format_decimal(value, locale=language)

    return number


def percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def time_left(request: Request[Any, Any, Any], due: datetime, now: datetime) -> tuple[str, bool]:
    """("2 days left" | "overdue by 3 h", overdue) in the reader's language."""
    catalogue = translations(language_of(request))
    _ = catalogue.gettext
    seconds = (due - now).total_seconds()
    span = abs(seconds)
    if span >= 2 * 86400:
        days = int(span // 86400)
        amount = catalogue.ngettext("%(num)d day", "%(num)d days", days) % {"num": days}
    elif span >= 3600:
        amount = _("%(num)d h") % {"num": int(span // 3600)}
    else:
        amount = _("%(num)d min") % {"num": max(1, int(span // 60))}
    if seconds < 0:
        return _("overdue by %(time)s") % {"time": amount}, True
    return _("%(time)s left") % {"time": amount}, False


def _is_open(recall: recalls.Recall) -> bool:
    return recall.status == RecallStatus.IN_PROGRESS


def _filter(
    status: str | None, tier: str | None, overdue: str | None, q: str | None
) -> ConsigneeFilter:
    """The table's filter from the query string; values that mean nothing are ignored."""
    return ConsigneeFilter(
        status=status if status in set(NoticeStatus) else None,
        tier=int(tier) if tier and tier.isdigit() and 0 < int(tier) < 100 else None,
        overdue_only=overdue == "true",
        search=(q or "").strip()[:100] or None,
    )


def _names(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """What every recall page needs to show codes as words, figures and moments."""
    return {
        "status_names": RECALL_STATUS_NAMES,
        "status_states": STATUS_STATES,
        "notice_names": NOTICE_STATUS_NAMES,
        "notice_states": NOTICE_STATES,
        "notice_statuses": [(value.value, text) for value, text in NOTICE_STATUS_NAMES.items()],
        "class_names": CLASS_NAMES,
        "type_names": TYPE_NAMES,
        "depth_names": DEPTH_NAMES,
        "profile_names": PROFILE_NAMES,
        "warning_labels": PUBLIC_WARNING_NAMES,
        "kind_names": CONSIGNEE_KIND_NAMES,
        "signature_names": SIGNATURE_NAMES,
        "alert_names": ALERT_NAMES,
        "channel_names": NOTICE_CHANNEL_NAMES,
        "channels": lambda row: _channels(row, gettext_for(request)),
        "when": _when,
        "zone": get_settings().time_zone,
        "number": _number(language_of(request)),
        "percent": percent,
    }


def _channels(row: ConsigneeRow, _: Callable[[str], str]) -> str:
    """How the notice reaches the consignee: its addresses, or "Phone only" without any."""
    used = [name for name, has in (("webhook", row.has_webhook), ("email", row.has_email)) if has]
    return ", ".join(_(NOTICE_CHANNEL_NAMES[name]) for name in used) or _("Phone only")
