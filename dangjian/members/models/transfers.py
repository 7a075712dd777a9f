"""Relationship transfers (组织关系转接) and the introduction letters (介绍信) that travel with
them: out of the district, into it, and between branches inside it."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from dangjian.core.choices import OrgKind
from dangjian.core.crypto import EncryptedCharField, blind_index, mask_id_number, mask_phone
from dangjian.core.models import OrgUnit, User, district_key

from ..choices import Gender, MembershipType, TransferDirection, TransferStatus
from .registry import Member


class LetterSequence(models.Model):
    """The last letter number issued in a district in a year: letters are numbered per year, and
    the service takes the next number under a row lock so that two cadres never share one."""

    district = models.ForeignKey(OrgUnit, verbose_name=_("所属区"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    last_number = models.PositiveIntegerField(_("最后编号"), default=0)

    class Meta:
        verbose_name = _("介绍信编号")
        verbose_name_plural = _("介绍信编号")
        constraints = [models.UniqueConstraint(fields=["district", "year"], name="letter_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.year} · {self.last_number}"


class TransferQuerySet(models.QuerySet["Transfer"]):
    def open(self) -> TransferQuerySet:
        return self.filter(status__in=(TransferStatus.ISSUED, TransferStatus.RECEIVED))

    def expiring_within(self, days: int, today: datetime.date | None = None) -> TransferQuerySet:
        today = today or timezone.localdate()
        return self.filter(status=TransferStatus.ISSUED, expires_on__lte=today + datetime.timedelta(days=days))


class Transfer(models.Model):
    """One move of a member's Party relationship, with its introduction letter.

    - `transfer_out`: a member of `branch` leaves for an organization outside the platform
      (`counterpart`); the letter is issued here and should be reported at the destination
      before it expires; an expired letter never reported opens a pocket-member case.
    - `transfer_in`: a letter received from `counterpart`; the person is registered as a member
      of `branch` (the receiving branch), which creates the member record.
    - `within`: from `branch` to `to_branch`, both in the district; reporting moves the member.
    """

    scope_path = "branch__path"

    direction = models.CharField(_("转接类型"), max_length=20, choices=TransferDirection.choices)
    status = models.CharField(_("状态"), max_length=20, choices=TransferStatus.choices)
    member = models.ForeignKey(
        Member, verbose_name=_("党员"), null=True, blank=True, on_delete=models.PROTECT, related_name="transfers"
    )
    # The person as the letter names them (for an incoming letter, before a member record exists).
    name = models.CharField(_("姓名"), max_length=50)
    gender = models.CharField(_("性别"), max_length=10, choices=Gender.choices, blank=True)
    id_number = EncryptedCharField(_("公民身份号码"))
    id_number_index = models.CharField(_("身份号码索引"), max_length=40, editable=False, db_index=True)
    membership_type = models.CharField(
        _("党员类型"), max_length=20, choices=MembershipType.choices, default=MembershipType.FULL
    )
    phone = EncryptedCharField(_("联系电话"), blank=True)
    branch = models.ForeignKey(
        OrgUnit,
        verbose_name=_("本方党支部"),
        on_delete=models.PROTECT,
        related_name="transfers",
        limit_choices_to={"kind": OrgKind.BRANCH},
    )
    to_branch = models.ForeignKey(
        OrgUnit,
        verbose_name=_("转入党支部"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incoming_transfers",
        limit_choices_to={"kind": OrgKind.BRANCH},
    )
    counterpart = models.CharField(_("对方党组织"), max_length=120, blank=True)
    reason = models.CharField(_("转接原因"), max_length=200, blank=True)
    letter_number = models.CharField(_("介绍信编号"), max_length=40, blank=True)
    letter_year = models.PositiveSmallIntegerField(_("介绍信年度"), null=True, blank=True)
    letter_seq = models.PositiveIntegerField(_("介绍信序号"), null=True, blank=True)
    issued_on = models.DateField(_("开具/收到日期"))
    valid_days = models.PositiveSmallIntegerField(_("有效期（天）"), default=30)
    expires_on = models.DateField(_("有效期至"), null=True, blank=True)
    # Dues are paid up to and including this month (its first day).
    dues_paid_until = models.DateField(_("党费交至"), null=True, blank=True)
    reported_on = models.DateField(_("报到日期"), null=True, blank=True)
    closed_note = models.CharField(_("办理说明"), max_length=200, blank=True)
    district = district_key()
    created_by = models.ForeignKey(
        User, verbose_name=_("经办人"), null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["id_number", "phone"])
    objects = TransferQuerySet.as_manager()

    class Meta:
        verbose_name = _("组织关系转接")
        verbose_name_plural = _("组织关系转接")
        ordering = ["-issued_on", "-pk"]
        indexes = [
            models.Index(fields=["status", "expires_on"], name="transfer_status_expiry"),
            models.Index(fields=["branch", "status"], name="transfer_branch_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "letter_year", "letter_seq"],
                condition=Q(letter_seq__isnull=False),
                name="transfer_letter_number_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} · {self.name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.id_number = (self.id_number or "").strip().upper()
        self.id_number_index = blind_index(self.id_number) if self.id_number else ""
        self.phone = (self.phone or "").strip()
        self.district_id = self.branch.district_id
        if self.direction != TransferDirection.IN and self.issued_on and self.valid_days:
            self.expires_on = self.issued_on + datetime.timedelta(days=self.valid_days)
        super().save(*args, **kwargs)

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    @property
    def is_open(self) -> bool:
        return self.status in (TransferStatus.ISSUED, TransferStatus.RECEIVED)

    @property
    def days_left(self) -> int | None:
        if self.expires_on is None or self.status != TransferStatus.ISSUED:
            return None
        return (self.expires_on - timezone.localdate()).days

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.branch_id and self.branch.kind != OrgKind.BRANCH:
            errors["branch"] = "请选择党支部。"
        if self.direction == TransferDirection.WITHIN:
            if not self.to_branch_id:
                errors["to_branch"] = "区内转接请选择转入的党支部。"
            elif self.to_branch_id == self.branch_id:
                errors["to_branch"] = "转入党支部不能与原党支部相同。"
            elif self.to_branch.kind != OrgKind.BRANCH:
                errors["to_branch"] = "请选择党支部。"
        elif self.direction == TransferDirection.OUT and not self.counterpart.strip():
            errors["counterpart"] = "请填写转往的党组织名称。"
        elif self.direction == TransferDirection.IN and not self.counterpart.strip():
            errors["counterpart"] = "请填写开具介绍信的党组织名称。"
        if self.issued_on and self.issued_on > timezone.localdate():
            errors["issued_on"] = "日期不能晚于今天。"
        if self.direction != TransferDirection.IN and not (1 <= (self.valid_days or 0) <= 365):
            errors["valid_days"] = "有效期应为 1 至 365 天。"
        if self.reported_on and self.issued_on and self.reported_on < self.issued_on:
            errors["reported_on"] = "报到日期不能早于开具日期。"
        if self.dues_paid_until and self.dues_paid_until.day != 1:
            self.dues_paid_until = self.dues_paid_until.replace(day=1)
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def scope_self(user: User) -> Q:
        """A member sees only their own transfers."""
        return Q(member__user=user)
