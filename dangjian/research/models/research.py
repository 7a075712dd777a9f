"""Research records (调研): the first-hand findings behind a risk's solution, an event's plan, or
a periodic round of visits."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from dangjian.core.models import User

from ..choices import ResearchKind, ResearchMethod
from .base import CommunityRecord

# What each kind of research must state, by field: the article's three occasions.
REQUIRED_BY_KIND: dict[str, tuple[str, ...]] = {
    # 掌握第一手资料，找出问题的起因和症结
    ResearchKind.RISK: ("first_hand", "cause", "crux"),
    # 在针对性和实效性上下功夫：居民要什么、为什么办、要达到什么效果
    ResearchKind.EVENT: ("residents_want", "purpose", "goals"),
    # 找到工作中的问题和不足
    ResearchKind.PERIODIC: ("first_hand", "conclusion"),
}


class Research(CommunityRecord):
    """One piece of research: when, how, by whom, and what it found. A risk's research states
    the first-hand facts, the cause and the crux; an event's research states what residents want,
    why this event and what it should achieve; a periodic research its findings and conclusions."""

    kind = models.CharField(_("调研类型"), max_length=20, choices=ResearchKind.choices)
    risk = models.ForeignKey(
        "Risk", verbose_name=_("维稳隐患"), null=True, blank=True, on_delete=models.PROTECT, related_name="researches"
    )
    event = models.ForeignKey(
        "Event", verbose_name=_("大型活动"), null=True, blank=True, on_delete=models.PROTECT, related_name="researches"
    )
    round = models.ForeignKey(
        "ResearchRound",
        verbose_name=_("走访轮次"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="researches",
    )
    title = models.CharField(_("调研题目"), max_length=120)
    conducted_from = models.DateField(_("调研开始日期"))
    conducted_to = models.DateField(_("调研结束日期"))
    methods = models.JSONField(_("调研方式"), default=list)
    researchers = models.CharField(_("调研人员"), max_length=200)
    people_reached = models.PositiveIntegerField(_("走访或座谈人数"), default=0)
    first_hand = models.TextField(_("掌握的第一手情况"), blank=True)
    cause = models.TextField(_("问题起因"), blank=True)
    crux = models.TextField(_("问题症结"), blank=True)
    residents_want = models.TextField(_("居民需求"), blank=True)
    purpose = models.TextField(_("为何举办"), blank=True)
    goals = models.TextField(_("预期效果"), blank=True)
    conclusion = models.TextField(_("结论与建议"), blank=True)
    by = models.ForeignKey(
        User, verbose_name=_("记录人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("调研记录")
        verbose_name_plural = _("调研记录")
        ordering = ["-conducted_to", "-pk"]
        indexes = [models.Index(fields=["community", "kind"], name="research_community_kind")]

    def __str__(self) -> str:
        return self.title

    def methods_display(self) -> str:
        labels = dict(ResearchMethod.choices)
        return "、".join(str(labels.get(method, method)) for method in self.methods or [])

    def clean(self) -> None:
        self.clean_community()
        errors: dict[str, list[str]] = {}

        def add(field: str, message: str) -> None:
            errors.setdefault(field, []).append(message)

        for field in REQUIRED_BY_KIND.get(self.kind, ()):
            if not (getattr(self, field) or "").strip():
                add(field, f"请填写{self._meta.get_field(field).verbose_name}。")
        if not self.methods:
            add("methods", "请选择至少一种调研方式。")
        elif any(method not in ResearchMethod.values for method in self.methods):
            add("methods", "调研方式无效。")
        if self.conducted_from and self.conducted_to:
            if self.conducted_to < self.conducted_from:
                add("conducted_to", "调研结束日期不能早于开始日期。")
            if self.conducted_to > timezone.localdate():
                add("conducted_to", "调研结束日期不能晚于今天：请在调研完成后记录。")
        links = {ResearchKind.RISK: "risk", ResearchKind.EVENT: "event"}
        for kind, field in links.items():
            linked = getattr(self, f"{field}_id")
            if self.kind == kind and linked is None:
                add(field, f"请选择所调研的{self._meta.get_field(field).verbose_name}。")
            if self.kind != kind and linked is not None:
                add(field, f"{self.get_kind_display()}不关联{self._meta.get_field(field).verbose_name}。")
            if linked is not None and self.community_id and getattr(self, field).community_id != self.community_id:
                add(field, f"所选{self._meta.get_field(field).verbose_name}不属于该社区。")
        if self.round_id and self.community_id and self.round.community_id != self.community_id:
            add("round", "所选走访轮次不属于该社区。")
        if errors:
            raise ValidationError(errors)
