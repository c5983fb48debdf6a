"""Alerts to QA by e-mail, sent by the worker from the outbox."""

from __future__ import annotations

import logging

from recall import alerts, clock, outbox
from recall.notices import _messages as messages
from recall.notices._delivery_send import DeliveryError, Sender, retry_delay
from recall.settings import get_settings

# The logger name the delivery log lines had before the split, so log filters still match.
log = logging.getLogger("recall.notices._delivery")


async def mail_alert(outbox_id: int, sender: Sender, attempt: int = 1) -> float | None:
    """Mail the alert of outbox row `outbox_id` to QA (settings.qa_alert_email).

    Returns seconds until the next try after a transient failure; None when finished
    (sent, or given up and logged: an alert stays visible on its page either way).
    """
    job = await outbox.payload(outbox_id)
    if job is None:
        return None
    settings = get_settings()
    alert_id = int(job["alert_id"])
    mail = await alerts.alert_mail(alert_id) if settings.qa_alert_email else None
    if mail is not None:
        subject_text, text = mail
        message = messages.alert_email(alert_id, subject_text, text, settings, clock.now())
        try:
            await sender.mail(message)
        except DeliveryError as exc:
            if exc.retryable and attempt < settings.delivery.attempts:
                return retry_delay(
                    attempt,
                    settings.delivery.retry_base_seconds,
                    settings.delivery.retry_max_seconds,
                )
            log.error("alert %s was not mailed to QA: %s", alert_id, exc.detail)
    await outbox.mark_done(outbox_id)
    return None
