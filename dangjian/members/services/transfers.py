"""Writes of relationship transfers (组织关系转接) and their introduction letters (介绍信): one
function per action, in a transaction, with history.

An outgoing letter (out of the district, or within it) is issued with the next number of its
district and year, and then reported at the destination, returned, cancelled, or it expires (the
blind-spot scan marks it and opens a pocket-member case). An expired letter may be re-issued
under a new number; when that letter is reported, the old letter's case closes too. An incoming
letter is received, and the person is then registered in the receiving branch.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from dangjian.core.choices import OrgKind, OrgStatus
from dangjian.core.crypto import blind_index
from dangjian.core.models import OrgUnit, User
from dangjian.core.services import STALE_MESSAGE

from ..choices import MemberStatus, MobileStatus, TransferDirection, TransferStatus, UnmaskField
from ..models import LetterSequence, Member, MemberCategory, MobileMember, Transfer, check_id_number
from .registry import member_create, member_unmask, member_update

# Fields computed in save() (or set by the service after validation).
COMPUTED = ["id_number_index", "district", "created_by", "expires_on"]

# The member fields the registration form carries (name, gender, the ID number and the branch
# come from the letter).
REGISTER_FIELDS = (
    "ethnicity",
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
    "group",
)

# Member statuses from which an incoming letter brings the same record back onto the roll.
RETURNING_STATUSES = (MemberStatus.TRANSFERRED_OUT, MemberStatus.INFLOW)


def day_label(day: datetime.date) -> str:
    """2026年11月25日, as dates are written on screen."""
    return f"{day.year}年{day.month}月{day.day}日"


def letter_number_label(year: int, seq: int) -> str:
    """（2026）第0007号: the letter's number as it is printed."""
    return f"（{year}）第{seq:04d}号"


def _next_letter_seq(*, district: OrgUnit, year: int) -> int:
    """The next number of the district's letters in `year`. The sequence row is locked for the
    rest of the transaction, so a second cadre issuing at the same moment waits and takes the
    number after; a number is spent only if the letter is saved (a refusal rolls it back)."""
    LetterSequence.objects.get_or_create(district=district, year=year)
    sequence = LetterSequence.objects.select_for_update().get(district=district, year=year)
    # A sequence row restored from an older backup must not hand out a number already printed.
    highest = Transfer.objects.filter(district=district, letter_year=year).aggregate(top=Max("letter_seq"))["top"] or 0
    sequence.last_number = max(sequence.last_number, highest) + 1
    sequence.save(update_fields=["last_number"])
    return sequence.last_number


def _locked(
    transfer: Transfer, expected_version: int | None, allowed: Iterable[str], action: str, directions: Iterable[str]
) -> Transfer:
    """The transfer, locked for this transaction; refused if someone changed it since it was
    read, or if `action` does not apply to its direction and state."""
    locked = (
        Transfer.objects.select_for_update(of=("self",))
        .select_related("branch", "to_branch", "member")
        .get(pk=transfer.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise ValidationError(STALE_MESSAGE, code="stale")
    if locked.direction not in directions:
        raise ValidationError(f"{locked.get_direction_display()}的介绍信不能{action}。", code="direction")
    if locked.status not in allowed:
        raise ValidationError(f"该介绍信当前为“{locked.get_status_display()}”，不能{action}。", code="state")
    return locked


def _save(transfer: Transfer, by: User | None) -> Transfer:
    transfer._history_user = by
    transfer.full_clean(exclude=COMPUTED)
    transfer.save()
    return transfer


def _step(transfer: Transfer, by: User | None) -> Transfer:
    transfer.version += 1
    return _save(transfer, by)


def _clean_errors(instance: Any, exclude: list[str]) -> dict[str, list[str]]:
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as error:
        return {field: list(messages) for field, messages in error.message_dict.items()}
    return {}


def _member_errors(error: ValidationError, prefix: str) -> ValidationError:
    """A refusal of the member registry, said as the step that caused it."""
    if hasattr(error, "error_dict"):
        return ValidationError(
            {field: [f"{prefix}{message}" for message in messages] for field, messages in error.message_dict.items()}
        )
    return ValidationError([f"{prefix}{message}" for message in error.messages])


def _open_letter(member: Member) -> Transfer | None:
    return (
        Transfer.objects.filter(
            member=member,
            direction__in=(TransferDirection.OUT, TransferDirection.WITHIN),
            status=TransferStatus.ISSUED,
        )
        .order_by("-issued_on", "-pk")
        .first()
    )


def _issuable_member(member: Member) -> Member:
    """The member, locked: two cadres issuing letters for one member at once get one letter."""
    locked = Member.objects.select_for_update(of=("self",)).select_related("branch").get(pk=member.pk)
    if locked.status != MemberStatus.ACTIVE:
        raise ValidationError(
            {"member": [f"{locked.name}当前为“{locked.get_status_display()}”，只有在册党员可以开具介绍信。"]}
        )
    current = _open_letter(locked)
    if current is not None:
        raise ValidationError(
            {
                "member": [
                    f"{locked.name}已有一封未办结的介绍信{current.letter_number}"
                    f"（{day_label(current.issued_on)}开具），请先办结、退回或作废。"
                ]
            }
        )
    return locked


def _issue(transfer: Transfer, by: User | None, extra_errors: Mapping[str, list[str]] | None = None) -> Transfer:
    """Validate the letter; only then take its number (a refused letter spends none)."""
    errors = dict(extra_errors or {})
    for field, messages in _clean_errors(transfer, [*COMPUTED, "letter_number", "letter_year", "letter_seq"]).items():
        errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    year = transfer.issued_on.year
    seq = _next_letter_seq(district=transfer.branch.district, year=year)
    transfer.letter_year, transfer.letter_seq = year, seq
    transfer.letter_number = letter_number_label(year, seq)
    transfer.created_by = by
    transfer._history_user = by
    try:
        with transaction.atomic():
            transfer.save()
    except IntegrityError as exc:  # the unique number constraint: never two letters with one number
        raise ValidationError("介绍信编号冲突，请重新提交。", code="conflict") from exc
    return transfer


def _valid_days(valid_days: int | None) -> int:
    return settings.DANGJIAN_LETTER_VALID_DAYS if valid_days is None else valid_days


@transaction.atomic
def transfer_issue_out(
    *,
    member: Member,
    counterpart: str,
    issued_on: datetime.date,
    by: User | None,
    reason: str = "",
    valid_days: int | None = None,
    dues_paid_until: datetime.date | None = None,
) -> Transfer:
    """Issue a letter moving a member's relationship out of the district (转出). The member
    stays on the roll until the letter is reported at the destination."""
    member = _issuable_member(member)
    transfer = Transfer(
        direction=TransferDirection.OUT,
        status=TransferStatus.ISSUED,
        member=member,
        name=member.name,
        gender=member.gender,
        id_number=member.id_number,
        membership_type=member.membership_type,
        phone=member.phone,
        branch=member.branch,
        counterpart=(counterpart or "").strip(),
        reason=(reason or "").strip(),
        issued_on=issued_on,
        valid_days=_valid_days(valid_days),
        dues_paid_until=dues_paid_until,
    )
    return _issue(transfer, by)


@transaction.atomic
def transfer_issue_within(
    *,
    member: Member,
    to_branch: OrgUnit | None,
    issued_on: datetime.date,
    by: User | None,
    reason: str = "",
    valid_days: int | None = None,
    dues_paid_until: datetime.date | None = None,
) -> Transfer:
    """Issue a letter moving a member to another branch of the district (区内转接). Reporting it
    moves the member; the receiving branch may be outside the issuer's scope."""
    member = _issuable_member(member)
    errors: dict[str, list[str]] = {}
    if to_branch is not None and to_branch.kind == OrgKind.BRANCH and to_branch.pk != member.branch_id:
        if to_branch.district_id != member.district_id:
            errors["to_branch"] = ["区内转接只能转往本区的党支部。"]
        elif to_branch.status != OrgStatus.ACTIVE:
            errors["to_branch"] = [f"{to_branch.name}已撤销或合并，不能再转入。"]
    transfer = Transfer(
        direction=TransferDirection.WITHIN,
        status=TransferStatus.ISSUED,
        member=member,
        name=member.name,
        gender=member.gender,
        id_number=member.id_number,
        membership_type=member.membership_type,
        phone=member.phone,
        branch=member.branch,
        to_branch=to_branch,
        reason=(reason or "").strip(),
        issued_on=issued_on,
        valid_days=_valid_days(valid_days),
        dues_paid_until=dues_paid_until,
    )
    return _issue(transfer, by, errors)


@transaction.atomic
def transfer_receive_in(
    *,
    by: User | None,
    name: str,
    gender: str,
    id_number: str,
    branch: OrgUnit,
    counterpart: str,
    issued_on: datetime.date,
    membership_type: str,
    phone: str = "",
    reason: str = "",
    letter_number: str = "",
    dues_paid_until: datetime.date | None = None,
) -> Transfer:
    """Record a letter received from an organization outside the district (转入): the person
    is registered in `branch` afterwards (`transfer_register`)."""
    number = (id_number or "").strip().upper()
    transfer = Transfer(
        direction=TransferDirection.IN,
        status=TransferStatus.RECEIVED,
        name=(name or "").strip(),
        gender=gender,
        id_number=number,
        membership_type=membership_type,
        phone=(phone or "").strip(),
        branch=branch,
        counterpart=(counterpart or "").strip(),
        reason=(reason or "").strip(),
        letter_number=(letter_number or "").strip(),
        issued_on=issued_on,
        dues_paid_until=dues_paid_until,
    )
    errors = _clean_errors(transfer, COMPUTED)
    if number and "id_number" not in errors:
        try:
            check_id_number(number)
        except ValidationError as error:
            errors["id_number"] = list(error.messages)
        else:
            waiting = Transfer.objects.filter(
                direction=TransferDirection.IN, status=TransferStatus.RECEIVED, id_number_index=blind_index(number)
            ).first()
            if waiting is not None:
                errors["id_number"] = [
                    f"该公民身份号码已有一封待编入支部的转入介绍信（{day_label(waiting.issued_on)}收到），请勿重复登记。"
                ]
    phone_value = transfer.phone
    if phone_value and not (phone_value.isdigit() and len(phone_value) == 11 and phone_value.startswith("1")):
        errors.setdefault("phone", []).append("手机号码应为 1 开头的 11 位数字。")
    if errors:
        raise ValidationError(errors)
    transfer.created_by = by
    transfer._history_user = by
    transfer.save()
    return transfer


def _resolve(transfer: Transfer, by: User | None, note: str) -> None:
    from dangjian.oversight.services import resolve_linked_cases

    resolve_linked_cases(transfer=transfer, by=by, note=note)


def _end_open_mobility(member: Member, ended_on: datetime.date, by: User | None) -> None:
    for mobile in MobileMember.objects.select_for_update().filter(member=member, status=MobileStatus.AWAY):
        mobile.status = MobileStatus.ENDED
        mobile.ended_on = max(ended_on, mobile.since)
        mobile.version += 1
        mobile._history_user = by
        mobile.save()


@transaction.atomic
def transfer_report(
    *,
    transfer: Transfer,
    reported_on: datetime.date,
    by: User | None,
    note: str = "",
    expected_version: int | None = None,
) -> Transfer:
    """The member reported at the destination (the return receipt came back, or the receiving
    branch confirms): a member transferred out leaves the roll, a member moving within the
    district joins the new branch. A letter the scan already marked expired may still be
    reported if the member reported before it expired (recorded late)."""
    transfer = _locked(
        transfer,
        expected_version,
        (TransferStatus.ISSUED, TransferStatus.EXPIRED),
        "登记报到",
        (TransferDirection.OUT, TransferDirection.WITHIN),
    )
    today = timezone.localdate()
    if reported_on is None:
        raise ValidationError({"reported_on": ["请填写报到日期。"]})
    if reported_on > today:
        raise ValidationError({"reported_on": ["报到日期不能晚于今天。"]})
    if reported_on < transfer.issued_on:
        raise ValidationError({"reported_on": [f"报到日期不能早于开具日期（{day_label(transfer.issued_on)}）。"]})
    if transfer.expires_on and reported_on > transfer.expires_on:
        raise ValidationError(
            {"reported_on": [f"介绍信已于{day_label(transfer.expires_on)}过期，报到日期晚于有效期，请重新开具介绍信。"]}
        )
    member = transfer.member
    if member.status != MemberStatus.ACTIVE:
        raise ValidationError({"reported_on": [f"{member.name}当前为“{member.get_status_display()}”，不能登记报到。"]})
    try:
        if transfer.direction == TransferDirection.OUT:
            member_update(member=member, by=by, status=MemberStatus.TRANSFERRED_OUT)
            _end_open_mobility(member, reported_on, by)
        else:
            member_update(member=member, by=by, branch=transfer.to_branch, group=None)
    except ValidationError as error:
        raise _member_errors(error, "党员档案未能更新：") from error
    transfer.status = TransferStatus.REPORTED
    transfer.reported_on = reported_on
    transfer.closed_note = (note or "").strip()
    _step(transfer, by)
    where = transfer.to_branch.name if transfer.to_branch_id else transfer.counterpart
    _resolve(transfer, by, f"介绍信{transfer.letter_number}已于{day_label(reported_on)}在{where}报到。")
    # Letters of the same member that expired before this one was issued: their pocket-member
    # cases are settled by this report.
    earlier = Transfer.objects.filter(
        member=member, direction=transfer.direction, status=TransferStatus.EXPIRED, issued_on__lte=transfer.issued_on
    ).exclude(pk=transfer.pk)
    for old in earlier:
        _resolve(old, by, f"已重新开具介绍信{transfer.letter_number}，并于{day_label(reported_on)}报到。")
    return transfer


@transaction.atomic
def transfer_return(*, transfer: Transfer, note: str, by: User | None, expected_version: int | None = None) -> Transfer:
    """The letter came back unused (退回): the member stays where they are."""
    transfer = _locked(
        transfer,
        expected_version,
        (TransferStatus.ISSUED, TransferStatus.EXPIRED, TransferStatus.RECEIVED),
        "退回",
        TransferDirection.values,
    )
    if transfer.direction == TransferDirection.IN and transfer.status != TransferStatus.RECEIVED:
        raise ValidationError(f"该介绍信当前为“{transfer.get_status_display()}”，不能退回。", code="state")
    if not (note or "").strip():
        raise ValidationError({"note": ["请填写退回原因。"]})
    transfer.status = TransferStatus.RETURNED
    transfer.closed_note = note.strip()
    _step(transfer, by)
    _resolve(transfer, by, f"介绍信{transfer.letter_number or ''}已退回：{transfer.closed_note}")
    return transfer


@transaction.atomic
def transfer_cancel(*, transfer: Transfer, note: str, by: User | None, expected_version: int | None = None) -> Transfer:
    """Cancel a letter issued or recorded by mistake (作废); its number is not reused."""
    transfer = _locked(
        transfer,
        expected_version,
        (TransferStatus.ISSUED, TransferStatus.RECEIVED),
        "作废",
        TransferDirection.values,
    )
    if not (note or "").strip():
        raise ValidationError({"note": ["请填写作废原因。"]})
    transfer.status = TransferStatus.CANCELLED
    transfer.closed_note = note.strip()
    return _step(transfer, by)


def is_expired(transfer: Transfer, today: datetime.date | None = None) -> bool:
    """Expired: marked so by the scan, or issued and past its last valid day."""
    today = today or timezone.localdate()
    if transfer.status == TransferStatus.EXPIRED:
        return True
    return transfer.status == TransferStatus.ISSUED and transfer.expires_on is not None and transfer.expires_on < today


@transaction.atomic
def transfer_reissue(
    *,
    transfer: Transfer,
    issued_on: datetime.date,
    by: User | None,
    counterpart: str | None = None,
    to_branch: OrgUnit | None = None,
    valid_days: int | None = None,
    dues_paid_until: datetime.date | None = None,
    expected_version: int | None = None,
) -> Transfer:
    """Issue a new letter (a new number) for a letter that expired unreported. The old letter
    keeps its row as expired; its pocket-member case closes when the new letter is reported."""
    old = _locked(
        transfer,
        expected_version,
        (TransferStatus.ISSUED, TransferStatus.EXPIRED),
        "重新开具",
        (TransferDirection.OUT, TransferDirection.WITHIN),
    )
    if not is_expired(old):
        raise ValidationError("该介绍信尚在有效期内，不需要重新开具。", code="state")
    if old.status == TransferStatus.ISSUED:
        # Past its last day, the letter is expired whether or not the scan has marked it yet.
        old.status = TransferStatus.EXPIRED
        _step(old, by)
    common = {
        "member": old.member,
        "issued_on": issued_on,
        "by": by,
        "reason": old.reason,
        "valid_days": valid_days,
        "dues_paid_until": dues_paid_until if dues_paid_until is not None else old.dues_paid_until,
    }
    if old.direction == TransferDirection.OUT:
        new = transfer_issue_out(counterpart=old.counterpart if counterpart is None else counterpart, **common)
    else:
        new = transfer_issue_within(to_branch=to_branch or old.to_branch, **common)
    old.closed_note = f"已重新开具介绍信{new.letter_number}"
    _save(old, by)
    return new


@transaction.atomic
def transfer_register(
    *,
    transfer: Transfer,
    by: User | None,
    registered_on: datetime.date,
    categories: Iterable[MemberCategory] = (),
    expected_version: int | None = None,
    **fields: Any,
) -> Transfer:
    """Register the person of an incoming letter in the receiving branch (编入支部). A record of
    the same ID number that left the roll (transferred out, or here as an inflow member) comes
    back onto it; a member already on the roll is refused."""
    unknown = set(fields) - set(REGISTER_FIELDS)
    if unknown:
        raise ValueError(f"transfer_register cannot set {sorted(unknown)}")
    transfer = _locked(transfer, expected_version, (TransferStatus.RECEIVED,), "编入支部", (TransferDirection.IN,))
    today = timezone.localdate()
    if registered_on is None:
        raise ValidationError({"registered_on": ["请填写编入日期。"]})
    if registered_on > today:
        raise ValidationError({"registered_on": ["编入日期不能晚于今天。"]})
    if registered_on < transfer.issued_on:
        received = day_label(transfer.issued_on)
        raise ValidationError({"registered_on": [f"编入日期不能早于收到介绍信的日期（{received}）。"]})
    values = dict(fields)
    if not (values.get("phone") or "").strip():
        values["phone"] = transfer.phone
    values.setdefault("membership_type", transfer.membership_type)
    existing = (
        Member.objects.select_for_update(of=("self",))
        .select_related("branch")
        .filter(id_number_index=blind_index(transfer.id_number))
        .first()
    )
    prefix = "编入支部未成功："
    try:
        if existing is None:
            member = member_create(
                by=by,
                categories=categories,
                name=transfer.name,
                gender=transfer.gender,
                id_number=transfer.id_number,
                branch=transfer.branch,
                status=MemberStatus.ACTIVE,
                **values,
            )
        elif existing.status in RETURNING_STATUSES:
            member = member_update(
                member=existing,
                by=by,
                categories=categories,
                name=transfer.name,
                gender=transfer.gender or existing.gender,
                branch=transfer.branch,
                status=MemberStatus.ACTIVE,
                **values,
            )
            _end_open_mobility(member, registered_on, by)
        else:
            raise ValidationError(
                {
                    "id_number": [
                        f"该公民身份号码已是本区党员（{existing.branch.name}，{existing.get_status_display()}），"
                        "不能重复编入。"
                    ]
                }
            )
    except ValidationError as error:
        raise _member_errors(error, prefix) from error
    transfer.member = member
    transfer.status = TransferStatus.REGISTERED
    transfer.reported_on = registered_on
    return _step(transfer, by)


def letter_id_number(*, transfer: Transfer, by: User, full: bool, ip_address: str | None = None) -> str:
    """The ID number the printed letter carries: in full for a user who may see it (each print
    logged as a showing of the member's ID number), masked otherwise."""
    if not full or transfer.member is None:
        return transfer.id_number_masked
    member_unmask(member=transfer.member, field=UnmaskField.ID_NUMBER, by=by, ip_address=ip_address)
    return transfer.id_number


# Each action on a letter by name, with the form's or the serializer's data: the one dispatch
# the pages and the API share.
ACTION_SERVICES: dict[str, Callable[[Transfer, Mapping[str, Any], User | None], Transfer]] = {
    "report": lambda t, data, by: transfer_report(
        transfer=t,
        reported_on=data["reported_on"],
        note=data.get("note", ""),
        by=by,
        expected_version=data.get("version"),
    ),
    "return": lambda t, data, by: transfer_return(
        transfer=t, note=data.get("note", ""), by=by, expected_version=data.get("version")
    ),
    "cancel": lambda t, data, by: transfer_cancel(
        transfer=t, note=data.get("note", ""), by=by, expected_version=data.get("version")
    ),
}
