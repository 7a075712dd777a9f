"""Stability risks (维稳隐患) and the consultations with residents that shape their solution."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from dangjian.core.models import User, district_key

from ..choices import (
    DEFAULT_RISK_STATE_DAYS,
    OPEN_RISK_STATUSES,
    ConsultationMethod,
    RiskCategory,
    RiskLevel,
    RiskOutcome,
    RiskStatus,
)
from .base import CommunityRecord


def risk_state_days() -> dict[str, int]:
    """Days a risk may stay in each open state before it is overdue (setting
    DANGJIAN_RISK_STATE_DAYS, each state falling back to its default)."""
    configured = getattr(settings, "DANGJIAN_RISK_STATE_DAYS", None) or {}
    return {state: int(configured.get(state, days)) for state, days in DEFAULT_RISK_STATE_DAYS.items()}


class Risk(CommunityRecord):
    """A stability risk in a community: what, where, who is involved, how serious. A major risk
    is researched first-hand (visits, cause, crux) and its solution is worked out with the
    residents before it can move on; it stays open until resolved or closed with an outcome."""

    title = models.CharField(_("隐患事项"), max_length=120)
    category = models.CharField(_("类别"), max_length=20, choices=RiskCategory.choices, default=RiskCategory.OTHER)
    level = models.CharField(_("等级"), max_length=10, choices=RiskLevel.choices, default=RiskLevel.GENERAL)
    location = models.CharField(_("地点"), max_length=120)
    involved = models.TextField(_("涉及人员"), help_text=_("涉及哪些居民、单位或群体。"))
    involved_count = models.PositiveIntegerField(_("涉及人数"), null=True, blank=True)
    description = models.TextField(_("具体情况"))
    reporter = models.CharField(
        _("信息来源"), max_length=60, blank=True, help_text=_("谁反映或发现的，如网格员、居民。")
    )
    reported_on = models.DateField(_("发现日期"))
    reported_by = models.ForeignKey(
        User, verbose_name=_("登记人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignee = models.ForeignKey(
        User, verbose_name=_("责任人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("状态"), max_length=20, choices=RiskStatus.choices, default=RiskStatus.REPORTED)
    status_since = models.DateField(_("进入当前状态日期"))
    research_started_on = models.DateField(_("开始调研日期"), null=True, blank=True)
    solution = models.TextField(_("解决方案"), blank=True)
    solution_on = models.DateField(_("方案拟定日期"), null=True, blank=True)
    resolution = models.TextField(_("化解情况"), blank=True)
    resolved_on = models.DateField(_("化解日期"), null=True, blank=True)
    outcome = models.CharField(_("关闭原因"), max_length=20, choices=RiskOutcome.choices, blank=True)
    outcome_note = models.TextField(_("关闭说明"), blank=True)
    closed_on = models.DateField(_("关闭日期"), null=True, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("维稳隐患")
        verbose_name_plural = _("维稳隐患")
        ordering = ["-reported_on", "-pk"]
        indexes = [models.Index(fields=["community", "status"], name="risk_community_status")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_RISK_STATUSES

    @property
    def is_major(self) -> bool:
        return self.level == RiskLevel.MAJOR

    def due_on(self, limits: dict[str, int] | None = None) -> datetime.date | None:
        """The last day the risk may stay in its current state (None once it is settled)."""
        if not self.is_open:
            return None
        limits = limits or risk_state_days()
        return self.status_since + datetime.timedelta(days=limits[self.status])

    def days_overdue(self, today: datetime.date, limits: dict[str, int] | None = None) -> int:
        due = self.due_on(limits)
        return max(0, (today - due).days) if due else 0

    def clean(self) -> None:
        self.clean_community()
        errors: dict[str, list[str]] = {}
        if self.involved_count is not None and self.involved_count == 0:
            errors.setdefault("involved_count", []).append("涉及人数应大于 0，不清楚可留空。")
        if self.reported_on and self.reported_on > timezone.localdate():
            errors.setdefault("reported_on", []).append("发现日期不能晚于今天。")
        if self.status == RiskStatus.SOLUTION and not self.solution.strip():
            errors.setdefault("solution", []).append("请填写解决方案。")
        if self.status == RiskStatus.RESOLVED and not self.resolution.strip():
            errors.setdefault("resolution", []).append("请填写化解情况。")
        if self.status == RiskStatus.CLOSED and not self.outcome:
            errors.setdefault("outcome", []).append("请选择关闭原因。")
        if errors:
            raise ValidationError(errors)


class Consultation(models.Model):
    """A consultation with residents on a risk's solution: who was consulted, how, and what
    they said (依靠群众, 拿出解决方案)."""

    scope_path = "risk__community__path"

    risk = models.ForeignKey(Risk, verbose_name=_("维稳隐患"), on_delete=models.PROTECT, related_name="consultations")
    district = district_key()
    consulted_on = models.DateField(_("协商日期"))
    method = models.CharField(_("方式"), max_length=20, choices=ConsultationMethod.choices)
    participants = models.CharField(
        _("参加居民"), max_length=200, help_text=_("征求了哪些居民的意见，如：3栋业主代表、楼栋长。")
    )
    participant_count = models.PositiveIntegerField(_("人数"))
    opinions = models.TextField(_("居民意见"), help_text=_("居民怎么说，对方案有什么意见。"))
    by = models.ForeignKey(
        User, verbose_name=_("记录人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("群众协商")
        verbose_name_plural = _("群众协商")
        ordering = ["consulted_on", "pk"]

    def __str__(self) -> str:
        return f"{self.risk} · {self.participants}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.district_id = self.risk.district_id
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.participant_count == 0:
            raise ValidationError({"participant_count": "人数应大于 0。"})
