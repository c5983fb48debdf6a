"""Places an authority cares about: Indonesia's provinces with the BPOM regional office
(UPT) each reports to, read from `provinces.toml`, and ISO 3166 countries from babel."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError

PROVINCES_FILE = Path(__file__).parent / "provinces.toml"

# Codes babel lists as territories that ISO 3166-1 does not assign to a country.
_NOT_COUNTRIES = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"}
)
_AFFIXES = re.compile(r"^(provinsi|province of|propinsi)\s+|\s+(province|provinsi)$")


@dataclass(frozen=True)
class RegionalOffice:
    name: str  # as BPOM writes it, "Balai Besar POM di Surabaya"
    city: str


@dataclass(frozen=True)
class _Province:
    name: str
    aliases: tuple[str, ...]
    office: RegionalOffice


def _key(text: str) -> str:
    # "D.I. Yogyakarta", "di  yogyakarta" and "Provinsi DI Yogyakarta" are one province.
    words = " ".join(text.replace(".", "").split()).casefold()
    return _AFFIXES.sub("", words)


@lru_cache(maxsize=1)
def _provinces() -> tuple[_Province, ...]:
    with PROVINCES_FILE.open("rb") as file:
        data = tomllib.load(file)
    return tuple(
        _Province(
            name=entry["name"],
            aliases=tuple(entry.get("aliases", ())),
            office=RegionalOffice(entry["office"], entry["city"]),
        )
        for entry in data["province"]
    )


@lru_cache(maxsize=1)
def _by_key() -> dict[str, _Province]:
    found: dict[str, _Province] = {}
    for province in _provinces():
        for text in (province.name, *province.aliases):
            found.setdefault(_key(text), province)
    return found


PROVINCES: tuple[str, ...] = tuple(province.name for province in _provinces())


def canonical_province(text: str) -> str | None:
    """The official province name for a name or alias (case, spacing and dots ignored)."""
    province = _by_key().get(_key(text)) if text else None
    return province.name if province else None


def regional_office(province: str) -> RegionalOffice | None:
    """The BPOM regional office for a province (official name or alias), else None."""
    found = _by_key().get(_key(province)) if province else None
    return found.office if found else None


@lru_cache(maxsize=1)
def _country_codes() -> frozenset[str]:
    return frozenset(
        code
        for code in Locale("en").territories
        if isinstance(code, str)
        and len(code) == 2
        and code.isalpha()
        and code not in _NOT_COUNTRIES
    )


def country_code(text: str) -> str | None:
    """ "id" or "ID" → "ID"; None when the text is not an ISO 3166-1 alpha-2 country code."""
    code = text.strip().upper() if isinstance(text, str) else ""
    return code if code in _country_codes() else None


def country_name(code: str, language: str) -> str:
    """The country's name in `language` ("Amerika Serikat" in id); the code itself when
    babel has no name for it."""
    try:
        names = Locale.parse(language).territories
    except (UnknownLocaleError, ValueError):
        names = Locale("en").territories
    return names.get(code.upper(), code)
