"""Organizational life: meetings of 三会一课 and the other kinds, attendance per member, the
required frequencies kept as data, and the work a branch assigns to its members."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from dangjian.core.choices import OrgKind
from dangjian.core.models import OrgUnit, User, district_key
from dangjian.members.models import Member

from .choices import AttendanceStatus, Frequency, MeetingKind, MeetingStatus, Quorum, TaskStatus


class MeetingRule(models.Model):
    """How often a branch must hold a kind of meeting (the district edits the rows)."""

    kind = models.CharField(_("会议类型"), max_length=30, choices=MeetingKind.choices, unique=True)
    frequency = models.CharField(_("频次"), max_length=20, choices=Frequency.choices)
    times = models.PositiveSmallIntegerField(_("每期至少次数"), default=1)
    is_required = models.BooleanField(_("纳入合规统计"), default=True)
    description = models.CharField(_("依据"), max_length=200, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("组织生活频次规则")
        verbose_name_plural = _("组织生活频次规则")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.get_frequency_display()}至少 {self.times} 次"


def attachment_path(instance: MeetingAttachment, filename: str) -> str:
    return f"meetings/{timezone.localdate():%Y/%m}/{instance.meeting_id}/{filename}"


class Meeting(models.Model):
    """One meeting of a branch (or of one of its groups): what, when, where, who chaired and
    recorded it, the minutes, and — once held — the attendance and whether it had a quorum."""

    scope_path = "branch__path"

    branch = models.ForeignKey(
        OrgUnit,
        verbose_name=_("党支部"),
        on_delete=models.PROTECT,
        related_name="meetings",
        limit_choices_to={"kind": OrgKind.BRANCH},
    )
    group = models.ForeignKey(
        OrgUnit,
        verbose_name=_("党小组"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="group_meetings",
        limit_choices_to={"kind": OrgKind.GROUP},
    )
    district = district_key()
    kind = models.CharField(_("会议类型"), max_length=30, choices=MeetingKind.choices)
    status = models.CharField(_("状态"), max_length=20, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED)
    title = models.CharField(_("会议主题"), max_length=120)
    agenda = models.TextField(_("议程"), blank=True)
    held_at = models.DateTimeField(_("时间"))
    held_on = models.DateField(_("日期"), editable=False, db_index=True)
    place = models.CharField(_("地点"), max_length=120)
    chair = models.CharField(_("主持人"), max_length=50, blank=True)
    recorder = models.CharField(_("记录人"), max_length=50, blank=True)
    speaker = models.CharField(_("授课人"), max_length=50, blank=True)
    minutes = models.TextField(_("会议记录"), blank=True)
    # Figures fixed when the attendance is recorded (the compliance table reads these).
    expected_count = models.PositiveIntegerField(_("应到人数"), default=0, editable=False)
    present_count = models.PositiveIntegerField(_("实到人数"), default=0, editable=False)
    excused_count = models.PositiveIntegerField(_("请假人数"), default=0, editable=False)
    absent_count = models.PositiveIntegerField(_("缺席人数"), default=0, editable=False)
    quorum_rule = models.CharField(_("法定人数规则"), max_length=20, choices=Quorum.choices, default=Quorum.NONE)
    quorum_required = models.PositiveIntegerField(_("法定人数"), default=0, editable=False)
    quorum_met = models.BooleanField(_("达到法定人数"), null=True, editable=False)
    created_by = models.ForeignKey(
        User, verbose_name=_("登记人"), null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("会议")
        verbose_name_plural = _("会议")
        ordering = ["-held_at", "-pk"]
        indexes = [
            models.Index(fields=["branch", "kind", "held_on"], name="meeting_branch_kind_day"),
            # The meeting list's order: a district's or a sub-district's latest meetings are read
            # from it in order instead of sorting all of their meetings for each page.
            models.Index(fields=["-held_at", "-id"], name="meeting_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.held_on:%Y-%m-%d} {self.get_kind_display()} · {self.title}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.held_on = (
            timezone.localtime(self.held_at).date() if timezone.is_aware(self.held_at) else self.held_at.date()
        )
        self.district_id = self.branch.district_id
        super().save(*args, **kwargs)

    @property
    def counts_for_compliance(self) -> bool:
        """A held meeting counts unless it needed a quorum and did not reach it."""
        return self.status == MeetingStatus.HELD and self.quorum_met is not False

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.branch_id and self.branch.kind != OrgKind.BRANCH:
            errors["branch"] = "请选择党支部。"
        if self.kind == MeetingKind.GROUP and not self.group_id:
            errors["group"] = "党小组会请选择党小组。"
        if self.group_id and self.branch_id and self.group.parent_id != self.branch_id:
            errors["group"] = "所选党小组不属于该党支部。"
        if self.kind == MeetingKind.LECTURE and not self.speaker.strip():
            errors["speaker"] = "党课请填写授课人。"
        if self.status == MeetingStatus.HELD and self.held_at and self.held_at > timezone.now():
            errors["held_at"] = "尚未到会议时间，不能登记为已召开。"
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def scope_self(user: User) -> Q:
        """A member sees the meetings they were expected at."""
        return Q(attendance__member__user=user)


class Attendance(models.Model):
    """Whether one member attended one meeting; an excused absence carries its reason."""

    scope_path = "meeting__branch__path"

    meeting = models.ForeignKey(Meeting, verbose_name=_("会议"), on_delete=models.CASCADE, related_name="attendance")
    # No index of its own: the (member, held_on, status) index leads with it, and a second, narrower
    # one leads the planner to fetch every attendance row of a member to filter by date.
    member = models.ForeignKey(
        Member, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="attendance", db_index=False
    )
    district = district_key()
    status = models.CharField(_("出席情况"), max_length=10, choices=AttendanceStatus.choices)
    reason = models.CharField(_("请假事由"), max_length=200, blank=True)
    # The meeting's date, kept on each row so the six-month scan reads one table.
    held_on = models.DateField(_("会议日期"), editable=False)

    class Meta:
        verbose_name = _("出席记录")
        verbose_name_plural = _("出席记录")
        ordering = ["meeting", "member__name_initials", "pk"]
        constraints = [models.UniqueConstraint(fields=["meeting", "member"], name="attendance_meeting_member")]
        indexes = [models.Index(fields=["member", "held_on", "status"], name="attendance_member_day_status")]

    def __str__(self) -> str:
        return f"{self.member.name} · {self.get_status_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.held_on = self.meeting.held_on
        self.district_id = self.meeting.district_id
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.status == AttendanceStatus.EXCUSED and not self.reason.strip():
            raise ValidationError({"reason": "请假请填写事由。"})

    @staticmethod
    def scope_self(user: User) -> Q:
        """A member sees only their own attendance."""
        return Q(member__user=user)


def validate_attachment_size(file: Any) -> None:
    from django.conf import settings

    limit = settings.DANGJIAN_ATTACHMENT_MAX_BYTES
    if file.size > limit:
        raise ValidationError(f"附件不能超过 {limit // (1024 * 1024)} MB。")


class MeetingAttachment(models.Model):
    """A file kept with a meeting (a photo, a sign-in sheet, slides). Never required."""

    scope_path = "meeting__branch__path"

    meeting = models.ForeignKey(Meeting, verbose_name=_("会议"), on_delete=models.CASCADE, related_name="attachments")
    district = district_key()
    file = models.FileField(
        _("文件"),
        upload_to=attachment_path,
        validators=[
            FileExtensionValidator(["jpg", "jpeg", "png", "pdf", "docx", "xlsx", "pptx"]),
            validate_attachment_size,
        ],
    )
    name = models.CharField(_("名称"), max_length=120)
    uploaded_by = models.ForeignKey(
        User, verbose_name=_("上传人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("会议附件")
        verbose_name_plural = _("会议附件")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.district_id = self.meeting.district_id
        super().save(*args, **kwargs)

    @staticmethod
    def scope_self(user: User) -> Q:
        """A member sees the files of the meetings they were expected at."""
        return Q(meeting__attendance__member__user=user)


class MemberTask(models.Model):
    """A piece of work a branch assigns to a member (contacting households, a duty at an event,
    a post's duties): the six-month scan asks whether a member had any."""

    scope_path = "member__branch__path"

    # Indexed by (member, assigned_on) below.
    member = models.ForeignKey(
        Member, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="tasks", db_index=False
    )
    district = district_key()
    title = models.CharField(_("任务"), max_length=120)
    description = models.TextField(_("说明"), blank=True)
    assigned_on = models.DateField(_("交办日期"))
    due_on = models.DateField(_("完成期限"), null=True, blank=True)
    done_on = models.DateField(_("完成日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    result = models.CharField(_("完成情况"), max_length=200, blank=True)
    assigned_by = models.ForeignKey(
        User, verbose_name=_("交办人"), null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("交办任务")
        verbose_name_plural = _("交办任务")
        ordering = ["-assigned_on", "-pk"]
        indexes = [models.Index(fields=["member", "assigned_on"], name="task_member_assigned")]

    def __str__(self) -> str:
        return f"{self.member.name} · {self.title}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.district_id = self.member.district_id
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.due_on and self.assigned_on and self.due_on < self.assigned_on:
            errors["due_on"] = "完成期限不能早于交办日期。"
        if self.done_on and self.assigned_on and self.done_on < self.assigned_on:
            errors["done_on"] = "完成日期不能早于交办日期。"
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def scope_self(user: User) -> Q:
        """A member sees only the tasks given to them."""
        return Q(member__user=user)


__all__ = ["Attendance", "Meeting", "MeetingAttachment", "MeetingRule", "MemberTask"]
