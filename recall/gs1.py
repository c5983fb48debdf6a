"""GS1 barcodes on packs: GTIN check digits and DataMatrix scan strings (via biip).

BPOM 2D barcodes (PerBPOM 22/2022) may carry the NIE in AI (90) instead of a GTIN.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date

from biip import ParseError, gs1_messages
from biip.gtin import Gtin

from recall.errors import InvalidInput

GROUP_SEPARATOR = "\x1d"


@dataclass(frozen=True)
class ScannedPack:
    """What a pack's 2D code says: product (GTIN, else BPOM NIE), batch, expiry and serial."""

    gtin: str | None
    batch_no: str | None
    expires_on: date | None
    serial: str | None
    nie: str | None = None


def normalize_gtin(value: str, *, field: str = "gtin") -> str:
    """A GTIN-8/12/13/14 as 14 digits; InvalidInput when malformed or the check digit is wrong."""
    text = value.strip()
    # isascii(): str.isdigit() also accepts other scripts' digits.
    if not (text.isascii() and text.isdigit()) or len(text) not in (8, 12, 13, 14):
        raise InvalidInput(field, "a GTIN has 8, 12, 13 or 14 digits")
    try:
        return _gtin_14(text)
    except ParseError as exc:
        raise InvalidInput(field, str(exc)) from None


@functools.lru_cache(maxsize=4096)
def _gtin_14(digits: str) -> str:
    """biip's parse, kept per GTIN: every complaint and scan names one of a few products."""
    return str(Gtin.parse(digits).as_gtin_14())


def parse_scan(text: str, *, field: str = "barcode") -> ScannedPack:
    """Parse a scanner's output: human-readable `(01)…(17)…(10)…(21)…` or raw with FNC1/GS."""
    raw = text.strip()
    if raw.startswith("]d2") or raw.startswith("]C1") or raw.startswith("]Q3"):
        raw = raw[3:]  # symbology identifier some scanners prepend
    try:
        if raw.startswith("("):
            message = gs1_messages.GS1Message.parse_hri(raw)
        else:
            message = gs1_messages.GS1Message.parse(raw.lstrip(GROUP_SEPARATOR))
    except ParseError as exc:
        raise InvalidInput(field, f"not a GS1 barcode: {exc}") from None
    values = {element.ai.ai: element for element in message.element_strings}
    gtin = values.get("01")
    nie = values["90"].value.strip().upper() if "90" in values else None
    if gtin is None and not nie:
        raise InvalidInput(field, "the barcode has neither a GTIN (AI 01) nor an NIE (AI 90)")
    if gtin is not None and gtin.gtin is None:
        normalize_gtin(gtin.value, field=field)  # raises with the precise reason
        raise InvalidInput(field, "the barcode's GTIN is not valid")
    # PerBPOM 22/2022: a pack identified by its NIE always carries its batch.
    if gtin is None and "10" not in values:
        raise InvalidInput(field, "the barcode has no batch (AI 10)")
    expiry = values.get("17")
    return ScannedPack(
        gtin=gtin.gtin.as_gtin_14() if gtin is not None and gtin.gtin is not None else None,
        batch_no=values["10"].value if "10" in values else None,
        expires_on=expiry.date if expiry is not None else None,
        serial=values["21"].value if "21" in values else None,
        nie=nie or None,
    )
