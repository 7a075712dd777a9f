"""Writes of the member registry: one function per action, in a transaction, with history."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from dangjian.core import scope
from dangjian.core.models import User
from dangjian.core.services import STALE_MESSAGE

from ..choices import UnmaskField
from ..models import Member, MemberCategory, MemberPosition, RewardPenalty, UnmaskLog

# The fields a person fills in for a member (and an import row carries).
MEMBER_FIELDS = (
    "name",
    "gender",
    "ethnicity",
    "id_number",
    "phone",
    "education",
    "occupation",
    "work_unit",
    "residence_community",
    "grid",
    "building",
    "room",
    "join_date",
    "full_member_date",
    "membership_type",
    "standing",
    "status",
    "branch",
    "group",
    "hardship_notes",
)


def _save(member: Member, by: User | None) -> None:
    member._history_user = by
    member.full_clean(exclude=["birth_date", "name_initials", "id_number_index", "phone_index"])
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError as exc:
        raise ValidationError({"id_number": ["该公民身份号码刚刚被他人登记，请核对。"]}) from exc


@transaction.atomic
def member_create(*, by: User | None, categories: Iterable[MemberCategory] = (), **fields: Any) -> Member:
    unknown = set(fields) - set(MEMBER_FIELDS)
    if unknown:
        raise ValueError(f"member_create cannot set {sorted(unknown)}")
    member = Member(**fields)
    _save(member, by)
    member.categories.set(categories)
    return member


@transaction.atomic
def member_update(
    *,
    member: Member,
    by: User | None,
    expected_version: int | None = None,
    categories: Iterable[MemberCategory] | None = None,
    **fields: Any,
) -> Member:
    unknown = set(fields) - set(MEMBER_FIELDS)
    if unknown:
        raise ValueError(f"member_update cannot set {sorted(unknown)}")
    member = Member.objects.select_for_update().get(pk=member.pk)
    if expected_version is not None and member.version != expected_version:
        raise ValidationError(STALE_MESSAGE, code="stale")
    for field, value in fields.items():
        setattr(member, field, value)
    member.version += 1
    _save(member, by)
    if categories is not None:
        member.categories.set(categories)
    return member


def member_unmask(*, member: Member, field: str, by: User, ip_address: str | None = None) -> str:
    """The member's ID number or phone in full, for someone allowed to see it; the showing is
    logged (who, whose, which field, when)."""
    if field not in UnmaskField.values:
        raise ValueError(f"cannot unmask {field!r}")
    if not scope.can(by, scope.Cap.MEMBER_UNMASK):
        raise PermissionDenied("您当前的角色不能查看明文。")
    UnmaskLog.objects.create(user=by, member=member, field=field, ip_address=ip_address)
    return getattr(member, field)


def members_unmask_logged(*, members: Iterable[Member], fields: Iterable[str], by: User) -> None:
    """Log, in one statement, that these members' fields were shown in full (an unmasked export)."""
    if not scope.can(by, scope.Cap.MEMBER_UNMASK):
        raise PermissionDenied("您当前的角色不能导出明文。")
    UnmaskLog.objects.bulk_create(
        [UnmaskLog(user=by, member=member, field=field) for member in members for field in fields],
        batch_size=2000,
    )


@transaction.atomic
def position_add(*, member: Member, by: User | None, **fields: Any) -> MemberPosition:
    position = MemberPosition(member=member, **fields)
    position._history_user = by
    position.full_clean()
    position.save()
    return position


@transaction.atomic
def record_add(*, member: Member, by: User | None, **fields: Any) -> RewardPenalty:
    record = RewardPenalty(member=member, **fields)
    record._history_user = by
    record.full_clean()
    record.save()
    return record
