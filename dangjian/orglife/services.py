"""Writes of organizational life: meetings and their status, attendance with its figures and
quorum, attachments, the frequency rules, and the work a branch assigns to its members. One
function per action, in a transaction, with history; a row read before someone else changed it
is refused (`expected_version`)."""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from dangjian.core import scope
from dangjian.core.models import BranchCommittee, CommitteeSeat, OrgUnit, User
from dangjian.core.services import STALE_MESSAGE
from dangjian.members.choices import MembershipType, MemberStatus, Standing
from dangjian.members.models import Member

from .choices import QUORUM_BY_KIND, AttendanceStatus, Frequency, MeetingKind, MeetingStatus, Quorum, TaskStatus
from .models import Attendance, Meeting, MeetingAttachment, MeetingRule, MemberTask

# Members expected at a branch's meetings: those on the roll and inflow members, who take part in
# this branch's life while their relationship is kept elsewhere.
ATTENDING_STATUSES = (MemberStatus.ACTIVE, MemberStatus.INFLOW)

# Fields a person sets on a meeting (the figures are the attendance's, the status the workflow's).
MEETING_FIELDS = ("branch", "group", "kind", "title", "agenda", "held_at", "place", "chair", "recorder", "speaker")
# Fields computed in save() from the ones a person sets.
COMPUTED = ["held_on", "district", "created_by", "quorum_met"]


def _locked_meeting(meeting: Meeting, expected_version: int | None) -> Meeting:
    # Lock the meeting's row only, not the units it joins (of=("self",) on PostgreSQL).
    locked = Meeting.objects.select_for_update(of=("self",)).select_related("branch", "group").get(pk=meeting.pk)
    if expected_version is not None and locked.version != expected_version:
        raise ValidationError(STALE_MESSAGE, code="stale")
    return locked


def _save_meeting(meeting: Meeting, by: User | None) -> Meeting:
    meeting._history_user = by
    meeting.full_clean(exclude=COMPUTED)
    meeting.save()
    return meeting


def _check_kind(branch: OrgUnit | None, kind: str, today: datetime.date | None = None) -> None:
    """A committee meeting needs a committee in office (its seats are the members expected)."""
    if branch is None or kind != MeetingKind.COMMITTEE:
        return
    if not serving_seats(branch, today).exists():
        raise ValidationError({"kind": "该党支部没有在任的支部委员会（或委员均已离任），不能登记支委会。"})


def serving_seats(branch: OrgUnit, today: datetime.date | None = None):
    """The seats of the branch's current committee whose holders have not left."""
    committees = BranchCommittee.objects.current(today).filter(org_unit=branch)
    return CommitteeSeat.objects.filter(committee__in=committees, left_on__isnull=True)


@transaction.atomic
def meeting_create(
    *,
    by: User | None,
    branch: OrgUnit,
    kind: str,
    title: str,
    held_at: datetime.datetime,
    place: str,
    group: OrgUnit | None = None,
    agenda: str = "",
    chair: str = "",
    recorder: str = "",
    speaker: str = "",
    minutes: str = "",
) -> Meeting:
    """Plan a meeting (status 计划); it becomes 已召开 when its attendance is recorded."""
    _check_kind(branch, kind)
    meeting = Meeting(
        branch=branch,
        group=group if kind == MeetingKind.GROUP else None,
        kind=kind,
        title=(title or "").strip(),
        held_at=held_at,
        place=(place or "").strip(),
        agenda=agenda or "",
        chair=(chair or "").strip(),
        recorder=(recorder or "").strip(),
        speaker=(speaker or "").strip(),
        minutes=minutes or "",
        quorum_rule=QUORUM_BY_KIND.get(kind, Quorum.NONE),
        status=MeetingStatus.PLANNED,
        created_by=by,
    )
    return _save_meeting(meeting, by)


@transaction.atomic
def meeting_update(*, meeting: Meeting, by: User | None, expected_version: int | None = None, **fields: Any) -> Meeting:
    """Change what a person wrote about a meeting. Once the attendance is recorded, the branch,
    group and kind stay as they were: the figures and the quorum were fixed for them."""
    unknown = set(fields) - {*MEETING_FIELDS, "minutes"}
    if unknown:
        raise ValueError(f"meeting_update cannot set {sorted(unknown)}")
    meeting = _locked_meeting(meeting, expected_version)
    if meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError("会议已取消，不能再修改。", code="cancelled")
    if meeting.status == MeetingStatus.HELD:
        errors = {}
        for name, label in (("branch", "党支部"), ("group", "党小组"), ("kind", "会议类型")):
            if name in fields and _value_id(fields[name]) != _value_id(getattr(meeting, name)):
                errors[name] = f"会议已登记出席情况，不能更改{label}。"
        if errors:
            raise ValidationError(errors)
    for name, value in fields.items():
        if isinstance(value, str) and name not in ("agenda", "minutes"):
            value = value.strip()
        setattr(meeting, name, value)
    if meeting.kind != MeetingKind.GROUP:
        meeting.group = None
    if meeting.status == MeetingStatus.PLANNED and ("kind" in fields or "branch" in fields):
        _check_kind(meeting.branch, meeting.kind)
    meeting.quorum_rule = QUORUM_BY_KIND.get(meeting.kind, Quorum.NONE)
    meeting.version += 1
    _save_meeting(meeting, by)
    # Each attendance row keeps the meeting's date for the six-month scan.
    Attendance.objects.filter(meeting=meeting).exclude(held_on=meeting.held_on).update(held_on=meeting.held_on)
    return meeting


def _value_id(value: Any) -> Any:
    return getattr(value, "pk", value)


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, reason: str, by: User | None, expected_version: int | None = None) -> Meeting:
    """Cancel a planned meeting; the reason is written at the head of the minutes."""
    meeting = _locked_meeting(meeting, expected_version)
    if meeting.status != MeetingStatus.PLANNED:
        raise ValidationError(f"会议当前为“{meeting.get_status_display()}”，只有计划中的会议可以取消。", code="status")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写取消原因。"})
    today = timezone.localdate()
    note = f"会议取消（{today.year}年{today.month}月{today.day}日）：{reason}"
    meeting.minutes = f"{note}\n\n{meeting.minutes}".strip()
    meeting.status = MeetingStatus.CANCELLED
    meeting.version += 1
    return _save_meeting(meeting, by)


# --- Attendance --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttendanceEntry:
    """One member's status at a meeting as the recorder marked it."""

    member_id: int
    status: str
    reason: str = ""


@dataclass(frozen=True)
class Figures:
    expected: int
    present: int
    excused: int
    absent: int
    rule: str
    required: int
    met: bool | None


def voting_members(branch: OrgUnit):
    """The members who vote at the branch's general meeting: full members on the roll in normal
    standing. Probationary and inflow members attend but do not vote; members whose standing is
    retained or suspended have no vote."""
    return Member.objects.filter(
        branch=branch, status=MemberStatus.ACTIVE, membership_type=MembershipType.FULL, standing=Standing.NORMAL
    )


def expected_members(meeting: Meeting):
    """The members a meeting lists for its attendance: the group's for a group meeting, the
    branch's otherwise (for a committee meeting the recorder picks the committee members among
    them), with those who already have a row on this meeting even if they have since left."""
    from django.db.models import Q

    if meeting.kind == MeetingKind.GROUP:
        listed = Q(group_id=meeting.group_id, status__in=ATTENDING_STATUSES)
    else:
        listed = Q(branch_id=meeting.branch_id, status__in=ATTENDING_STATUSES)
    if meeting.pk:
        listed |= Q(attendance__meeting=meeting)
    return Member.objects.filter(listed).distinct().order_by("name_initials", "pk")


def compute_figures(meeting: Meeting, entries: list[AttendanceEntry], expected: int) -> Figures:
    """The figures fixed on the meeting when its attendance is recorded, with its quorum.

    - General meeting: more than half of the voting members present (present voting members
      > voting / 2, so 10 voting members need 6).
    - Committee meeting: at least half of the serving seats present (ceil(seats / 2): 3 of 5, 2 of 4).
    - Other kinds: no quorum (met is None)."""
    present_ids = {entry.member_id for entry in entries if entry.status == AttendanceStatus.PRESENT}
    present = len(present_ids)
    excused = sum(1 for entry in entries if entry.status == AttendanceStatus.EXCUSED)
    rule = QUORUM_BY_KIND.get(meeting.kind, Quorum.NONE)
    if rule == Quorum.MORE_THAN_HALF:
        voting = set(voting_members(meeting.branch).values_list("pk", flat=True))
        required = len(voting) // 2 + 1
        met: bool | None = len(present_ids & voting) >= required
        absent = expected - present - excused
    elif rule == Quorum.AT_LEAST_HALF:
        required = math.ceil(expected / 2)
        met = expected > 0 and present >= required
        # Seats whose holder was not marked count as absent.
        absent = max(0, expected - present - excused)
    else:
        required, met = 0, None
        absent = expected - present - excused
    return Figures(expected, present, excused, absent, rule, required, met)


@transaction.atomic
def attendance_record(
    *,
    meeting: Meeting,
    entries: Iterable[AttendanceEntry],
    by: User | None,
    expected_version: int | None = None,
) -> Meeting:
    """Record (or record again) who attended a meeting: the rows are replaced, the figures and the
    quorum fixed, and the meeting becomes 已召开. Refused for a cancelled meeting, a meeting whose
    time has not come, an excused absence without a reason, or a member not expected."""
    meeting = _locked_meeting(meeting, expected_version)
    if meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError("会议已取消，不能登记出席情况。", code="cancelled")
    if meeting.held_at > timezone.now():
        raise ValidationError({"held_at": "尚未到会议时间，不能登记出席情况。"})
    entries = [AttendanceEntry(int(entry.member_id), entry.status, (entry.reason or "").strip()) for entry in entries]
    listed = {member.pk: member for member in expected_members(meeting)}
    errors: dict[str, list[str]] = {}
    seen: set[int] = set()
    for entry in entries:
        member = listed.get(entry.member_id)
        if member is None:
            errors.setdefault("attendance", []).append(f"编号为 {entry.member_id} 的党员不在本次会议的应到名单中。")
            continue
        if entry.member_id in seen:
            errors.setdefault("attendance", []).append(f"{member.name}重复登记。")
        seen.add(entry.member_id)
        if entry.status not in AttendanceStatus.values:
            errors.setdefault("attendance", []).append(f"{member.name}：出席情况无效。")
        elif entry.status == AttendanceStatus.EXCUSED and not entry.reason:
            errors.setdefault("reason", []).append(f"{member.name}请假，请填写请假事由。")
        if len(entry.reason) > 200:
            errors.setdefault("reason", []).append(f"{member.name}的请假事由不能超过 200 字。")
    if meeting.kind == MeetingKind.COMMITTEE:
        seats = serving_seats(meeting.branch).count()
        if seats == 0:
            errors.setdefault("attendance", []).append("该党支部没有在任的支部委员会，不能登记支委会出席情况。")
        elif len(entries) > seats:
            errors.setdefault("attendance", []).append(
                f"登记了 {len(entries)} 名委员，超过在任委员人数（{seats} 名）。"
            )
        elif not entries:
            errors.setdefault("attendance", []).append("请选出本次支委会的委员并登记出席情况。")
        expected = seats
    else:
        missing = [member.name for pk, member in listed.items() if pk not in seen]
        if missing:
            errors.setdefault("attendance", []).append(
                f"以下党员尚未登记出席情况：{'、'.join(missing[:10])}{' 等' if len(missing) > 10 else ''}。"
            )
        expected = len(listed)
    if errors:
        raise ValidationError(errors)

    figures = compute_figures(meeting, entries, expected)
    Attendance.objects.filter(meeting=meeting).delete()
    Attendance.objects.bulk_create(
        [
            Attendance(
                meeting=meeting,
                member_id=entry.member_id,
                status=entry.status,
                reason=entry.reason if entry.status != AttendanceStatus.PRESENT else "",
                held_on=meeting.held_on,
                district_id=meeting.district_id,
            )
            for entry in entries
        ]
    )
    meeting.expected_count = figures.expected
    meeting.present_count = figures.present
    meeting.excused_count = figures.excused
    meeting.absent_count = figures.absent
    meeting.quorum_rule = figures.rule
    meeting.quorum_required = figures.required
    meeting.quorum_met = figures.met
    meeting.status = MeetingStatus.HELD
    meeting.version += 1
    return _save_meeting(meeting, by)


# --- Attachments -------------------------------------------------------------------------------


@transaction.atomic
def attachment_add(*, meeting: Meeting, file: UploadedFile, by: User | None, name: str = "") -> MeetingAttachment:
    """Keep a file with a meeting (a photo, a sign-in sheet). Never required."""
    if meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError("会议已取消，不能再上传附件。", code="cancelled")
    label = (name or "").strip() or (getattr(file, "name", "") or "附件").rsplit("/", 1)[-1]
    attachment = MeetingAttachment(meeting=meeting, file=file, name=label[:120], uploaded_by=by)
    attachment.full_clean(exclude=["district", "uploaded_by"])
    attachment.save()
    return attachment


@transaction.atomic
def attachment_delete(*, attachment: MeetingAttachment, by: User | None) -> None:
    """Remove an attachment and its file (after the transaction commits)."""
    locked = MeetingAttachment.objects.select_for_update().filter(pk=attachment.pk).first()
    if locked is None:
        raise ValidationError("该附件已被删除。", code="gone")
    storage, file_name = locked.file.storage, locked.file.name
    locked.delete()
    transaction.on_commit(lambda: storage.delete(file_name) if file_name else None)


# --- The frequency rules -----------------------------------------------------------------------


@dataclass(frozen=True)
class RuleValues:
    frequency: str
    times: int
    is_required: bool


@transaction.atomic
def meeting_rules_update(
    *, values: Mapping[str, RuleValues], by: User, expected_versions: Mapping[str, int] | None = None
) -> list[MeetingRule]:
    """The district organizer changes how often each kind of meeting is required; the compliance
    table and the reminders read the rows each time."""
    if not scope.can(by, scope.Cap.RULES_MANAGE):
        raise PermissionDenied("只有区委组织部可以修改组织生活频次规则。")
    unknown = set(values) - set(MeetingKind.values)
    if unknown:
        raise ValidationError({"kind": f"未知的会议类型：{'、'.join(sorted(unknown))}。"})
    rows = {row.kind: row for row in MeetingRule.objects.select_for_update().order_by("pk")}
    for kind, version in (expected_versions or {}).items():
        if kind in rows and rows[kind].version != version:
            raise ValidationError(STALE_MESSAGE, code="stale")
    errors: dict[str, list[str]] = {}
    for kind, value in values.items():
        label = MeetingKind(kind).label
        if value.frequency not in Frequency.values:
            errors.setdefault(f"frequency_{kind}", []).append(f"{label}：频次无效。")
        if value.times is None or not 1 <= value.times <= 31:
            errors.setdefault(f"times_{kind}", []).append(f"{label}：每期至少次数应在 1 至 31 之间。")
    if errors:
        raise ValidationError(errors)
    changed = []
    for kind, value in values.items():
        row = rows.get(kind)
        if row is None:
            row = MeetingRule(kind=kind, frequency=value.frequency, times=value.times, is_required=value.is_required)
        elif (row.frequency, row.times, row.is_required) == (value.frequency, value.times, value.is_required):
            continue
        else:
            row.frequency, row.times, row.is_required = value.frequency, value.times, value.is_required
            row.version += 1
        row._history_user = by
        row.full_clean()
        row.save()
        changed.append(row)
    return changed


# --- Member tasks ------------------------------------------------------------------------------


def _locked_task(task: MemberTask, expected_version: int | None) -> MemberTask:
    locked = MemberTask.objects.select_for_update(of=("self",)).select_related("member").get(pk=task.pk)
    if expected_version is not None and locked.version != expected_version:
        raise ValidationError(STALE_MESSAGE, code="stale")
    if locked.status != TaskStatus.OPEN:
        raise ValidationError(f"该任务已{locked.get_status_display()}，不能再办理。", code="status")
    return locked


def _save_task(task: MemberTask, by: User | None) -> MemberTask:
    task._history_user = by
    task.full_clean(exclude=["district", "assigned_by"])
    task.save()
    return task


@transaction.atomic
def task_assign(
    *,
    member: Member,
    title: str,
    assigned_on: datetime.date,
    by: User | None,
    description: str = "",
    due_on: datetime.date | None = None,
) -> MemberTask:
    """The branch assigns a piece of work to one of its members."""
    errors: dict[str, str] = {}
    if member.status not in ATTENDING_STATUSES:
        errors["member"] = f"{member.name}当前为“{member.get_status_display()}”，不能交办任务。"
    if assigned_on and assigned_on > timezone.localdate():
        errors["assigned_on"] = "交办日期不能晚于今天。"
    if errors:
        raise ValidationError(errors)
    task = MemberTask(
        member=member,
        title=(title or "").strip(),
        description=description or "",
        assigned_on=assigned_on,
        due_on=due_on,
        status=TaskStatus.OPEN,
        assigned_by=by,
    )
    return _save_task(task, by)


@transaction.atomic
def task_complete(
    *,
    task: MemberTask,
    done_on: datetime.date,
    result: str,
    by: User | None,
    expected_version: int | None = None,
) -> MemberTask:
    """Mark a task done, with what came of it."""
    task = _locked_task(task, expected_version)
    result = (result or "").strip()
    errors: dict[str, str] = {}
    if not result:
        errors["result"] = "请填写完成情况。"
    if done_on and done_on > timezone.localdate():
        errors["done_on"] = "完成日期不能晚于今天。"
    if errors:
        raise ValidationError(errors)
    task.status = TaskStatus.DONE
    task.done_on = done_on
    task.result = result
    task.version += 1
    return _save_task(task, by)


@transaction.atomic
def task_cancel(*, task: MemberTask, reason: str, by: User | None, expected_version: int | None = None) -> MemberTask:
    """Withdraw a task that will not be done; the reason is kept in its result."""
    task = _locked_task(task, expected_version)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写取消原因。"})
    task.status = TaskStatus.CANCELLED
    task.result = f"取消：{reason}"[:200]
    task.version += 1
    return _save_task(task, by)
