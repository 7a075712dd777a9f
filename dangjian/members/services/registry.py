"""Writes of the member registry: one function per action, in a transaction, with history."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from dangjian.core import scope
from dangjian.core.bulk import insert_rows, insert_values
from dangjian.core.crypto import blind_index
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


# Members written per statement by members_create_bulk.
BULK_BATCH = 2000
JUST_REGISTERED = "该公民身份号码刚刚被他人登记，请核对。"


class NumbersTaken(ValidationError):
    """Some of the numbers of a bulk creation were registered meanwhile (by someone else)."""

    def __init__(self, taken: set[str]) -> None:
        super().__init__({"id_number": [JUST_REGISTERED]})
        self.taken = taken  # blind indexes


@transaction.atomic
def members_create_bulk(*, by: User | None, rows: Iterable[tuple[Member, Iterable[MemberCategory]]]) -> list[Member]:
    """Register many members at once, already checked by the page's form (an import): each row
    is the unsaved member the form built (its `instance`, written as it is, the birth date the
    form read from the ID number included) with its categories. The same rows and derived fields
    as member_create, and one "created" history record a member holding its categories, written
    a batch per statement. A number registered meanwhile raises NumbersTaken naming it, and
    nothing is written."""
    from django.utils import timezone

    now = timezone.now()
    members: list[Member] = []
    chosen: list[list[MemberCategory]] = []
    for member, categories in rows:
        if not member._state.adding:
            raise ValueError("members_create_bulk writes new members only")
        members.append(member)
        chosen.append(list(categories))
    try:
        with transaction.atomic():
            # Each member's derived fields are filled as its row is sent.
            insert_rows(Member, members, prepare=Member.prepare_derived)
    except IntegrityError as exc:
        indexes = [blind_index(member.id_number) for member in members]
        taken = {
            index
            for start in range(0, len(indexes), BULK_BATCH)
            for index in Member.objects.filter(id_number_index__in=indexes[start : start + BULK_BATCH]).values_list(
                "id_number_index", flat=True
            )
        }
        raise NumbersTaken(taken) from exc

    # The category links as plain rows (no instance a row).
    through = Member.categories.through
    insert_values(
        through,
        ["member_id", "membercategory_id"],
        [
            (member.pk, category.pk)
            for member, categories in zip(members, chosen, strict=True)
            for category in categories
        ],
    )
    _copy_creation_history([member.pk for member in members], at=now, by=by)
    return members


def _copy_creation_history(member_ids: list[int], *, at: datetime.datetime, by: User | None) -> None:
    """The history member_create leaves, for members just written in bulk: one "created" record
    a member and its categories, copied by the database from the rows written (nothing is read
    back or made row by row in Python). The members are new, so the only history rows of their
    ids are these."""
    historical = Member.history.model
    links = Member.categories.through
    historical_links = apps.get_model("members", "HistoricalMember_categories")
    quote = connection.ops.quote_name
    columns = ", ".join(quote(Member._meta.get_field(field.name).column) for field in historical.tracked_fields)
    link_columns = "id, member_id, membercategory_id"
    postgresql = connection.vendor == "postgresql"
    # PostgreSQL takes a chunk's ids as one array (no statement of ten thousand placeholders to
    # parse); SQLite as a list within its limit on parameters.
    chunk = 10_000 if postgresql else 500
    with connection.cursor() as cursor:
        for start in range(0, len(member_ids), chunk):
            ids = member_ids[start : start + chunk]
            among, params = ("= ANY(%s)", [ids]) if postgresql else (f"IN ({', '.join(['%s'] * len(ids))})", ids)
            cursor.execute(
                f"INSERT INTO {quote(historical._meta.db_table)} ({columns}, history_date, history_change_reason, "
                f"history_type, history_user_id) SELECT {columns}, %s, %s, %s, %s "
                f"FROM {quote(Member._meta.db_table)} WHERE id {among}",
                [at, "", "+", by.pk if by is not None else None, *params],
            )
            cursor.execute(
                f"INSERT INTO {quote(historical_links._meta.db_table)} ({link_columns}, history_id) "
                f"SELECT l.id, l.member_id, l.membercategory_id, h.history_id FROM {quote(links._meta.db_table)} l "
                f"JOIN {quote(historical._meta.db_table)} h ON h.id = l.member_id WHERE l.member_id {among}",
                params,
            )


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
