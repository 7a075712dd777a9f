"""Party dues (党费): the bracket rules kept as data, each member's income base per year, the
monthly ledger, payments, and reductions or exemptions approved by the organization.

Money is Decimal throughout. The monthly amount is the income times the bracket's rate, rounded
half-up to the fen (0.01 yuan); see docs/dues.md.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from dangjian.core.models import User, district_key

from ..choices import ApprovalStatus, DuesMonthStatus, IncomeClass, PaymentKind, PaymentMethod, ReliefKind
from .registry import Member

FEN = Decimal("0.01")
ZERO = Decimal("0.00")


def to_fen(amount: Decimal) -> Decimal:
    """Round to the fen, half up (0.005 → 0.01), as a cashier would."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


class DuesRule(models.Model):
    """One bracket: for an income class, the monthly income up to `upper_bound` (inclusive; the
    last bracket has none) pays `rate_percent` of it, or a fixed monthly amount."""

    income_class = models.CharField(_("收入类别"), max_length=20, choices=IncomeClass.choices)
    upper_bound = models.DecimalField(_("月收入上限（含）"), max_digits=12, decimal_places=2, null=True, blank=True)
    rate_percent = models.DecimalField(
        _("交纳比例（%）"), max_digits=5, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    fixed_amount = models.DecimalField(
        _("固定月额（元）"), max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("党费交纳标准")
        verbose_name_plural = _("党费交纳标准")
        ordering = ["income_class", models.F("upper_bound").asc(nulls_last=True)]
        constraints = [
            models.UniqueConstraint(fields=["income_class", "upper_bound"], name="dues_rule_bracket_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_income_class_display()} · {self.describe()}"

    def describe(self) -> str:
        if self.fixed_amount is not None:
            return f"每月 {self.fixed_amount} 元"
        bound = f"{self.upper_bound} 元及以下" if self.upper_bound is not None else "以上"
        return f"{bound}：{self.rate_percent.normalize()}%"

    def clean(self) -> None:
        if (self.rate_percent is None) == (self.fixed_amount is None):
            raise ValidationError({"rate_percent": "请填写交纳比例或固定月额，二者只填一项。"})


def monthly_amount(income_class: str, income: Decimal, rules: list[DuesRule]) -> Decimal:
    """The monthly dues for `income` under `rules` (the rows of one income class or all)."""
    brackets = sorted(
        (rule for rule in rules if rule.income_class == income_class),
        key=lambda rule: (rule.upper_bound is None, rule.upper_bound or ZERO),
    )
    for rule in brackets:
        if rule.upper_bound is None or income <= rule.upper_bound:
            if rule.fixed_amount is not None:
                return to_fen(rule.fixed_amount)
            return to_fen(income * rule.rate_percent / Decimal(100))
    raise ValidationError({"income_class": "该收入类别没有适用的党费交纳标准，请联系区委组织部。"})


class MemberBoundMixin:
    """Rows that belong to a member take the member's district key."""

    def save(self, *args, **kwargs) -> None:
        self.district_id = self.member.district_id
        super().save(*args, **kwargs)  # type: ignore[misc]


class DuesBase(MemberBoundMixin, models.Model):
    """A member's income base for one year and the monthly amount it gives."""

    scope_path = "member__branch__path"

    member = models.ForeignKey(Member, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="dues_bases")
    district = district_key()
    year = models.PositiveSmallIntegerField(_("年度"))
    income_class = models.CharField(_("收入类别"), max_length=20, choices=IncomeClass.choices)
    monthly_income = models.DecimalField(
        _("月收入（元）"), max_digits=12, decimal_places=2, default=ZERO, validators=[MinValueValidator(0)]
    )
    monthly_amount = models.DecimalField(_("月交纳额（元）"), max_digits=12, decimal_places=2, editable=False)
    set_by = models.ForeignKey(User, verbose_name=_("核定人"), null=True, on_delete=models.SET_NULL, related_name="+")
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("党费基数")
        verbose_name_plural = _("党费基数")
        ordering = ["-year", "member"]
        constraints = [models.UniqueConstraint(fields=["member", "year"], name="dues_base_member_year")]

    def __str__(self) -> str:
        return f"{self.member.name} · {self.year} · {self.monthly_amount} 元/月"

    @staticmethod
    def scope_self(user: User) -> Q:
        """A member sees only their own dues records."""
        return Q(member__user=user)


class DuesRelief(MemberBoundMixin, models.Model):
    """A reduction or exemption of a member's dues for some months: only an approved one applies,
    and the one who decides is not the one who asked."""

    scope_path = "member__branch__path"

    member = models.ForeignKey(Member, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="dues_reliefs")
    district = district_key()
    kind = models.CharField(_("类型"), max_length=20, choices=ReliefKind.choices)
    start_month = models.DateField(_("起始月份"))
    end_month = models.DateField(_("截止月份"))
    reduced_amount = models.DecimalField(
        _("减交后月额（元）"), max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    reason = models.TextField(_("原因"))
    status = models.CharField(
        _("审批状态"), max_length=20, choices=ApprovalStatus.choices, default=ApprovalStatus.REQUESTED
    )
    requested_by = models.ForeignKey(
        User, verbose_name=_("申请经办人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        User, verbose_name=_("审批人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=200, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("党费减免")
        verbose_name_plural = _("党费减免")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.member.name} · {self.get_kind_display()} · {self.get_status_display()}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.start_month and self.end_month and self.end_month < self.start_month:
            errors["end_month"] = "截止月份不能早于起始月份。"
        if self.kind == ReliefKind.REDUCTION and self.reduced_amount is None:
            errors["reduced_amount"] = "减交请填写减交后的月额。"
        if self.kind == ReliefKind.EXEMPTION and self.reduced_amount:
            errors["reduced_amount"] = "免交不需要填写月额。"
        if not (self.reason or "").strip():
            errors["reason"] = "请填写减免原因。"
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def scope_self(user: User) -> Q:
        """A member sees only their own dues records."""
        return Q(member__user=user)


class DuesPayment(MemberBoundMixin, models.Model):
    """Money received for one or more months of a member's ledger."""

    scope_path = "member__branch__path"

    member = models.ForeignKey(Member, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="dues_payments")
    district = district_key()
    kind = models.CharField(_("交纳方式"), max_length=20, choices=PaymentKind.choices, default=PaymentKind.SELF)
    method = models.CharField(_("支付方式"), max_length=20, choices=PaymentMethod.choices, default=PaymentMethod.CASH)
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2)
    paid_on = models.DateField(_("交纳日期"))
    payer_name = models.CharField(_("代缴人"), max_length=50, blank=True)
    receipt_number = models.CharField(_("收据号"), max_length=40, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        User, verbose_name=_("登记人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("党费交纳记录")
        verbose_name_plural = _("党费交纳记录")
        ordering = ["-paid_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.member.name} · {self.amount} 元 · {self.paid_on:%Y-%m-%d}"

    def clean(self) -> None:
        if self.paid_on and self.paid_on > timezone.localdate():
            raise ValidationError({"paid_on": "交纳日期不能晚于今天。"})
        if self.kind == PaymentKind.PROXY and not self.payer_name.strip():
            raise ValidationError({"payer_name": "代缴请填写代缴人姓名。"})

    @staticmethod
    def scope_self(user: User) -> Q:
        """A member sees only their own dues records."""
        return Q(member__user=user)


class DuesMonth(MemberBoundMixin, models.Model):
    """One month of one member's ledger: what is due and whether it was paid. A month is paid by
    exactly one payment; recording it twice is refused."""

    scope_path = "member__branch__path"

    # Indexed by the (member, month) unique constraint, which leads with it: a second, narrower index
    # leads the planner to fetch every month of a member to filter by month.
    member = models.ForeignKey(
        Member, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="dues_months", db_index=False
    )
    district = district_key()
    month = models.DateField(_("月份"))
    amount_due = models.DecimalField(_("应交（元）"), max_digits=12, decimal_places=2)
    status = models.CharField(_("状态"), max_length=10, choices=DuesMonthStatus.choices, default=DuesMonthStatus.DUE)
    payment = models.ForeignKey(
        DuesPayment, verbose_name=_("交纳记录"), null=True, blank=True, on_delete=models.PROTECT, related_name="months"
    )
    relief = models.ForeignKey(
        DuesRelief, verbose_name=_("减免"), null=True, blank=True, on_delete=models.PROTECT, related_name="months"
    )
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)

    class Meta:
        verbose_name = _("党费月账")
        verbose_name_plural = _("党费月账")
        ordering = ["member", "month"]
        constraints = [models.UniqueConstraint(fields=["member", "month"], name="dues_month_member_month")]
        indexes = [
            models.Index(fields=["month", "status"], name="dues_month_month_status"),
            # Arrears: the few months still due, per member (most months are paid).
            models.Index(
                fields=["member", "month"],
                name="dues_month_due",
                condition=models.Q(status="due"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member.name} · {self.month:%Y-%m} · {self.get_status_display()}"

    @staticmethod
    def scope_self(user: User) -> Q:
        """A member sees only their own dues records."""
        return Q(member__user=user)
