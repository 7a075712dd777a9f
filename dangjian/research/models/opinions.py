"""Opinions and suggestions (意见建议) from visits and from the public page, and the corrections
(及时修正) made because of them."""

from __future__ import annotations

import datetime
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from dangjian.core.crypto import EncryptedCharField, mask_phone
from dangjian.core.models import User

from ..choices import (
    OPEN_OPINION_STATUSES,
    SATISFACTION_LABELS,
    AnswerKind,
    OpinionArea,
    OpinionSource,
    OpinionStatus,
    Progress,
    SubmitterKind,
)
from .base import CommunityRecord

# Tracking codes: no 0/O, 1/I/L, so a code read over the phone is not mistaken.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10


def new_tracking_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(value: str) -> str:
    """A code as a person types it: any case, with spaces or dashes."""
    return "".join(ch for ch in (value or "").upper() if ch.isalnum())


def answer_days() -> int:
    """Days within which an opinion must be answered (setting DANGJIAN_OPINION_ANSWER_DAYS)."""
    return int(getattr(settings, "DANGJIAN_OPINION_ANSWER_DAYS", 15))


class Opinion(CommunityRecord):
    """An opinion or suggestion from a resident or a member, raised in a visit or submitted
    online. It is assigned to a cadre and answered; the answer (accepted, or not accepted with
    the reason) is kept apart from the progress of what was promised. The person who raised it
    follows it with the tracking code and may rate the answer once it is closed."""

    tracking_code = models.CharField(_("查询码"), max_length=CODE_LENGTH, unique=True, editable=False)
    source = models.CharField(_("来源"), max_length=20, choices=OpinionSource.choices)
    visit = models.ForeignKey(
        "Visit", verbose_name=_("走访记录"), null=True, blank=True, on_delete=models.PROTECT, related_name="opinions"
    )
    submitter_kind = models.CharField(
        _("提出人身份"), max_length=20, choices=SubmitterKind.choices, default=SubmitterKind.RESIDENT
    )
    submitter_name = models.CharField(_("提出人"), max_length=50, blank=True)
    contact_phone = EncryptedCharField(_("联系电话"), blank=True)
    area = models.CharField(_("所属领域"), max_length=30, choices=OpinionArea.choices, default=OpinionArea.OTHER)
    title = models.CharField(_("事项"), max_length=100)
    content = models.TextField(_("具体内容"))
    submitted_at = models.DateTimeField(_("提出时间"), default=timezone.now)
    answer_due_on = models.DateField(_("答复期限"))
    status = models.CharField(
        _("状态"), max_length=20, choices=OpinionStatus.choices, default=OpinionStatus.SUBMITTED, db_index=True
    )
    assignee = models.ForeignKey(
        User, verbose_name=_("承办干部"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField(_("分派时间"), null=True, blank=True)
    answer_kind = models.CharField(_("答复结果"), max_length=20, choices=AnswerKind.choices, blank=True)
    answer = models.TextField(_("答复内容"), blank=True)
    not_accepted_reason = models.TextField(_("不予采纳理由"), blank=True)
    promised_on = models.DateField(_("承诺完成日期"), null=True, blank=True)
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    answered_by = models.ForeignKey(
        User, verbose_name=_("答复人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    progress = models.CharField(_("落实进展"), max_length=20, choices=Progress.choices, blank=True)
    progress_note = models.TextField(_("进展说明"), blank=True)
    progress_at = models.DateTimeField(_("进展更新时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(
        _("满意度"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rating_comment = models.CharField(_("评价留言"), max_length=200, blank=True)
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        User, verbose_name=_("登记人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)

    history = HistoricalRecords(excluded_fields=["contact_phone"])

    class Meta:
        verbose_name = _("意见建议")
        verbose_name_plural = _("意见建议")
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(fields=["community", "status"], name="opinion_community_status"),
            models.Index(fields=["community", "submitted_at"], name="opinion_community_time"),
            models.Index(fields=["assignee", "status"], name="opinion_assignee_status"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_OPINION_STATUSES

    @property
    def contact_phone_masked(self) -> str:
        return mask_phone(self.contact_phone)

    @property
    def submitter_display(self) -> str:
        if self.submitter_kind == SubmitterKind.ANONYMOUS or not self.submitter_name:
            return "匿名"
        return self.submitter_name

    @property
    def rating_label(self) -> str:
        return SATISFACTION_LABELS.get(self.rating or 0, "")

    def overdue_since(self, today: datetime.date) -> datetime.date | None:
        """The day the opinion fell overdue: unanswered past its deadline, or an accepted promise
        not kept by its date. None when it is not overdue."""
        if not self.is_open:
            return None
        if self.answered_at is None:
            return self.answer_due_on if self.answer_due_on < today else None
        if self.promised_on and self.progress != Progress.DONE and self.promised_on < today:
            return self.promised_on
        return None

    @property
    def closure_days(self) -> int | None:
        if self.closed_at is None:
            return None
        return (timezone.localdate(self.closed_at) - timezone.localdate(self.submitted_at)).days

    def clean(self) -> None:
        self.clean_community()
        errors: dict[str, list[str]] = {}

        def add(field: str, message: str) -> None:
            errors.setdefault(field, []).append(message)

        phone = (self.contact_phone or "").strip()
        if phone and not (phone.isdigit() and 7 <= len(phone) <= 12):
            add("contact_phone", "联系电话应为 7 至 12 位数字（手机号为 11 位）。")
        if self.submitter_kind == SubmitterKind.ANONYMOUS and self.submitter_name:
            self.submitter_name = ""
        if self.source == OpinionSource.VISIT and self.visit_id is None:
            add("visit", "走访中收集的意见须关联走访记录。")
        if self.visit_id and self.community_id and self.visit.community_id != self.community_id:
            add("visit", "所选走访记录不属于该社区。")
        if self.answer_kind == AnswerKind.NOT_ACCEPTED and not self.not_accepted_reason.strip():
            add("not_accepted_reason", "不予采纳时请说明理由。")
        if self.answer_kind and not self.answer.strip():
            add("answer", "请填写答复内容。")
        if self.answer_kind == AnswerKind.ACCEPTED and self.promised_on is None:
            add("promised_on", "采纳的意见请填写承诺完成日期。")
        if self.promised_on and self.submitted_at and self.promised_on < timezone.localdate(self.submitted_at):
            add("promised_on", "承诺完成日期不能早于意见提出日期。")
        if self.progress == Progress.DONE and not self.progress_note.strip():
            add("progress_note", "请说明落实情况。")
        if errors:
            raise ValidationError(errors)


class Correction(CommunityRecord):
    """A change made because of what research and opinions showed (及时修正): what was changed,
    when, and the opinions (and research) behind it."""

    title = models.CharField(_("修正事项"), max_length=120)
    description = models.TextField(_("修正内容"), help_text=_("发现了什么问题，改了什么、怎么改的。"))
    corrected_on = models.DateField(_("修正日期"))
    research = models.ForeignKey(
        "Research",
        verbose_name=_("依据的调研"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
    )
    opinions = models.ManyToManyField(Opinion, verbose_name=_("依据的意见建议"), blank=True, related_name="corrections")
    by = models.ForeignKey(
        User, verbose_name=_("记录人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("及时修正")
        verbose_name_plural = _("及时修正")
        ordering = ["-corrected_on", "-pk"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        self.clean_community()
        errors: dict[str, list[str]] = {}
        if self.corrected_on and self.corrected_on > timezone.localdate():
            errors["corrected_on"] = ["修正日期不能晚于今天。"]
        if self.research_id and self.community_id and self.research.community_id != self.community_id:
            errors["research"] = ["所选调研记录不属于该社区。"]
        if errors:
            raise ValidationError(errors)
