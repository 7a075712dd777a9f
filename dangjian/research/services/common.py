"""What the research services share: locking a row against lost updates, saving with history,
and who may be named as a record's cadre."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction

from dangjian.core.choices import Role
from dangjian.core.models import Grant, OrgUnit, User
from dangjian.core.services import STALE_MESSAGE

M = TypeVar("M", bound=models.Model)

# Roles whose holders work a community's research: its own staff, and organizers above it.
CADRE_ROLES = (Role.COMMUNITY_SECRETARY, Role.COMMUNITY_CADRE)
STAFF_ROLES = (Role.DISTRICT_ORGANIZER, Role.SUBDISTRICT_ORGANIZER, *CADRE_ROLES)


def locked(instance: M, expected_version: int | None, statuses: Iterable[str] | None, action: str) -> M:
    """The row, locked for this transaction; refused if someone changed it since it was read, or
    if its status does not allow `action`."""
    model = type(instance)
    row = model.objects.select_for_update(of=("self",)).get(pk=instance.pk)
    if expected_version is not None and getattr(row, "version", None) != expected_version:
        raise ValidationError(STALE_MESSAGE, code="stale")
    if statuses is not None and row.status not in statuses:
        raise ValidationError(f"当前状态为“{row.get_status_display()}”，不能{action}。", code="status")
    return row


def save(instance: M, by: User | None, *, bump: bool = False, exclude: Iterable[str] = ()) -> M:
    """Validate and save with history; `bump` adds one to the version (a change of an existing row)."""
    if bump:
        instance.version += 1
    instance._history_user = by  # type: ignore[attr-defined]
    instance.full_clean(exclude=list(exclude))
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise ValidationError("保存失败：数据刚刚被他人修改，请刷新后重试。", code="conflict") from exc
    return instance


def works_for(user: User | None, community: OrgUnit) -> bool:
    """Whether `user` holds an active staff grant on the community or on a unit above it."""
    if user is None:
        return False
    grants = Grant.objects.filter(user=user, is_active=True, role__in=STAFF_ROLES, org_unit__status="active")
    return any(community.path.startswith(path) for path in grants.values_list("org_unit__path", flat=True))


def require_cadre(user: User | None, community: OrgUnit, field: str, label: str) -> None:
    if user is not None and not works_for(user, community):
        raise ValidationError({field: f"{user.display_name}不是{community.name}的工作人员，不能担任{label}。"})


def clean_text(value: Any) -> str:
    return (value or "").strip()
