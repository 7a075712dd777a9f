"""Every write of oversight: starting a scan, working a case to an outcome (assign, note, close,
reopen), closing the cases a settled transfer or contact opened, and reading reminders. The
scan itself is in scan.py, the reminders' refresh in reminders.py."""

from __future__ import annotations

import datetime
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.core.models import OrgUnit, User
from dangjian.core.services import STALE_MESSAGE

from .choices import ActionKind, CaseOutcome, CaseStatus
from .models import Case, CaseAction, Reminder, ScanRun

CLOSED_BY_OTHER = "该盲点已由他人办结。"
CLOSED_CANNOT_CHANGE = "该盲点已办结；如需继续处理，请先重新打开。"
NOTE_KINDS = (ActionKind.NOTE, ActionKind.CONTACT, ActionKind.VISIT)
# A scan that has not finished within this time is taken to have failed, and a new one may start.
SCAN_STALE_AFTER = datetime.timedelta(hours=1)


@transaction.atomic
def resolve_linked_cases(
    *, by: User | None, note: str, transfer=None, mobile=None, outcome: str = CaseOutcome.RESOLVED_ELSEWHERE
) -> int:
    """Close the open cases a transfer or a mobile member's record opened, because what they
    were about has been settled (the letter was reported, the member was reached). Returns how
    many were closed."""
    cases = Case.objects.select_for_update().exclude(status=CaseStatus.CLOSED)
    if transfer is not None:
        cases = cases.filter(transfer=transfer)
    elif mobile is not None:
        cases = cases.filter(mobile=mobile)
    else:
        raise ValueError("resolve_linked_cases needs a transfer or a mobile member")
    closed = 0
    now = timezone.now()
    for case in cases:
        case.status = CaseStatus.CLOSED
        case.outcome = outcome
        case.outcome_note = note
        case.closed_at = now
        case.closed_by = by
        case.version += 1
        case._history_user = by
        case.save()
        CaseAction.objects.create(case=case, kind=ActionKind.CLOSE, note=note, by=by)
        closed += 1
    return closed


# --- The scan, started from a page or the API ---------------------------------------------------


@transaction.atomic
def scan_start(*, unit: OrgUnit, as_of: datetime.date | None, by: User | None) -> ScanRun:
    """Record a scan of `unit`'s subtree as of a month (default: the last complete month) and
    hand it to the task queue; the run's figures are filled when it finishes."""
    from .scan import last_complete_month, month_label, month_start
    from .tasks import run_blind_spot_scan

    today = timezone.localdate()
    latest = last_complete_month(today)
    as_of = month_start(as_of) if as_of else latest
    if as_of > latest:
        raise ValidationError({"as_of": [f"只能扫描已经结束的月份（最晚为{month_label(latest)}）。"]})
    unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)  # serializes two starts on one unit
    if not unit.is_active:
        raise ValidationError({"unit": ["该组织已撤销或合并，不能扫描。"]})
    running = ScanRun.objects.filter(
        org_unit=unit, finished_at__isnull=True, started_at__gt=timezone.now() - SCAN_STALE_AFTER
    )
    if running.exists():
        raise ValidationError({"unit": ["该范围的扫描正在进行，请稍后刷新查看结果。"]}, code="running")
    run = ScanRun(org_unit=unit, as_of=as_of, by=by)
    run.full_clean(exclude=["opened"])
    run.save()
    transaction.on_commit(partial(run_blind_spot_scan.enqueue, run_id=run.pk))
    return run


# --- Working a case ----------------------------------------------------------------------------


def _locked(case: Case) -> Case:
    # Lock the case's row only, not the member, branch or users it joins.
    return Case.objects.select_for_update(of=("self",)).select_related("member", "branch", "assignee").get(pk=case.pk)


def _check_version(case: Case, expected_version: int | None) -> None:
    if expected_version is not None and case.version != expected_version:
        raise ValidationError(STALE_MESSAGE, code="stale")


def _save(case: Case, by: User | None) -> Case:
    case.version += 1
    case._history_user = by
    case.full_clean(exclude=["member", "branch", "assignee", "closed_by", "scan", "transfer", "mobile", "evidence"])
    case.save()
    return case


def _action(case: Case, kind: str, note: str, by: User | None) -> CaseAction:
    action = CaseAction(case=case, kind=kind, note=note, by=by)
    action.full_clean(exclude=["case", "by"])
    action.save()
    return action


@transaction.atomic
def case_assign(
    *, case: Case, assignee: User | None, by: User, expected_version: int | None = None, note: str = ""
) -> Case:
    """Make someone responsible for the case: a person holding a grant whose scope holds the
    case's branch and lies within `by`'s scope."""
    from .selectors import assignee_choices

    locked = _locked(case)
    if locked.status == CaseStatus.CLOSED:
        raise ValidationError(CLOSED_CANNOT_CHANGE, code="closed")
    _check_version(locked, expected_version)
    if assignee is None:
        raise ValidationError({"assignee": ["请选择责任人。"]})
    if not assignee_choices(user=by, case=locked).filter(pk=assignee.pk).exists():
        raise ValidationError({"assignee": ["所选人员不能处理该盲点：请选择在该党支部所属范围内任职的人员。"]})
    if locked.assignee_id == assignee.pk:
        raise ValidationError({"assignee": [f"{assignee.display_name}已经是该盲点的责任人。"]})
    locked.assignee = assignee
    if locked.status == CaseStatus.OPEN:
        locked.status = CaseStatus.WORKING
    _save(locked, by)
    text = f"指定责任人：{assignee.display_name}"
    if note.strip():
        text += f"。{note.strip()}"
    _action(locked, ActionKind.ASSIGN, text, by)
    return locked


@transaction.atomic
def case_add_note(*, case: Case, kind: str, note: str, by: User, expected_version: int | None = None) -> CaseAction:
    """Record a talk, a visit or a note on an open case; the first one puts it in hand."""
    locked = _locked(case)
    if locked.status == CaseStatus.CLOSED:
        raise ValidationError(CLOSED_CANNOT_CHANGE, code="closed")
    _check_version(locked, expected_version)
    errors = {}
    if kind not in NOTE_KINDS:
        errors["kind"] = ["请选择记录类型：联系谈话、上门走访或工作记录。"]
    if not (note or "").strip():
        errors["note"] = ["请填写记录内容。"]
    if errors:
        raise ValidationError(errors)
    if locked.status == CaseStatus.OPEN:
        locked.status = CaseStatus.WORKING
        _save(locked, by)
    return _action(locked, kind, note.strip(), by)


@transaction.atomic
def case_close(*, case: Case, outcome: str, note: str, by: User, expected_version: int | None = None) -> Case:
    """Close the case with an outcome and a note. Two people closing at once: the first wins,
    the second is told the case has been closed."""
    locked = _locked(case)
    if locked.status == CaseStatus.CLOSED:
        raise ValidationError(CLOSED_BY_OTHER, code="closed")
    _check_version(locked, expected_version)
    errors = {}
    if outcome not in CaseOutcome.values:
        errors["outcome"] = ["请选择处理结果。"]
    if not (note or "").strip():
        errors["note"] = ["请填写办结说明。"]
    if errors:
        raise ValidationError(errors)
    locked.status = CaseStatus.CLOSED
    locked.outcome = outcome
    locked.outcome_note = note.strip()
    locked.closed_at = timezone.now()
    locked.closed_by = by
    _save(locked, by)
    _action(locked, ActionKind.CLOSE, f"办结：{locked.get_outcome_display()}。{locked.outcome_note}", by)
    return locked


@transaction.atomic
def case_reopen(*, case: Case, note: str, by: User, expected_version: int | None = None) -> Case:
    """Open a closed case again (the outcome did not hold), with the reason."""
    locked = _locked(case)
    if locked.status != CaseStatus.CLOSED:
        raise ValidationError("该盲点尚未办结（可能已由他人重新打开），不需要重新打开。", code="state")
    _check_version(locked, expected_version)
    if not (note or "").strip():
        raise ValidationError({"note": ["请填写重新打开的原因。"]})
    other = Case.objects.filter(member_id=locked.member_id, kind=locked.kind).exclude(status=CaseStatus.CLOSED)
    if other.exclude(pk=locked.pk).exists():
        raise ValidationError("该党员已有一件同类盲点正在处理，请在那一件上继续工作。", code="conflict")
    locked.status = CaseStatus.WORKING if locked.assignee_id else CaseStatus.OPEN
    locked.outcome = ""
    locked.outcome_note = ""
    locked.closed_at = None
    locked.closed_by = None
    _save(locked, by)
    _action(locked, ActionKind.REOPEN, f"重新打开：{note.strip()}", by)
    return locked


# --- Reminders ---------------------------------------------------------------------------------


def reminder_mark_read(*, reminder: Reminder) -> Reminder:
    """Mark one reminder read (the caller fetched it through the scoped selector)."""
    if reminder.read_at is None:
        reminder.read_at = timezone.now()
        Reminder.objects.filter(pk=reminder.pk, read_at__isnull=True).update(read_at=reminder.read_at)
    return reminder


def reminder_mark_all_read(*, user: User, org_unit: OrgUnit | None, seen_at: datetime.datetime) -> int:
    """Mark read the user's unread reminders of a grant's unit that had appeared by `seen_at`
    (the moment the page was shown), so that one appearing meanwhile stays unread."""
    seen_at = min(seen_at, timezone.now())
    reminders = Reminder.objects.filter(
        user=user, read_at__isnull=True, resolved_at__isnull=True, created_at__lte=seen_at
    )
    if org_unit is not None:
        reminders = reminders.filter(org_unit=org_unit)
    return reminders.update(read_at=timezone.now())
