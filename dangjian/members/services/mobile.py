"""Writes of mobile members (流动党员): registering an outflow (a member of a branch living
away) or an inflow (a member from elsewhere taking part here), ending a mobility, and logging
each contact. A contact that reached the member settles a lost-contact case."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from dangjian.core.crypto import blind_index
from dangjian.core.models import OrgUnit, User
from dangjian.core.services import STALE_MESSAGE

from ..choices import ContactResult, MemberStatus, MobileDirection, MobileStatus
from ..models import ContactLog, Member, MobileMember, add_months
from .registry import member_create, member_update

# Fields computed in save() (the district key) or by the service (the last contact).
COMPUTED = ["district", "last_contact_on"]

# What a person fills in about the mobility itself.
MOBILITY_FIELDS = (
    "place",
    "counterpart",
    "reason",
    "reason_note",
    "since",
    "contact_phone",
    "contact_other",
    "card_number",
)

# The member fields an inflow registration carries.
INFLOW_MEMBER_FIELDS = (
    "name",
    "gender",
    "ethnicity",
    "id_number",
    "join_date",
    "full_member_date",
    "membership_type",
    "group",
)


def day_label(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _errors(instance: Any, exclude: list[str]) -> dict[str, list[str]]:
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as error:
        return {field: list(messages) for field, messages in error.message_dict.items()}
    return {}


def _clean_values(values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(MOBILITY_FIELDS)
    if unknown:
        raise ValueError(f"cannot set {sorted(unknown)} on a mobile member")
    return {key: (value.strip() if isinstance(value, str) else value) for key, value in values.items()}


def _save_new(mobile: MobileMember, by: User | None) -> MobileMember:
    mobile._history_user = by
    try:
        with transaction.atomic():
            mobile.save()
    except IntegrityError as exc:  # the one-open-mobility constraint, when two register at once
        raise ValidationError(
            {"member": [f"{mobile.member.name}刚刚已被他人登记为流动党员，请刷新后查看。"]}, code="conflict"
        ) from exc
    return mobile


def _open_mobility(member: Member) -> MobileMember | None:
    return MobileMember.objects.filter(member=member, status=MobileStatus.AWAY).first()


@transaction.atomic
def mobile_register_outflow(*, member: Member, by: User | None, **values: Any) -> MobileMember:
    """A member of the branch lives away for a while (流出): where, why, since when, and how to
    reach them. The member stays on the branch's roll."""
    values = _clean_values(values)
    member = Member.objects.select_for_update(of=("self",)).get(pk=member.pk)
    if member.status != MemberStatus.ACTIVE:
        raise ValidationError(
            {"member": [f"{member.name}当前为“{member.get_status_display()}”，只有在册党员可以登记流出。"]}
        )
    current = _open_mobility(member)
    if current is not None:
        raise ValidationError(
            {
                "member": [
                    f"{member.name}已登记为{current.get_direction_display()}党员（{current.place}），请先结束该登记。"
                ]
            }
        )
    mobile = MobileMember(direction=MobileDirection.OUTFLOW, status=MobileStatus.AWAY, member=member, **values)
    errors = _errors(mobile, COMPUTED)
    if errors:
        raise ValidationError(errors)
    return _save_new(mobile, by)


@transaction.atomic
def mobile_register_inflow(
    *,
    branch: OrgUnit,
    by: User | None,
    member_fields: Mapping[str, Any],
    **values: Any,
) -> MobileMember:
    """A member whose relationship stays elsewhere (`counterpart`) takes part in the life of a
    branch here (流入): registered as a member of the host branch with status `inflow`. A
    record of the same ID number that left the roll comes back as the inflow member; a member on
    the roll is refused."""
    values = _clean_values(values)
    fields = dict(member_fields)
    unknown = set(fields) - set(INFLOW_MEMBER_FIELDS)
    if unknown:
        raise ValueError(f"mobile_register_inflow cannot set member fields {sorted(unknown)}")
    phone = values.get("contact_phone", "")
    # Check the mobility first, so that every refusal is said at once and nothing is written.
    probe = MobileMember(direction=MobileDirection.INFLOW, status=MobileStatus.AWAY, **values)
    errors = _errors(probe, [*COMPUTED, "member"])
    number = (fields.get("id_number") or "").strip().upper()
    fields["id_number"] = number
    existing = (
        Member.objects.select_for_update(of=("self",))
        .select_related("branch")
        .filter(id_number_index=blind_index(number))
        .first()
        if number
        else None
    )
    member = None
    if existing is not None and existing.status != MemberStatus.TRANSFERRED_OUT:
        errors.setdefault("id_number", []).append(
            f"该公民身份号码已是本区党员（{existing.branch.name}，{existing.get_status_display()}），"
            "不能登记为流入党员；本区党员在区内流动请办理区内转接。"
        )
    else:
        try:
            with transaction.atomic():
                if existing is None:
                    member = member_create(by=by, branch=branch, status=MemberStatus.INFLOW, phone=phone, **fields)
                else:
                    member = member_update(
                        member=existing, by=by, branch=branch, status=MemberStatus.INFLOW, phone=phone, **fields
                    )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                target = "contact_phone" if field == "phone" else field
                known = errors.setdefault(target, [])
                known.extend(message for message in messages if message not in known)
    if errors:
        raise ValidationError(errors)
    mobile = MobileMember(direction=MobileDirection.INFLOW, status=MobileStatus.AWAY, member=member, **values)
    return _save_new(mobile, by)


def _locked(mobile: MobileMember, expected_version: int | None) -> MobileMember:
    locked = MobileMember.objects.select_for_update(of=("self",)).select_related("member").get(pk=mobile.pk)
    if expected_version is not None and locked.version != expected_version:
        raise ValidationError(STALE_MESSAGE, code="stale")
    return locked


def _resolve(mobile: MobileMember, by: User | None, note: str, outcome: str | None = None) -> None:
    from dangjian.oversight.services import resolve_linked_cases

    if outcome is None:
        resolve_linked_cases(mobile=mobile, by=by, note=note)
    else:
        resolve_linked_cases(mobile=mobile, by=by, note=note, outcome=outcome)


@transaction.atomic
def mobile_end(
    *, mobile: MobileMember, ended_on: datetime.date, by: User | None, expected_version: int | None = None
) -> MobileMember:
    """End a mobility: the outflow member came back (or settled), the inflow member left. An
    inflow member's record leaves the host branch's roll (status transferred out)."""
    mobile = _locked(mobile, expected_version)
    if mobile.status != MobileStatus.AWAY:
        raise ValidationError(f"该流动登记已于{day_label(mobile.ended_on)}结束。", code="state")
    if ended_on is None:
        raise ValidationError({"ended_on": ["请填写结束日期。"]})
    if ended_on > timezone.localdate():
        raise ValidationError({"ended_on": ["结束日期不能晚于今天。"]})
    mobile.status = MobileStatus.ENDED
    mobile.ended_on = ended_on
    mobile.version += 1
    mobile._history_user = by
    mobile.full_clean(exclude=COMPUTED)
    mobile.save()
    if mobile.direction == MobileDirection.INFLOW and mobile.member.status == MemberStatus.INFLOW:
        member_update(member=mobile.member, by=by, status=MemberStatus.TRANSFERRED_OUT)
    _resolve(mobile, by, f"流动登记已于{day_label(ended_on)}结束。")
    return mobile


def contact_settles_case(contacted_on: datetime.date, today: datetime.date | None = None) -> bool:
    """A reached contact settles a lost-contact case only if it falls inside the window the
    scan looks at: an old contact entered late does not make the member reachable now."""
    today = today or timezone.localdate()
    return contacted_on > add_months(today, -settings.DANGJIAN_LOST_CONTACT_MONTHS)


@transaction.atomic
def contact_add(
    *,
    mobile: MobileMember,
    contacted_on: datetime.date,
    channel: str,
    result: str,
    by: User | None,
    notes: str = "",
) -> ContactLog:
    """Log an attempt to reach a mobile member. A contact that reached them moves the last
    contact date forward (never back) and closes an open lost-contact case."""
    mobile = _locked(mobile, None)
    if mobile.status != MobileStatus.AWAY:
        raise ValidationError(f"该流动登记已于{day_label(mobile.ended_on)}结束，不能再登记联系记录。", code="state")
    log = ContactLog(
        mobile=mobile, contacted_on=contacted_on, channel=channel, result=result, notes=(notes or "").strip(), by=by
    )
    errors = _errors(log, ["district", "by"])
    if errors:
        raise ValidationError(errors)
    log._history_user = by
    log.save()
    if result == ContactResult.REACHED:
        if mobile.last_contact_on is None or contacted_on > mobile.last_contact_on:
            mobile.last_contact_on = contacted_on
            mobile.version += 1
            mobile._history_user = by
            mobile.save(update_fields=["last_contact_on", "version", "updated_at"])
        if contact_settles_case(contacted_on):
            _resolve(
                mobile,
                by,
                f"{day_label(contacted_on)}通过{log.get_channel_display()}联系上本人。{log.notes}".strip(),
                outcome="contacted",
            )
    return log


# Each action on a mobile member by name: the one dispatch the pages and the API share.
ACTION_SERVICES: dict[str, Callable[[MobileMember, Mapping[str, Any], User | None], Any]] = {
    "end": lambda m, data, by: mobile_end(
        mobile=m, ended_on=data["ended_on"], by=by, expected_version=data.get("version")
    ),
    "contact": lambda m, data, by: contact_add(
        mobile=m,
        contacted_on=data["contacted_on"],
        channel=data["channel"],
        result=data["result"],
        notes=data.get("notes", ""),
        by=by,
    ),
}
