"""Large community events (大型活动): the plan with its people, money and materials, the
sub-district's approval, and the review after the event."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from dangjian.core.models import User

from ..choices import EventKind, EventStatus
from .base import CommunityRecord

MONEY = {"max_digits": 12, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}


class Event(CommunityRecord):
    """A large event a community plans. The sub-district approves it only once a pre-event
    research record says what residents want, why this event, and what it should achieve; after
    the event the community reviews turnout, spending and feedback."""

    title = models.CharField(_("活动名称"), max_length=120)
    kind = models.CharField(_("活动类型"), max_length=20, choices=EventKind.choices)
    purpose = models.TextField(_("活动目的"))
    planned_on = models.DateField(_("活动日期"))
    time_note = models.CharField(_("时间安排"), max_length=60, blank=True, help_text=_("如：上午 9:00—11:30。"))
    place = models.CharField(_("活动地点"), max_length=120)
    audience = models.CharField(_("面向对象"), max_length=120, blank=True)
    expected_participants = models.PositiveIntegerField(_("预计参加人数"))
    staff = models.TextField(_("人员安排"), help_text=_("负责人、工作人员和志愿者的分工。"))
    staff_count = models.PositiveIntegerField(_("工作人员人数"))
    budget = models.DecimalField(_("经费预算（元）"), **MONEY)
    budget_note = models.TextField(_("经费明细"), blank=True)
    funding_source = models.CharField(_("经费来源"), max_length=120, blank=True)
    materials = models.TextField(_("物资准备"))
    status = models.CharField(_("状态"), max_length=20, choices=EventStatus.choices, default=EventStatus.DRAFT)
    created_by = models.ForeignKey(
        User, verbose_name=_("制定人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(_("报批时间"), null=True, blank=True)
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        User, verbose_name=_("审批人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approval_note = models.TextField(_("审批意见"), blank=True)
    returned_at = models.DateTimeField(_("退回时间"), null=True, blank=True)
    return_reason = models.TextField(_("退回理由"), blank=True)
    actual_participants = models.PositiveIntegerField(_("实际参加人数"), null=True, blank=True)
    actual_spend = models.DecimalField(_("实际支出（元）"), null=True, blank=True, **MONEY)
    feedback = models.TextField(_("群众反馈"), blank=True)
    review_summary = models.TextField(_("效果评估"), blank=True)
    reviewed_at = models.DateTimeField(_("复盘时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        User, verbose_name=_("复盘人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancel_reason = models.TextField(_("取消原因"), blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("大型活动")
        verbose_name_plural = _("大型活动")
        ordering = ["-planned_on", "-pk"]
        indexes = [models.Index(fields=["community", "status"], name="event_community_status")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_editable(self) -> bool:
        return self.status in (EventStatus.DRAFT, EventStatus.RETURNED)

    @property
    def spend_difference(self) -> Decimal | None:
        """Actual spending less the budget (negative: under budget)."""
        if self.actual_spend is None:
            return None
        return self.actual_spend - self.budget

    def clean(self) -> None:
        self.clean_community()
        errors: dict[str, list[str]] = {}
        if self.expected_participants == 0:
            errors.setdefault("expected_participants", []).append("预计参加人数应大于 0。")
        if self.status == EventStatus.REVIEWED:
            if self.actual_participants is None:
                errors.setdefault("actual_participants", []).append("请填写实际参加人数。")
            if self.actual_spend is None:
                errors.setdefault("actual_spend", []).append("请填写实际支出，没有支出填 0。")
            if not self.feedback.strip():
                errors.setdefault("feedback", []).append("请填写群众反馈。")
        if errors:
            raise ValidationError(errors)
