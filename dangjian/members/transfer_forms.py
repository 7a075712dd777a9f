"""Forms of the transfer pages: issuing a letter (out of the district, within it), recording an
incoming letter, each action on a letter, re-issuing, registering the person of an incoming
letter, and the list's filters. They check the shape of the input; the rules are the services'."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from dangjian.core.forms import BootstrapMixin, DateInput, UnitChoiceField
from dangjian.core.models import OrgUnit

from .choices import ETHNIC_GROUPS, Gender, MembershipType, TransferDirection, TransferStatus
from .models import Member, MemberCategory, check_id_number
from .selectors.transfers import TransferFilters
from .services.transfers import REGISTER_FIELDS


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m", **kwargs)


class MonthField(forms.DateField):
    """A month (2026-05), kept as its first day."""

    widget = MonthInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", ["%Y-%m", "%Y-%m-%d"])
        kwargs.setdefault("error_messages", {"invalid": "请按“年-月”填写，如 2026-05。"})
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> datetime.date | None:
        day = super().to_python(value)
        return day.replace(day=1) if day else day


def _branch_label(unit: OrgUnit) -> str:
    return unit.name


class LetterForm(BootstrapMixin, forms.Form):
    """What every outgoing letter carries besides its destination."""

    reason = forms.CharField(label="转接原因", max_length=200, required=False)
    issued_on = forms.DateField(label="开具日期", widget=DateInput())
    valid_days = forms.IntegerField(
        label="有效期（天）",
        min_value=1,
        max_value=365,
        error_messages={"min_value": "有效期应为 1 至 365 天。", "max_value": "有效期应为 1 至 365 天。"},
    )
    dues_paid_until = MonthField(label="党费交至", required=False, help_text="按党费台账中最近一个已交月份预填。")

    def __init__(self, *args: Any, dues_paid_until: datetime.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["issued_on"].initial = timezone.localdate()
        self.fields["valid_days"].initial = settings.DANGJIAN_LETTER_VALID_DAYS
        self.fields["dues_paid_until"].initial = dues_paid_until
        self.fields["reason"].widget.attrs["placeholder"] = "如：工作调动、迁居外地、升学"
        self._style()


class TransferOutForm(LetterForm):
    counterpart = forms.CharField(
        label="转往党组织",
        max_length=120,
        error_messages={"required": "请填写转往的党组织名称。"},
        help_text="介绍信抬头，如“中共××市××区××街道工作委员会”。",
    )
    field_order = ["counterpart", "reason", "issued_on", "valid_days", "dues_paid_until"]


class TransferWithinForm(LetterForm):
    to_branch = forms.ModelChoiceField(
        label="转入党支部",
        queryset=OrgUnit.objects.none(),
        error_messages={"required": "请选择转入的党支部。", "invalid_choice": "所选党支部不在本区。"},
    )
    field_order = ["to_branch", "reason", "issued_on", "valid_days", "dues_paid_until"]

    def __init__(self, *args: Any, targets: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_branch"].queryset = targets
        self.fields["to_branch"].label_from_instance = _branch_label
        self.fields["to_branch"].empty_label = "请选择本区的党支部"


def _id_number_field(label: str = "公民身份号码") -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=18,
        min_length=18,
        error_messages={
            "required": "请填写公民身份号码。",
            "min_length": "公民身份号码应为 18 位。",
            "max_length": "公民身份号码应为 18 位。",
        },
    )


class TransferInForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label="姓名", max_length=50)
    gender = forms.ChoiceField(label="性别", choices=Gender.choices)
    id_number = _id_number_field()
    membership_type = forms.ChoiceField(label="党员类型", choices=MembershipType.choices)
    phone = forms.CharField(label="手机号码", max_length=11, required=False)
    counterpart = forms.CharField(
        label="开具介绍信的党组织", max_length=120, error_messages={"required": "请填写开具介绍信的党组织名称。"}
    )
    letter_number = forms.CharField(label="来信编号", max_length=40, required=False)
    issued_on = forms.DateField(label="收到日期", widget=DateInput())
    dues_paid_until = MonthField(label="党费交至", required=False)
    branch = forms.ModelChoiceField(
        label="接收党支部",
        queryset=OrgUnit.objects.none(),
        error_messages={"required": "请选择接收的党支部。", "invalid_choice": "所选党支部不在您的权限范围内。"},
    )
    reason = forms.CharField(label="转接原因", max_length=200, required=False)

    def __init__(self, *args: Any, branches: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches
        self.fields["branch"].label_from_instance = _branch_label
        self.fields["branch"].empty_label = "请选择党支部"
        self.fields["issued_on"].initial = timezone.localdate()
        self.fields["id_number"].help_text = "保存后只显示脱敏号码。"
        self._style()

    def clean_id_number(self) -> str:
        value = self.cleaned_data["id_number"].strip().upper()
        try:
            check_id_number(value)
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from error
        return value


class ActionForm(BootstrapMixin, forms.Form):
    """One action on a letter, with the version the page showed."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, action: str, version: int | None = None, **kwargs: Any) -> None:
        # Several action forms share the letter's page: each gets its own element ids.
        kwargs.setdefault("auto_id", f"id_{action}_%s")
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["version"].initial = version
            for field in self.fields.values():
                if isinstance(field, forms.DateField):
                    field.initial = timezone.localdate()
        self._style()


class ReportForm(ActionForm):
    reported_on = forms.DateField(label="报到日期", widget=DateInput(), error_messages={"required": "请填写报到日期。"})
    note = forms.CharField(label="办理说明", max_length=200, required=False, help_text="如：回执已收回。")


class ReturnForm(ActionForm):
    note = forms.CharField(label="退回原因", max_length=200, error_messages={"required": "请填写退回原因。"})


class CancelForm(ActionForm):
    note = forms.CharField(label="作废原因", max_length=200, error_messages={"required": "请填写作废原因。"})


class ReissueForm(LetterForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    counterpart = forms.CharField(label="转往党组织", max_length=120, required=False)
    to_branch = forms.ModelChoiceField(label="转入党支部", queryset=OrgUnit.objects.none(), required=False)

    def __init__(self, *args: Any, transfer: Any, targets: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.pop("reason")
        if transfer.direction == TransferDirection.WITHIN:
            self.fields.pop("counterpart")
            self.fields["to_branch"].queryset = targets
            self.fields["to_branch"].label_from_instance = _branch_label
            self.fields["to_branch"].initial = transfer.to_branch_id
            self.fields["to_branch"].required = True
            self.fields["to_branch"].error_messages["required"] = "请选择转入的党支部。"
        else:
            self.fields.pop("to_branch")
            self.fields["counterpart"].initial = transfer.counterpart
            self.fields["counterpart"].required = True
            self.fields["counterpart"].error_messages["required"] = "请填写转往的党组织名称。"
        if not self.is_bound:
            self.fields["version"].initial = transfer.version
            if transfer.dues_paid_until and not self.fields["dues_paid_until"].initial:
                self.fields["dues_paid_until"].initial = transfer.dues_paid_until
        self._style()


class TransferRegisterForm(BootstrapMixin, forms.Form):
    """The rest of a member's record, with the field definitions of the registry (the same
    labels, choices and lengths as the member form); the registry's rules run in the service."""

    registered_on = forms.DateField(
        label="编入日期", widget=DateInput(), error_messages={"required": "请填写编入日期。"}
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    categories = forms.ModelMultipleChoiceField(
        label="人员类别", queryset=MemberCategory.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    ethnic_groups = ETHNIC_GROUPS

    def __init__(
        self,
        *args: Any,
        transfer: Any,
        groups: QuerySet[OrgUnit],
        communities: QuerySet[OrgUnit],
        categories: QuerySet[MemberCategory],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        member_fields = forms.fields_for_model(
            Member,
            fields=list(REGISTER_FIELDS),
            widgets={"join_date": DateInput(), "full_member_date": DateInput()},
        )
        for name in REGISTER_FIELDS:
            self.fields[name] = member_fields[name]
        self.fields["phone"] = forms.CharField(label="手机号码", max_length=11, required=False)
        self.fields["phone"].help_text = (
            f"留空则使用介绍信登记的号码（{transfer.phone_masked}）。" if transfer.phone else "介绍信未登记手机号码。"
        )
        self.fields["group"].queryset = groups
        self.fields["residence_community"].queryset = communities
        self.fields["categories"].queryset = categories
        self.fields["ethnicity"].widget.attrs["list"] = "ethnic-groups"
        self.order_fields(
            [
                "registered_on",
                "membership_type",
                "join_date",
                "full_member_date",
                "group",
                "ethnicity",
                "phone",
                "education",
                "occupation",
                "work_unit",
                "residence_community",
                "grid",
                "building",
                "room",
                "categories",
            ]
        )
        if not self.is_bound:
            self.fields["registered_on"].initial = timezone.localdate()
            self.fields["membership_type"].initial = transfer.membership_type
            self.fields["version"].initial = transfer.version
        self._style()

    def member_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in REGISTER_FIELDS}


class TransferFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label="查找", required=False, max_length=40)
    unit = UnitChoiceField(label="组织", queryset=OrgUnit.objects.none(), required=False, empty_label="全部")
    status = forms.ChoiceField(label="状态", choices=[("", "全部"), *TransferStatus.choices], required=False)
    expiring = forms.BooleanField(label="即将过期或已过期未报到", required=False)
    direction = forms.ChoiceField(
        label="类型", choices=[("", "全部"), *TransferDirection.choices], required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["q"].widget.attrs["placeholder"] = "姓名、介绍信编号或完整身份证号"
        self._style()

    def filters(self) -> TransferFilters:
        if not self.is_valid():
            return TransferFilters()
        data = self.cleaned_data
        return TransferFilters(
            direction=data["direction"],
            status=data["status"],
            unit=data["unit"],
            q=data["q"],
            expiring=data["expiring"],
        )


class MemberPickForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label="查找党员", required=False, max_length=40)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["placeholder"] = "姓名、拼音首字母、完整身份证号或手机号"
        self._style()
