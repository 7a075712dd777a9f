"""Forms of the development pipeline's pages: the application, one form per step, the filters
and the rules. They check the shape of the input; the pipeline's rules are the services'."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from dangjian.core.forms import BootstrapMixin, DateInput, UnitChoiceField
from dangjian.core.models import OrgUnit

from .choices import DevelopmentStage, Gender, RuleKey
from .models import DevelopmentRule
from .selectors.development import DevelopmentFilters


class DevelopmentApplyForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label="姓名", max_length=50)
    gender = forms.ChoiceField(label="性别", choices=Gender.choices)
    id_number = forms.CharField(
        label="公民身份号码",
        max_length=18,
        min_length=18,
        error_messages={"min_length": "公民身份号码应为 18 位。", "max_length": "公民身份号码应为 18 位。"},
    )
    phone = forms.CharField(label="手机号码", max_length=11, required=False)
    branch = forms.ModelChoiceField(label="所在党支部", queryset=OrgUnit.objects.none())
    applied_on = forms.DateField(label="申请入党日期", widget=DateInput())
    notes = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, branches: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches
        self.fields["branch"].label_from_instance = lambda unit: unit.name
        self.fields["branch"].empty_label = "请选择党支部"
        self.fields["applied_on"].initial = timezone.localdate()
        self.fields["id_number"].help_text = "出生日期由身份证号得出；保存后只显示脱敏号码。"
        self._style()

    def clean_id_number(self) -> str:
        return self.cleaned_data["id_number"].strip().upper()


class StepForm(BootstrapMixin, forms.Form):
    """One step of a record: the date it happened, and the version the page showed."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, action: str, version: int | None = None, **kwargs: Any) -> None:
        # Several step forms share the record page: each gets its own element ids.
        kwargs.setdefault("auto_id", f"id_{action}_%s")
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["version"].initial = version
            for field in self.fields.values():
                if isinstance(field, forms.DateField):
                    field.initial = timezone.localdate()
        self._style()


class ActivistForm(StepForm):
    activist_on = forms.DateField(label="确定为入党积极分子日期", widget=DateInput())


class CandidateForm(StepForm):
    candidate_on = forms.DateField(label="确定为发展对象日期", widget=DateInput())


class AdmitForm(StepForm):
    admitted_on = forms.DateField(
        label="接收为预备党员日期", widget=DateInput(), help_text="支部大会讨论通过之日，预备期自该日起算。"
    )


class ExtendForm(StepForm):
    extension_months = forms.IntegerField(label="延长月数", min_value=1, max_value=60)
    extended_on = forms.DateField(label="延长预备期决定日期", widget=DateInput())


class ConfirmForm(StepForm):
    confirmed_on = forms.DateField(
        label="转正日期", widget=DateInput(), help_text="转正后自动登记为正式党员，入党日期为接收为预备党员之日。"
    )


class StopForm(StepForm):
    stop_reason = forms.CharField(label="终止原因", max_length=200)
    stopped_on = forms.DateField(label="终止日期", widget=DateInput())


class DevelopmentFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label="查找", required=False, max_length=40)
    unit = UnitChoiceField(label="组织", queryset=OrgUnit.objects.none(), required=False, empty_label="全部")
    stage = forms.ChoiceField(
        label="阶段", choices=[("", "全部"), *DevelopmentStage.choices], required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["q"].widget.attrs["placeholder"] = "姓名、拼音首字母、完整身份证号或手机号"
        self._style()

    def filters(self) -> DevelopmentFilters:
        if not self.is_valid():
            return DevelopmentFilters()
        data = self.cleaned_data
        return DevelopmentFilters(stage=data["stage"], unit=data["unit"], q=data["q"])


class DevelopmentRulesForm(BootstrapMixin, forms.Form):
    """All the rules on one form: a value per rule, and the version each row had when shown."""

    def __init__(self, *args: Any, rules: list[DevelopmentRule], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rules = rules
        for row in rules:
            self.fields[row.key] = forms.IntegerField(
                label=row.label,
                min_value=0,
                max_value=999,
                initial=row.value,
                help_text=f"单位：{row.get_unit_display()}。{row.description}",
            )
            self.fields[f"version_{row.key}"] = forms.IntegerField(
                widget=forms.HiddenInput, required=False, initial=row.version
            )
        self._style()

    def values(self) -> dict[str, int]:
        return {key: self.cleaned_data[key] for key in RuleKey.values if key in self.cleaned_data}

    def versions(self) -> dict[str, int]:
        return {
            key: self.cleaned_data[f"version_{key}"]
            for key in RuleKey.values
            if self.cleaned_data.get(f"version_{key}") is not None
        }
