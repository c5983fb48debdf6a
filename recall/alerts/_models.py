"""Alerts for QA (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class AlertKind(StrEnum):
    DELIVERY_FAILED = "delivery_failed"  # a notice could not be delivered on any channel
    UNREACHABLE = "unreachable"  # a consignee has neither webhook nor e-mail: call it
    DEADLINE_PASSED = "deadline_passed"  # a recall deadline passed with work still open
    CHECK_FAILED = "effectiveness_check_failed"
    SIGNATURE_LOCKOUT = "signature_lockout"  # a user gave 5 wrong signature passwords in a row
    OBLIGATION_DUE = "obligation_due"  # a complaint's report to an authority is due within a day
    CAPA_INEFFECTIVE = "capa_ineffective"  # a done CAPA's effectiveness check found it did not work


@dataclass(frozen=True)
class Alert:
    id: int
    kind: str
    detail: str
    recall_id: int | None
    recall_reference: str | None
    notice_id: int | None
    consignee_code: str | None
    created_at: datetime
    acknowledged_at: datetime | None
