"""Forms of the dues pages. They check the shape of the input; amounts are checked by the
services' `parse_money`, so a page, the API and the xlsx import give the same Chinese words."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from dangjian.core.forms import BootstrapMixin, DateInput, UnitChoiceField
from dangjian.core.models import OrgUnit

from .choices import ApprovalStatus, DuesMonthStatus, IncomeClass, PaymentKind, PaymentMethod, ReliefKind
from .models import DuesBase, DuesMonth, DuesRule, Member
from .selectors.dues import ArrearsFilters, LedgerFilters, RuleRow
from .services.dues import (
    RULE_FIELD_LABELS,
    RULE_FIELDS,
    current_month,
    month_label,
    parse_money,
    rule_field_name,
    rule_label,
)

DATE_MESSAGES = {"required": "请填写交纳日期。", "invalid": "交纳日期格式不正确，如 2026-09-15。"}
MONTH_PATTERN = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:月)?(?:[-/.]\s*\d{1,2})?\s*$")


def parse_month(value: Any) -> datetime.date | None:
    """2026-09, 2026/9, 2026年9月 or a date: the first day of that month; None if unreadable."""
    if isinstance(value, datetime.date):
        return value.replace(day=1)
    match = MONTH_PATTERN.match(str(value or ""))
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        return None
    return datetime.date(year, month, 1)


class MonthInput(forms.TextInput):
    input_type = "month"

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, datetime.date):
            return f"{value:%Y-%m}"
        return super().format_value(value)


class MonthField(forms.Field):
    """A month typed as 2026-09 (the browser's month picker sends this), as the first day."""

    widget = MonthInput

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.error_messages["required"] = f"请填写{self.label}。"

    def to_python(self, value: Any) -> datetime.date | None:
        if value in self.empty_values:
            return None
        month = parse_month(value)
        if month is None:
            raise ValidationError(f"{self.label}请按“2026-09”的格式填写。", code="invalid")
        return month


class MoneyField(forms.CharField):
    """A sum of yuan, checked by the services' rule (a number, not negative, to the fen)."""

    def __init__(self, *args: Any, field: str, **kwargs: Any) -> None:
        self.service_field = field
        kwargs.setdefault("max_length", 20)
        super().__init__(*args, **kwargs)
        self.error_messages["required"] = f"请填写{self.label}。"
        self.widget.attrs.setdefault("inputmode", "decimal")

    def clean(self, value: Any) -> Decimal | None:
        value = super().clean(value)
        if value in self.empty_values:
            return None
        try:
            return parse_money(value, field=self.service_field, label=str(self.label))
        except ValidationError as error:
            raise ValidationError(error.message_dict[self.service_field]) from None


# --- The rules ---------------------------------------------------------------------------------


class DuesRulesForm(BootstrapMixin, forms.Form):
    """Every bracket on one form: the values it has (bound, rate or fixed amount) and the version
    each row had when shown. Named as the service names them (rate_percent_3)."""

    def __init__(self, *args: Any, table: list[tuple[str, str, list[RuleRow]]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rules: list[DuesRule] = []
        self.groups: list[tuple[str, list[tuple[RuleRow, list[str]]]]] = []
        for _, class_label, rows in table:
            group = []
            for row in rows:
                rule = row.rule
                self.rules.append(rule)
                names = []
                for field in RULE_FIELDS:
                    value = getattr(rule, field)
                    if value is None:
                        continue
                    name = rule_field_name(field, rule)
                    self.fields[name] = forms.CharField(
                        label=f"{rule_label(rule, row.position)}{RULE_FIELD_LABELS[field]}",
                        initial=value.normalize() if field == "rate_percent" else value,
                        max_length=20,
                        error_messages={"required": "请填写该项。"},
                    )
                    self.fields[name].widget.attrs["inputmode"] = "decimal"
                    names.append(name)
                self.fields[f"version_{rule.pk}"] = forms.IntegerField(
                    widget=forms.HiddenInput, required=False, initial=rule.version
                )
                group.append((row, names))
            self.groups.append((class_label, group))
        self._style()

    def bound_groups(self) -> list[tuple[str, list[tuple[RuleRow, list[forms.BoundField]]]]]:
        return [(label, [(row, [self[name] for name in names]) for row, names in rows]) for label, rows in self.groups]

    def values(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items() if not name.startswith("version_")}

    def versions(self) -> dict[int, int]:
        return {
            rule.pk: self.cleaned_data[f"version_{rule.pk}"]
            for rule in self.rules
            if self.cleaned_data.get(f"version_{rule.pk}") is not None
        }


# --- Income bases ------------------------------------------------------------------------------

INCOME_CLASS_CHOICES = [("", "—— 未核定 ——"), *IncomeClass.choices]


class BaseRowForm(BootstrapMixin, forms.Form):
    """One member's base on a branch's yearly sheet, and one row of the uploaded sheet."""

    member = forms.IntegerField(widget=forms.HiddenInput)
    income_class = forms.ChoiceField(
        label="收入类别",
        choices=INCOME_CLASS_CHOICES,
        required=False,
        error_messages={"invalid_choice": "收入类别应从下拉列表中选择：在职、离退休，或学生、失业、领取低保等。"},
    )
    monthly_income = MoneyField(label="月收入（元）", field="monthly_income", required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, members: dict[int, Member] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.members = members or {}
        self.fields["monthly_income"].widget.attrs["placeholder"] = "税后月收入"
        self._style()

    def clean_member(self) -> Member:
        member = self.members.get(self.cleaned_data["member"])
        if member is None:
            raise ValidationError("该党员不在本支部的在册党员中，请刷新后重新填写。")
        return member

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        income_class, income = cleaned.get("income_class"), cleaned.get("monthly_income")
        has_base = cleaned.get("version") not in (None, 0)
        if not income_class and income is None and "monthly_income" not in self.errors:
            if has_base:
                self.add_error("income_class", "已核定的党费基数不能清空，请填写收入类别和月收入。")
            return cleaned
        if not income_class:
            self.add_error("income_class", "请选择收入类别。")
        if income is None and "monthly_income" not in self.errors:
            if income_class == IncomeClass.MINIMAL:
                cleaned["monthly_income"] = Decimal("0.00")
            else:
                self.add_error("monthly_income", "请填写月收入（元）。")
        return cleaned

    @property
    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not data.get("income_class") and data.get("monthly_income") is None


class BaseRowFormSet(forms.BaseFormSet):
    def __init__(self, *args: Any, members: dict[int, Member], **kwargs: Any) -> None:
        self.members = members
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {"members": self.members}


BaseSheetFormSet = forms.formset_factory(BaseRowForm, formset=BaseRowFormSet, extra=0, max_num=5000)


def sheet_initial(rows: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "member": row.member.pk,
            "income_class": row.base.income_class if row.base else "",
            "monthly_income": row.base.monthly_income if row.base else "",
            "version": row.base.version if row.base else 0,
        }
        for row in rows
    ]


class SheetChoiceForm(BootstrapMixin, forms.Form):
    """Which branch's sheet and which year."""

    branch = forms.ModelChoiceField(
        label="党支部",
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label="请选择党支部",
        error_messages={"invalid_choice": "所选党支部不存在或不在您的权限范围内。"},
    )
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100, required=False)

    def __init__(self, *args: Any, branches: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches
        self.fields["branch"].label_from_instance = lambda unit: unit.name
        self.fields["year"].initial = timezone.localdate().year
        self._style()

    def choice(self) -> tuple[OrgUnit | None, int]:
        year = timezone.localdate().year
        if not self.is_valid():
            return None, year
        return self.cleaned_data["branch"], self.cleaned_data["year"] or year


class MemberBaseForm(BootstrapMixin, forms.Form):
    """One member's base for a year, on the member's dues page."""

    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    income_class = forms.ChoiceField(label="收入类别", choices=IncomeClass.choices)
    monthly_income = MoneyField(
        label="月收入（元）",
        field="monthly_income",
        required=False,
        help_text="在职党员填税后月工资收入，离退休党员填月退休费；学生、失业、领取低保的可不填。",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, base: DuesBase | None = None, year: int | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_base_%s")
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["year"].initial = year or timezone.localdate().year
            if base is not None:
                self.fields["income_class"].initial = base.income_class
                self.fields["monthly_income"].initial = base.monthly_income
            self.fields["version"].initial = base.version if base else 0
        self._style()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("monthly_income") is None and "monthly_income" not in self.errors:
            if cleaned.get("income_class") == IncomeClass.MINIMAL:
                cleaned["monthly_income"] = Decimal("0.00")
            elif cleaned.get("income_class"):
                self.add_error("monthly_income", "请填写月收入（元）。")
        return cleaned


# --- Payments ----------------------------------------------------------------------------------


class MonthsChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: DuesMonth) -> str:
        return f"{month_label(obj.month)}（{obj.amount_due} 元）"


class PaymentForm(BootstrapMixin, forms.Form):
    """Money received from (or for) one member, for one or more of their months still due."""

    months = MonthsChoiceField(
        label="交纳月份",
        queryset=DuesMonth.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "请选择要交纳的月份。",
            "invalid_choice": "所选月份已不是未交状态，请刷新后查看。",
            "invalid_pk_value": "所选月份无效，请刷新后重新选择。",
        },
    )
    amount = MoneyField(label="金额（元）", field="amount", help_text="应等于所选月份应交金额之和。")
    paid_on = forms.DateField(
        label="交纳日期",
        widget=DateInput(),
        error_messages={"required": "请填写交纳日期。", "invalid": "日期格式不正确。"},
    )
    method = forms.ChoiceField(label="支付方式", choices=PaymentMethod.choices)
    kind = forms.ChoiceField(
        label="交纳人",
        choices=[(PaymentKind.SELF, "本人交纳"), (PaymentKind.PROXY, "他人代缴")],
        widget=forms.RadioSelect,
        help_text="交纳往月党费的自动记为补缴。",
    )
    payer_name = forms.CharField(
        label="代缴人", max_length=50, required=False, help_text="代缴时填写，如：李华（配偶）"
    )
    receipt_number = forms.CharField(label="收据号", max_length=40, required=False)
    note = forms.CharField(label="备注", max_length=200, required=False)

    def __init__(self, *args: Any, months: QuerySet[DuesMonth], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_pay_%s")
        super().__init__(*args, **kwargs)
        self.fields["months"].queryset = months
        self.fields["paid_on"].initial = timezone.localdate()
        self.fields["kind"].initial = PaymentKind.SELF
        self._style()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("kind") == PaymentKind.PROXY and not (cleaned.get("payer_name") or "").strip():
            self.add_error("payer_name", "代缴请填写代缴人姓名。")
        return cleaned

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "month_ids": [row.pk for row in data["months"]],
            "amount": data["amount"],
            "paid_on": data["paid_on"],
            "method": data["method"],
            "kind": data["kind"],
            "payer_name": data["payer_name"],
            "receipt_number": data["receipt_number"],
            "note": data["note"],
        }


class BatchForm(BootstrapMixin, forms.Form):
    """A branch's month collected at once: the ticked members' months, one date and method."""

    months = forms.ModelMultipleChoiceField(
        label="勾选党员",
        queryset=DuesMonth.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "请至少勾选一名党员。",
            "invalid_choice": "勾选的党员中有人的党费已登记为已交，请刷新后查看。",
            "invalid_pk_value": "勾选的月份无效，请刷新后重新勾选。",
        },
    )
    paid_on = forms.DateField(
        label="交纳日期",
        widget=DateInput(),
        error_messages={"required": "请填写交纳日期。", "invalid": "日期格式不正确。"},
    )
    method = forms.ChoiceField(label="支付方式", choices=PaymentMethod.choices)

    def __init__(self, *args: Any, months: QuerySet[DuesMonth], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_batch_%s")
        super().__init__(*args, **kwargs)
        self.fields["months"].queryset = months
        self.fields["paid_on"].initial = timezone.localdate()
        self._style()


class BatchChoiceForm(BootstrapMixin, forms.Form):
    branch = forms.ModelChoiceField(
        label="党支部",
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label="请选择党支部",
        error_messages={"invalid_choice": "所选党支部不存在或不在您的权限范围内。"},
    )
    month = MonthField(label="月份", required=False)

    def __init__(self, *args: Any, branches: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches
        self.fields["branch"].label_from_instance = lambda unit: unit.name
        self.fields["month"].initial = current_month()
        self._style()

    def choice(self) -> tuple[OrgUnit | None, datetime.date]:
        if not self.is_valid():
            return None, current_month()
        return self.cleaned_data["branch"], self.cleaned_data["month"] or current_month()


# --- Reliefs -----------------------------------------------------------------------------------


class ReliefRequestForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label="减免类型", choices=ReliefKind.choices)
    start_month = MonthField(label="起始月份")
    end_month = MonthField(label="截止月份")
    reduced_amount = MoneyField(
        label="减交后月额（元）", field="reduced_amount", required=False, help_text="减交时填写；免交不填。"
    )
    reason = forms.CharField(
        label="原因", widget=forms.Textarea(attrs={"rows": 3}), error_messages={"required": "请填写减免原因。"}
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_relief_%s")
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["start_month"].initial = current_month()
            self.fields["end_month"].initial = current_month()
        self._style()


class ReliefDecideForm(BootstrapMixin, forms.Form):
    decision_note = forms.CharField(label="审批意见", max_length=200, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, action: str, version: int | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{action}_%s")
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["version"].initial = version
        if action == "refuse":
            self.fields["decision_note"].help_text = "不予批准时必须填写理由。"
        self._style()


class ReliefFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label="审批状态", choices=[("", "全部"), *ApprovalStatus.choices], required=False, widget=forms.HiddenInput
    )
    unit = UnitChoiceField(
        indent_from=2, label="组织", queryset=OrgUnit.objects.none(), required=False, empty_label="全部"
    )

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self._style()

    def filters(self) -> tuple[str, OrgUnit | None]:
        if not self.is_valid():
            return "", None
        return self.cleaned_data["status"], self.cleaned_data["unit"]


# --- Lists -------------------------------------------------------------------------------------


class LedgerFilterForm(BootstrapMixin, forms.Form):
    month = MonthField(label="月份", required=False)
    unit = UnitChoiceField(
        indent_from=2, label="组织", queryset=OrgUnit.objects.none(), required=False, empty_label="全部"
    )
    status = forms.ChoiceField(
        label="状态", choices=[("", "全部"), *DuesMonthStatus.choices], required=False, widget=forms.HiddenInput
    )
    q = forms.CharField(label="查找", required=False, max_length=40)

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["month"].initial = current_month()
        self.fields["q"].widget.attrs["placeholder"] = "姓名或拼音首字母"
        self._style()

    def filters(self) -> LedgerFilters:
        if not self.is_valid():
            return LedgerFilters(month=current_month())
        data = self.cleaned_data
        return LedgerFilters(
            month=data["month"] or current_month(), unit=data["unit"], status=data["status"], q=data["q"]
        )


class ArrearsFilterForm(BootstrapMixin, forms.Form):
    unit = UnitChoiceField(
        indent_from=2, label="社区/支部", queryset=OrgUnit.objects.none(), required=False, empty_label="全部"
    )
    min_months = forms.IntegerField(
        label="欠交月数不少于",
        min_value=1,
        max_value=120,
        required=False,
        error_messages={"min_value": "欠交月数应不少于 1。", "invalid": "欠交月数应为整数。"},
    )
    q = forms.CharField(label="查找", required=False, max_length=40)

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["min_months"].initial = 1
        self.fields["q"].widget.attrs["placeholder"] = "姓名或拼音首字母"
        self._style()

    def filters(self) -> ArrearsFilters:
        if not self.is_valid():
            return ArrearsFilters()
        data = self.cleaned_data
        return ArrearsFilters(unit=data["unit"], min_months=data["min_months"] or 1, q=data["q"])
