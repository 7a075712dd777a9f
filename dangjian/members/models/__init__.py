"""The members app's models: the registry (registry.py) and the development pipeline
(development.py)."""

from .development import (
    Development,
    DevelopmentRule,
    NextStep,
    Rules,
    add_months,
    age_on,
    load_rules,
    rule,
)
from .registry import Member, MemberCategory, MemberPosition, RewardPenalty, UnmaskLog, check_id_number, name_initials

__all__ = [
    "Development",
    "DevelopmentRule",
    "Member",
    "MemberCategory",
    "MemberPosition",
    "NextStep",
    "RewardPenalty",
    "Rules",
    "UnmaskLog",
    "add_months",
    "age_on",
    "check_id_number",
    "load_rules",
    "name_initials",
    "rule",
]
