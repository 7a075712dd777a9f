"""The members app's models: the registry (registry.py), the development pipeline
(development.py), transfers (transfers.py), mobile members (mobile.py), dues (dues.py) and
care (care.py)."""

from .care import CareRecord
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
from .dues import DuesBase, DuesMonth, DuesPayment, DuesRelief, DuesRule, monthly_amount, to_fen
from .mobile import ContactLog, MobileMember
from .registry import Member, MemberCategory, MemberPosition, RewardPenalty, UnmaskLog, check_id_number, name_initials
from .transfers import LetterSequence, Transfer

__all__ = [
    "CareRecord",
    "ContactLog",
    "Development",
    "DevelopmentRule",
    "DuesBase",
    "DuesMonth",
    "DuesPayment",
    "DuesRelief",
    "DuesRule",
    "LetterSequence",
    "Member",
    "MemberCategory",
    "MemberPosition",
    "MobileMember",
    "NextStep",
    "RewardPenalty",
    "Rules",
    "Transfer",
    "UnmaskLog",
    "add_months",
    "age_on",
    "check_id_number",
    "load_rules",
    "monthly_amount",
    "name_initials",
    "rule",
    "to_fen",
]
