"""How a report reaches an authority: the one list for a recall's and a complaint's submissions."""

from __future__ import annotations

from enum import StrEnum


class SubmissionChannel(StrEnum):
    PORTAL = "portal"
    EMAIL = "email"
    LETTER = "letter"
    HAND_DELIVERY = "hand_delivery"
    OTHER = "other"
