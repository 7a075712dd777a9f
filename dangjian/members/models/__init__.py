"""The members app's models: the registry (registry.py) and the development pipeline."""

from .registry import Member, MemberCategory, MemberPosition, RewardPenalty, UnmaskLog, check_id_number, name_initials

__all__ = [
    "Member",
    "MemberCategory",
    "MemberPosition",
    "RewardPenalty",
    "UnmaskLog",
    "check_id_number",
    "name_initials",
]
