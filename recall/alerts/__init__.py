"""Alerts for QA: failed deliveries, unreachable consignees, passed deadlines, failed checks."""

from recall.alerts._models import Alert, AlertKind
from recall.alerts._service import (
    MAIL_JOB,
    acknowledge_alert,
    alert_mail,
    get_alert,
    list_alerts,
    raise_alert,
)

__all__ = [
    "MAIL_JOB",
    "Alert",
    "AlertKind",
    "acknowledge_alert",
    "alert_mail",
    "get_alert",
    "list_alerts",
    "raise_alert",
]
