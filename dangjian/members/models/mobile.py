"""Mobile members (流动党员): members of a branch living away (outflow), and members from
elsewhere taking part in a branch's life here (inflow), with the log of every contact."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from dangjian.core.crypto import EncryptedCharField, mask_phone
from dangjian.core.models import User, district_key

from ..choices import ContactChannel, ContactResult, MobileDirection, MobileReason, MobileStatus
from .registry import Member


class MobileMember(models.Model):
    """A member away from their branch (outflow) or here from elsewhere (inflow).

    An inflow member is registered as a `Member` of the host branch with status `inflow`: they
    attend its meetings and appear on its lists, but their relationship (and their vote) stays
    with `counterpart`.
    """

    scope_path = "member__branch__path"

    direction = models.CharField(_("流向"), max_length=10, choices=MobileDirection.choices)
    status = models.CharField(_("状态"), max_length=10, choices=MobileStatus.choices, default=MobileStatus.AWAY)
    member = models.ForeignKey(Member, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="mobility")
    # Outflow: where the member went; inflow: where the member came from.
    place = models.CharField(_("流动地点"), max_length=120)
    counterpart = models.CharField(_("对方党组织"), max_length=120, blank=True)
    reason = models.CharField(_("流动原因"), max_length=20, choices=MobileReason.choices)
    reason_note = models.CharField(_("原因说明"), max_length=200, blank=True)
    since = models.DateField(_("流动开始日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    contact_phone = EncryptedCharField(_("联系电话"), blank=True)
    contact_other = models.CharField(_("其他联系方式"), max_length=100, blank=True)
    card_number = models.CharField(_("流动党员活动证号"), max_length=40, blank=True)
    last_contact_on = models.DateField(_("最近联系日期"), null=True, blank=True, editable=False)
    district = district_key()
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["contact_phone"])

    class Meta:
        verbose_name = _("流动党员")
        verbose_name_plural = _("流动党员")
        ordering = ["-since", "-pk"]
        indexes = [models.Index(fields=["status", "last_contact_on"], name="mobile_status_contact")]
        constraints = [
            models.UniqueConstraint(
                fields=["member"], condition=Q(status=MobileStatus.AWAY), name="mobile_one_open_per_member"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member.name} · {self.get_direction_display()} · {self.place}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.contact_phone = (self.contact_phone or "").strip()
        self.district_id = self.member.district_id
        super().save(*args, **kwargs)

    @property
    def contact_phone_masked(self) -> str:
        return mask_phone(self.contact_phone)

    @property
    def days_since_contact(self) -> int:
        last = self.last_contact_on or self.since
        return (timezone.localdate() - last).days

    def clean(self) -> None:
        errors: dict[str, str] = {}
        today = timezone.localdate()
        if self.since and self.since > today:
            errors["since"] = "流动开始日期不能晚于今天。"
        if self.ended_on and self.since and self.ended_on < self.since:
            errors["ended_on"] = "结束日期不能早于流动开始日期。"
        if self.direction == MobileDirection.INFLOW and not self.counterpart.strip():
            errors["counterpart"] = "流入党员请填写组织关系所在的党组织。"
        phone = self.contact_phone.strip()
        if phone and not (phone.isdigit() and len(phone) == 11 and phone.startswith("1")):
            errors["contact_phone"] = "手机号码应为 1 开头的 11 位数字。"
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def scope_self(user: User) -> Q:
        """A member sees only their own mobility records."""
        return Q(member__user=user)


class ContactLog(models.Model):
    """One attempt to reach a mobile member: when, how, by whom, and whether it succeeded."""

    scope_path = "mobile__member__branch__path"

    mobile = models.ForeignKey(
        MobileMember, verbose_name=_("流动党员"), on_delete=models.CASCADE, related_name="contacts"
    )
    district = district_key()
    contacted_on = models.DateField(_("联系日期"))
    channel = models.CharField(_("联系方式"), max_length=20, choices=ContactChannel.choices)
    result = models.CharField(_("联系结果"), max_length=20, choices=ContactResult.choices)
    notes = models.TextField(_("情况记录"), blank=True)
    by = models.ForeignKey(User, verbose_name=_("联系人"), null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("联系记录")
        verbose_name_plural = _("联系记录")
        ordering = ["-contacted_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.mobile.member.name} · {self.contacted_on:%Y-%m-%d}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.district_id = self.mobile.district_id
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.contacted_on and self.contacted_on > timezone.localdate():
            raise ValidationError({"contacted_on": "联系日期不能晚于今天。"})
        if self.mobile_id and self.contacted_on and self.contacted_on < self.mobile.since:
            raise ValidationError({"contacted_on": "联系日期不能早于流动开始日期。"})

    @staticmethod
    def scope_self(user: User) -> Q:
        """A member sees only the contacts logged about them."""
        return Q(mobile__member__user=user)
