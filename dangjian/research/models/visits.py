"""Periodic research (定期调研): rounds of visits, the members and households each cadre is to
visit, and the visit records."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from dangjian.core.models import User, district_key

from ..choices import TargetKind, VisitMethod
from .base import CommunityRecord


def quarter_of(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and last day of the calendar quarter holding `day`."""
    first_month = (day.month - 1) // 3 * 3 + 1
    start = day.replace(month=first_month, day=1)
    next_start = (
        start.replace(year=start.year + 1, month=1) if first_month == 10 else start.replace(month=first_month + 3)
    )
    return start, next_start - datetime.timedelta(days=1)


def quarter_title(day: datetime.date) -> str:
    return f"{day.year}年第{'一二三四'[(day.month - 1) // 3]}季度走访"


class ResearchRound(CommunityRecord):
    """A scheduled round of visits to members and residents (quarterly by default): cadres are
    assigned members and households by grid or building, and each visit counts toward coverage."""

    title = models.CharField(_("轮次名称"), max_length=120)
    period_start = models.DateField(_("开始日期"))
    period_end = models.DateField(_("结束日期"))
    notes = models.TextField(_("走访要求"), blank=True)
    closed_on = models.DateField(_("结束登记日期"), null=True, blank=True)
    created_by = models.ForeignKey(
        User, verbose_name=_("创建人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("走访轮次")
        verbose_name_plural = _("走访轮次")
        ordering = ["-period_start", "-pk"]
        indexes = [models.Index(fields=["community", "period_end"], name="round_community_end")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.closed_on is None

    def clean(self) -> None:
        self.clean_community()
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValidationError({"period_end": "结束日期不能早于开始日期。"})


class VisitTarget(models.Model):
    """A member or a household a cadre is to visit in a round."""

    scope_path = "round__community__path"

    round = models.ForeignKey(
        ResearchRound, verbose_name=_("走访轮次"), on_delete=models.PROTECT, related_name="targets"
    )
    district = district_key()
    kind = models.CharField(_("对象类型"), max_length=20, choices=TargetKind.choices)
    member = models.ForeignKey(
        "members.Member", verbose_name=_("党员"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    label = models.CharField(_("走访对象"), max_length=100)
    grid = models.CharField(_("网格"), max_length=40, blank=True)
    building = models.CharField(_("楼栋"), max_length=40, blank=True)
    cadre = models.ForeignKey(User, verbose_name=_("负责干部"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("分派时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("走访对象")
        verbose_name_plural = _("走访对象")
        ordering = ["round", "grid", "building", "label", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "member"], condition=Q(member__isnull=False), name="visit_target_member_once"
            ),
            models.UniqueConstraint(
                fields=["round", "label"], condition=Q(member__isnull=True), name="visit_target_household_once"
            ),
        ]
        indexes = [models.Index(fields=["round", "cadre"], name="visit_target_round_cadre")]

    def __str__(self) -> str:
        return self.label

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.district_id = self.round.district_id
        super().save(*args, **kwargs)


class Visit(CommunityRecord):
    """One visit (走访): whom, when, how, what was talked about. Opinions raised in it become
    Opinion records linked to it."""

    round = models.ForeignKey(
        ResearchRound,
        verbose_name=_("走访轮次"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
    )
    target = models.ForeignKey(
        VisitTarget, verbose_name=_("走访对象"), null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )
    risk = models.ForeignKey(
        "Risk", verbose_name=_("维稳隐患"), null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )
    visitor = models.ForeignKey(User, verbose_name=_("走访干部"), on_delete=models.PROTECT, related_name="+")
    visited_on = models.DateField(_("走访日期"))
    method = models.CharField(_("走访方式"), max_length=20, choices=VisitMethod.choices, default=VisitMethod.DOOR)
    whom = models.CharField(_("走访对象"), max_length=100)
    member = models.ForeignKey(
        "members.Member", verbose_name=_("党员"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(_("地点"), max_length=120, blank=True)
    topics = models.TextField(_("走访内容"))
    situation = models.TextField(_("了解到的情况"), blank=True)
    by = models.ForeignKey(
        User, verbose_name=_("记录人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        ordering = ["-visited_on", "-pk"]
        indexes = [
            models.Index(fields=["community", "visited_on"], name="visit_community_day"),
            models.Index(fields=["visitor", "visited_on"], name="visit_visitor_day"),
        ]

    def __str__(self) -> str:
        return f"{self.whom}（{self.visited_on:%Y-%m-%d}）"

    def clean(self) -> None:
        self.clean_community()
        errors: dict[str, list[str]] = {}
        if self.visited_on and self.visited_on > timezone.localdate():
            errors.setdefault("visited_on", []).append("走访日期不能晚于今天。")
        if self.target_id:
            if self.round_id is None:
                self.round = self.target.round
            if self.target.round_id != self.round_id:
                errors.setdefault("target", []).append("走访对象不属于该走访轮次。")
        if self.round_id and self.community_id and self.round.community_id != self.community_id:
            errors.setdefault("round", []).append("所选走访轮次不属于该社区。")
        if self.risk_id and self.community_id and self.risk.community_id != self.community_id:
            errors.setdefault("risk", []).append("所选维稳隐患不属于该社区。")
        if errors:
            raise ValidationError(errors)
