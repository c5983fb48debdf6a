"""Regulatory profiles (deadlines are data, one TOML file per authority) and the deadline engine."""

from recall.regulatory._deadlines import (
    DEPTHS,
    Deadline,
    add_duration,
    field_alert_due,
    recall_deadlines,
)
from recall.regulatory._places import (
    PROVINCES,
    RegionalOffice,
    canonical_province,
    country_code,
    country_name,
    regional_office,
)
from recall.regulatory._profiles import (
    PROFILE_NAMES,
    RECALL_CLASSES,
    ClassDeadlines,
    Duration,
    FieldAlert,
    Profile,
    load_profile,
    parse_duration,
)

__all__ = [
    "DEPTHS",
    "PROFILE_NAMES",
    "PROVINCES",
    "RECALL_CLASSES",
    "ClassDeadlines",
    "Deadline",
    "Duration",
    "FieldAlert",
    "Profile",
    "RegionalOffice",
    "add_duration",
    "canonical_province",
    "country_code",
    "country_name",
    "field_alert_due",
    "load_profile",
    "parse_duration",
    "recall_deadlines",
    "regional_office",
]
