"""Writes of care (帮扶): recording an act of care for a member, and its correction by the person
who recorded it within seven days. A record older than that stays as it was written; a later
finding is a new record. Every write is in a transaction, with history."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from dangjian.core.models import User
from dangjian.core.services import STALE_MESSAGE

from ..choices import AssistanceKind, CareForm, MemberStatus
from ..models import CareRecord, Member

# How long after recording the recorder may still correct a record.
EDIT_WINDOW = datetime.timedelta(days=7)
EDIT_WINDOW_DAYS = EDIT_WINDOW.days

# Members who can be cared for: those on the roll here, and inflow members living here.
CARED_STATUSES = (MemberStatus.ACTIVE, MemberStatus.INFLOW)

# The fields a person fills in for a care record (the form, the API and an edit share them).
CARE_FIELDS = (
    "hardship",
    "form",
    "cared_on",
    "carers",
    "situation",
    "assistance",
    "amount",
    "follow_up",
    "next_visit_on",
)


def day_label(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def care_record_stamp(record: CareRecord) -> int:
    """The record's current state as a number (its latest history entry): a form carries it, and
    an edit made on an older state is refused. CareRecord has no version field; its history,
    written on every save, serves as one."""
    stamp = getattr(record, "stamp", None)
    if stamp is None:
        stamp = CareRecord.history.filter(id=record.pk).aggregate(last=Max("history_id"))["last"] or 0
    return stamp


def editable_until(record: CareRecord) -> datetime.datetime:
    return record.created_at + EDIT_WINDOW


def care_record_edit_refusal(*, record: CareRecord, by: User | None, now: datetime.datetime | None = None) -> str:
    """Why `by` may not correct `record` (empty when they may): only the recorder, within seven
    days of recording."""
    now = now or timezone.now()
    if by is None or record.recorded_by_id != by.pk:
        recorder = record.recorded_by.display_name if record.recorded_by else "系统导入"
        return f"帮扶记录只能由登记人（{recorder}）修改；如需补充或更正，请新增一条帮扶记录。"
    if now > editable_until(record):
        recorded = timezone.localtime(record.created_at).date()
        return (
            f"该记录于{day_label(recorded)}登记，已超过{EDIT_WINDOW_DAYS}天，不能再修改；"
            "如需补充或更正，请新增一条帮扶记录并在“后续安排”中说明。"
        )
    return ""


def _normalize(values: dict[str, Any]) -> dict[str, Any]:
    for text in ("carers", "situation", "follow_up"):
        if text in values and isinstance(values[text], str):
            values[text] = values[text].strip()
    if values.get("amount") is not None:
        values["amount"] = Decimal(values["amount"]).quantize(Decimal("0.01"))
    return values


def _check(record: CareRecord) -> None:
    """The model's own rules, plus those that concern how a record is kept."""
    errors: dict[str, list[str]] = {}
    try:
        record.full_clean(exclude=["district", "recorded_by"])
    except ValidationError as error:
        errors = {field: list(messages) for field, messages in error.message_dict.items()}
    if record.assistance == AssistanceKind.NONE and record.amount and "amount" not in errors:
        errors.setdefault("amount", []).append("帮扶内容为“无”时不应填写金额；发放慰问金请选择“慰问金”。")
    if record.assistance == AssistanceKind.MONEY and record.amount is not None and record.amount <= 0:
        errors.setdefault("amount", []).append("慰问金金额应大于 0 元。")
    if record.form == CareForm.ASSISTANCE and record.assistance == AssistanceKind.NONE:
        errors.setdefault("assistance", []).append("帮扶形式为“帮扶救助”时，请选择提供的帮扶内容。")
    if errors:
        raise ValidationError(errors)


def _save(record: CareRecord, by: User | None) -> CareRecord:
    record._history_user = by
    record.save()
    return record


@transaction.atomic
def care_record_create(
    *,
    member: Member,
    by: User | None,
    hardship: str,
    form: str,
    cared_on: datetime.date,
    carers: str,
    situation: str,
    assistance: str = AssistanceKind.NONE,
    amount: Decimal | None = None,
    follow_up: str = "",
    next_visit_on: datetime.date | None = None,
) -> CareRecord:
    """Record one act of care. The member's row is locked while the record is written, so that
    the same visit recorded twice at once (two cadres, or a double click) gives one record and a
    clear message for the other."""
    member = Member.objects.select_for_update(of=("self",)).select_related("branch").get(pk=member.pk)
    if member.status not in CARED_STATUSES:
        raise ValidationError({"member": f"{member.name}当前为“{member.get_status_display()}”，不能登记帮扶。"})
    values = _normalize(
        {
            "hardship": hardship,
            "form": form,
            "cared_on": cared_on,
            "carers": carers,
            "situation": situation,
            "assistance": assistance or AssistanceKind.NONE,
            "amount": amount,
            "follow_up": follow_up or "",
            "next_visit_on": next_visit_on,
        }
    )
    record = CareRecord(member=member, recorded_by=by, **values)
    _check(record)
    duplicate = (
        CareRecord.objects.filter(
            member=member, cared_on=record.cared_on, form=record.form, assistance=record.assistance
        )
        .select_related("recorded_by")
        .first()
    )
    if duplicate is not None:
        recorder = duplicate.recorded_by.display_name if duplicate.recorded_by else "他人"
        raise ValidationError(
            {
                "cared_on": f"{member.name}{day_label(record.cared_on)}的“{duplicate.get_form_display()}”"
                f"已由{recorder}登记，请勿重复登记；如有补充，请由登记人修改该记录。"
            },
            code="duplicate",
        )
    return _save(record, by)


@transaction.atomic
def care_record_update(
    *, record: CareRecord, by: User | None, expected_stamp: int | None = None, **fields: Any
) -> CareRecord:
    """The recorder corrects a record within seven days of recording it. The row is locked, and
    an edit made on a page showing an older state of the record is refused."""
    unknown = set(fields) - set(CARE_FIELDS)
    if unknown:
        raise ValueError(f"care_record_update cannot change {sorted(unknown)}")
    locked = (
        CareRecord.objects.select_for_update(of=("self",)).select_related("member", "recorded_by").get(pk=record.pk)
    )
    if expected_stamp is not None and care_record_stamp(locked) != expected_stamp:
        raise ValidationError(STALE_MESSAGE, code="stale")
    refusal = care_record_edit_refusal(record=locked, by=by)
    if refusal:
        raise ValidationError(refusal, code="locked")
    values = _normalize(dict(fields))
    for field, value in values.items():
        setattr(locked, field, value)
    if locked.assistance in ("", None):
        locked.assistance = AssistanceKind.NONE
    if locked.follow_up is None:
        locked.follow_up = ""
    _check(locked)
    return _save(locked, by)
