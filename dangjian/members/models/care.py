"""Care (帮扶): assistance and visits for members in hardship, elderly or ill."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from dangjian.core.models import User, district_key

from ..choices import AssistanceKind, CareForm, HardshipKind
from .registry import Member


class CareRecord(models.Model):
    """One act of care for a member: a visit, a call, help given, and what should follow."""

    scope_path = "member__branch__path"

    member = models.ForeignKey(Member, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="care_records")
    hardship = models.CharField(_("困难类型"), max_length=20, choices=HardshipKind.choices)
    form = models.CharField(_("帮扶形式"), max_length=20, choices=CareForm.choices)
    cared_on = models.DateField(_("日期"))
    carers = models.CharField(_("参与人员"), max_length=120)
    situation = models.TextField(_("了解到的情况"))
    assistance = models.CharField(_("帮扶内容"), max_length=20, choices=AssistanceKind.choices, default="none")
    amount = models.DecimalField(
        _("金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    follow_up = models.CharField(_("后续安排"), max_length=200, blank=True)
    next_visit_on = models.DateField(_("下次走访日期"), null=True, blank=True)
    district = district_key()
    recorded_by = models.ForeignKey(
        User, verbose_name=_("登记人"), null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("帮扶记录")
        verbose_name_plural = _("帮扶记录")
        ordering = ["-cared_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.member.name} · {self.get_form_display()} · {self.cared_on:%Y-%m-%d}"

    def save(self, *args, **kwargs) -> None:
        self.district_id = self.member.district_id
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.cared_on and self.cared_on > timezone.localdate():
            errors["cared_on"] = "日期不能晚于今天。"
        if self.assistance == AssistanceKind.MONEY and not self.amount:
            errors["amount"] = "发放慰问金请填写金额。"
        if self.next_visit_on and self.cared_on and self.next_visit_on <= self.cared_on:
            errors["next_visit_on"] = "下次走访日期应晚于本次日期。"
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def scope_self(user: User) -> Q:
        """A member sees only the care given to them."""
        return Q(member__user=user)
