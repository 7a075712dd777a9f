"""Every write to the organization tree, committees and grants: one function per action."""

from __future__ import annotations

import datetime
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone

from . import scope
from .choices import OrgStatus
from .models import BranchCommittee, CommitteeSeat, Grant, OrgUnit, User, path_segment

STALE_MESSAGE = "该记录已被他人修改，请刷新页面后在最新内容上重新操作。"


def _check_version(instance: Any, expected_version: int | None) -> None:
    """Refuse a write made on a copy someone else has changed since (no lost updates)."""
    if expected_version is not None and instance.version != expected_version:
        raise ValidationError(STALE_MESSAGE, code="stale")


def _save(instance: Any, by: User | None, **kwargs: Any) -> None:
    instance._history_user = by
    instance.full_clean()
    _save_unique(instance, **kwargs)


# What a unique constraint met at save time means, by the constraint's name.
CONFLICT_MESSAGES = {
    "committee_one_secretary": "该委员会已有在任书记，请先办理原书记离任。",
    "committee_unique_term": "这一届委员会刚刚被他人登记过，请刷新后查看。",
    "grant_unique": "该用户已有这项授权。",
    "code": "该编码刚刚被他人使用，请换一个编码。",
}


def _save_unique(instance: Any, **kwargs: Any) -> None:
    """Save; a unique value taken by a concurrent request since full_clean() checked it is
    refused like any other duplicate, not left to fail as a database error."""
    try:
        with transaction.atomic():
            instance.save(**kwargs)
    except IntegrityError as exc:
        text = str(exc)
        message = next(
            (message for name, message in CONFLICT_MESSAGES.items() if name in text),
            "保存失败：数据刚刚被他人修改，请刷新后重试。",
        )
        raise ValidationError(message, code="conflict") from exc


def _require_active(unit: OrgUnit) -> None:
    if not unit.is_active:
        raise ValidationError("该组织已撤销或合并，不能再修改。", code="closed")


@transaction.atomic
def org_unit_create(
    *,
    parent: OrgUnit | None,
    kind: str,
    code: str,
    name: str,
    by: User | None,
    established_on: datetime.date | None = None,
    address: str = "",
    sort_order: int = 0,
) -> OrgUnit:
    if parent is not None:
        parent = OrgUnit.objects.select_for_update().get(pk=parent.pk)
        if not parent.is_active:
            raise ValidationError({"parent": "上级组织已撤销或合并，不能在其下设立组织。"})
    unit = OrgUnit(
        parent=parent,
        kind=kind,
        code=code.strip(),
        name=name.strip(),
        established_on=established_on,
        address=address,
        sort_order=sort_order,
    )
    unit._history_user = by
    unit.full_clean(exclude=["path"])
    _save_unique(unit)
    # The path holds the unit's own key, so it is set once the key exists.
    unit.path = (parent.path if parent else "") + path_segment(unit.pk)
    unit.depth = parent.depth + 1 if parent else 0
    unit.district_id = parent.district_id if parent else unit.pk
    unit.skip_history_when_saving = True
    unit.save(update_fields=["path", "depth", "district"])
    del unit.skip_history_when_saving
    # The creation record was written before the path existed; complete it.
    unit.history.filter(history_type="+").update(path=unit.path, depth=unit.depth, district_id=unit.district_id)
    return unit


@transaction.atomic
def org_unit_update(
    *,
    unit: OrgUnit,
    by: User | None,
    expected_version: int | None = None,
    **fields: Any,
) -> OrgUnit:
    allowed = {"code", "name", "established_on", "address", "sort_order"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"org_unit_update cannot change {sorted(unknown)}")
    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    _check_version(unit, expected_version)
    _require_active(unit)
    for field, value in fields.items():
        setattr(unit, field, value.strip() if isinstance(value, str) else value)
    unit.version += 1
    _save(unit, by)
    return unit


@transaction.atomic
def org_unit_move(
    *,
    unit: OrgUnit,
    new_parent: OrgUnit,
    by: User | None,
    expected_version: int | None = None,
) -> OrgUnit:
    """Put a unit (with everything below it) under another parent.

    The subtree's paths are rewritten in one UPDATE; the moved unit's history records the move.
    """
    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    _check_version(unit, expected_version)
    _require_active(unit)
    new_parent = OrgUnit.objects.select_for_update().get(pk=new_parent.pk)
    if not new_parent.is_active:
        raise ValidationError({"new_parent": "目标上级组织已撤销或合并。"})
    if new_parent.path.startswith(unit.path):
        raise ValidationError({"new_parent": "不能把组织移到它自己或它的下级组织之下。"})
    if new_parent.pk == unit.parent_id:
        raise ValidationError({"new_parent": "新的上级组织与原上级组织相同。"})
    old_path = unit.path
    unit.parent = new_parent
    try:
        unit.full_clean()
    except ValidationError as exc:
        raise ValidationError({"new_parent": exc.message_dict.get("parent", exc.messages)}) from exc
    new_path = new_parent.path + path_segment(unit.pk)
    depth_delta = new_parent.depth + 1 - unit.depth
    OrgUnit.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + depth_delta,
        district_id=new_parent.district_id,
    )
    if new_parent.district_id != unit.district_id:
        _carry_district_key(new_path, new_parent.district_id)
    unit.path = new_path
    unit.depth = new_parent.depth + 1
    unit.district_id = new_parent.district_id
    unit.version += 1
    _save(unit, by)
    return unit


def _carry_district_key(path: str, district_id: int) -> None:
    """Every org-bound row below `path` takes the new district key: each model that declares
    `scope_path` and has a `district` field, whichever app it belongs to, in one UPDATE each."""
    for model in apps.get_models():
        lookup = getattr(model, "scope_path", None)
        if not lookup or model is OrgUnit:
            continue
        try:
            model._meta.get_field("district")
        except FieldDoesNotExist:
            continue
        model._base_manager.filter(**{f"{lookup}__startswith": path}).update(district_id=district_id)


@transaction.atomic
def org_unit_close(
    *,
    unit: OrgUnit,
    status: str,
    closed_on: datetime.date,
    by: User | None,
    reason: str = "",
    merged_into: OrgUnit | None = None,
    expected_version: int | None = None,
) -> OrgUnit:
    """Dissolve a unit or merge it into another. Units with active units below them stay open."""
    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
    _check_version(unit, expected_version)
    if not unit.is_active:
        raise ValidationError("该组织已撤销或合并。")
    if status not in (OrgStatus.MERGED, OrgStatus.DISSOLVED):
        raise ValidationError({"status": "请选择撤销或合并。"})
    if OrgUnit.objects.descendants(unit).active().exists():
        raise ValidationError("该组织下还有正常状态的下级组织，请先将其撤销、合并或移走。")
    if status == OrgStatus.MERGED:
        if merged_into is None:
            raise ValidationError({"merged_into": "合并时必须选择并入的组织。"})
        if merged_into.pk == unit.pk or merged_into.kind != unit.kind or not merged_into.is_active:
            raise ValidationError({"merged_into": "只能并入另一个同类型、状态正常的组织。"})
    else:
        merged_into = None
    unit.status = status
    unit.closed_on = closed_on
    unit.close_reason = reason
    unit.merged_into = merged_into
    unit.version += 1
    _save(unit, by)
    # A closed organization's committee steps down on the day it closes.
    for committee in BranchCommittee.objects.select_for_update().filter(org_unit=unit, ended_on__isnull=True):
        committee.ended_on = max(closed_on, committee.term_start)
        committee.version += 1
        _save(committee, by)
        _end_serving_seats(
            committee, committee.ended_on, "组织撤销" if status == OrgStatus.DISSOLVED else "组织合并", by
        )
    return unit


def _end_serving_seats(committee: BranchCommittee, day: datetime.date, reason: str, by: User | None) -> None:
    for seat in committee.seats.select_for_update().filter(left_on__isnull=True):
        seat.left_on = max(day, seat.started_on)
        seat.left_reason = reason
        _save(seat, by)


@transaction.atomic
def committee_create(
    *,
    org_unit: OrgUnit,
    term_start: datetime.date,
    by: User | None,
    term_end: datetime.date | None = None,
    term_number: int | None = None,
    notes: str = "",
) -> BranchCommittee:
    """Record a newly elected committee (换届). The previous term ends when the new one starts."""
    org_unit = OrgUnit.objects.select_for_update().get(pk=org_unit.pk)
    if not org_unit.is_active:
        raise ValidationError({"org_unit": "该组织已撤销或合并，不能再选举委员会。"})
    previous = org_unit.committees.select_for_update().order_by("-term_number").first()
    if term_number is None:
        term_number = previous.term_number + 1 if previous else 1
    if previous and term_start <= previous.term_start:
        raise ValidationError(
            {"term_start": f"新一届的任期开始日期必须晚于上一届（{previous.term_start:%Y年%m月%d日}）。"}
        )
    if BranchCommittee.objects.filter(org_unit=org_unit, term_number=term_number).exists():
        raise ValidationError({"term_number": f"第{term_number}届委员会已经登记过。"})
    committee = BranchCommittee(
        org_unit=org_unit,
        term_number=term_number,
        term_start=term_start,
        term_end=term_end or BranchCommittee.default_term_end(org_unit.kind, term_start),
        notes=notes,
    )
    _save(committee, by)
    if previous and previous.ended_on is None:
        previous.ended_on = term_start
        previous.version += 1
        _save(previous, by)
        _end_serving_seats(previous, term_start, "换届", by)
    return committee


@transaction.atomic
def committee_update(
    *,
    committee: BranchCommittee,
    by: User | None,
    expected_version: int | None = None,
    **fields: Any,
) -> BranchCommittee:
    allowed = {"term_start", "term_end", "notes"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"committee_update cannot change {sorted(unknown)}")
    committee = BranchCommittee.objects.select_for_update().select_related("org_unit").get(pk=committee.pk)
    _check_version(committee, expected_version)
    _require_active(committee.org_unit)
    start = fields.get("term_start", committee.term_start)
    if start != committee.term_start:
        if committee.seats.filter(started_on__lt=start).exists():
            raise ValidationError({"term_start": "已有委员的任职日期早于新的任期开始日期，请先核对委员任职日期。"})
        earlier = BranchCommittee.objects.filter(org_unit=committee.org_unit, term_number__lt=committee.term_number)
        if earlier.filter(term_start__gte=start).exists():
            raise ValidationError({"term_start": "任期开始日期必须晚于上一届的任期开始日期。"})
    for field, value in fields.items():
        setattr(committee, field, value)
    committee.version += 1
    _save(committee, by)
    return committee


@transaction.atomic
def seat_add(
    *,
    committee: BranchCommittee,
    person_name: str,
    position: str,
    by: User | None,
    started_on: datetime.date | None = None,
    user: User | None = None,
) -> CommitteeSeat:
    committee = BranchCommittee.objects.select_for_update().select_related("org_unit").get(pk=committee.pk)
    _require_active(committee.org_unit)
    if committee.ended_on is not None:
        raise ValidationError("该届委员会已换届，不能再增补委员。")
    seat = CommitteeSeat(
        committee=committee,
        person_name=person_name.strip(),
        position=position,
        started_on=started_on or max(committee.term_start, timezone.localdate()),
        user=user,
    )
    _save(seat, by)
    return seat


@transaction.atomic
def seat_end(*, seat: CommitteeSeat, left_on: datetime.date, reason: str, by: User | None) -> CommitteeSeat:
    seat = CommitteeSeat.objects.select_for_update().select_related("committee__org_unit").get(pk=seat.pk)
    _require_active(seat.committee.org_unit)
    if seat.left_on is not None:
        raise ValidationError("该委员已经离任。")
    seat.left_on = left_on
    seat.left_reason = reason.strip()
    _save(seat, by)
    return seat


@transaction.atomic
def grant_create(*, user: User, role: str, org_unit: OrgUnit, by: User | None) -> Grant:
    if by is not None and not by.is_superuser and not scope.contains(by, org_unit):
        raise PermissionDenied("只能在自己的权限范围内授权。")
    grant = Grant.objects.filter(user=user, role=role, org_unit=org_unit).first()
    if grant is None:
        grant = Grant(user=user, role=role, org_unit=org_unit, granted_by=by)
    grant.is_active = True
    _save(grant, by)
    return grant


@transaction.atomic
def grant_revoke(*, grant: Grant, by: User | None) -> Grant:
    grant = Grant.objects.select_for_update().get(pk=grant.pk)
    grant.is_active = False
    _save(grant, by)
    return grant
