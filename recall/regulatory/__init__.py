"""Regulatory profiles (deadlines are data, one TOML file per authority) and the deadline engine."""

from recall.regulatory._authorities import (
    ObligationDue,
    authority_of,
    complaint_obligations,
    market_of,
    order_start,
)
from recall.regulatory._channels import SubmissionChannel
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
    OBLIGATION_KINDS,
    PROFILE_NAMES,
    RECALL_CLASSES,
    ClassDeadlines,
    Duration,
    FieldAlert,
    ObligationRule,
    Profile,
    load_profile,
    parse_duration,
)

__all__ = [
    "DEPTHS",
    "OBLIGATION_KINDS",
    "PROFILE_NAMES",
    "PROVINCES",
    "RECALL_CLASSES",
    "ClassDeadlines",
    "Deadline",
    "Duration",
    "FieldAlert",
    "ObligationDue",
    "ObligationRule",
    "Profile",
    "RegionalOffice",
    "SubmissionChannel",
    "add_duration",
    "authority_of",
    "canonical_province",
    "complaint_obligations",
    "country_code",
    "country_name",
    "field_alert_due",
    "load_profile",
    "market_of",
    "order_start",
    "parse_duration",
    "recall_deadlines",
    "regional_office",
]
