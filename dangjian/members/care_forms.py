"""Forms of the care pages: a care record (new or corrected) and the list's filters. They check
the shape of the input; the rules of care are the services'."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from dangjian.core.forms import BootstrapMixin, DateInput, UnitChoiceField
from dangjian.core.models import OrgUnit

from .choices import AssistanceKind, CareForm, HardshipKind
from .models import CareRecord
from .selectors.care import FOLLOW_CHOICES, CareFilters


class CareRecordForm(BootstrapMixin, forms.Form):
    hardship = forms.ChoiceField(
        label="困难类型", choices=HardshipKind.choices, error_messages={"required": "请选择困难类型。"}
    )
    form = forms.ChoiceField(
        label="帮扶形式", choices=CareForm.choices, error_messages={"required": "请选择帮扶形式。"}
    )
    cared_on = forms.DateField(
        label="日期",
        widget=DateInput(),
        error_messages={"required": "请填写帮扶日期。", "invalid": "请按“年-月-日”填写日期。"},
    )
    carers = forms.CharField(
        label="参与人员",
        max_length=120,
        error_messages={"required": "请填写参与人员。"},
        help_text="如：社区书记张秀英、网格员李强",
    )
    situation = forms.CharField(
        label="了解到的情况",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "请填写了解到的情况。"},
    )
    assistance = forms.ChoiceField(label="帮扶内容", choices=AssistanceKind.choices, initial=AssistanceKind.NONE)
    amount = forms.DecimalField(
        label="金额（元）",
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text="发放慰问金时必填；慰问品、服务可填折合金额。",
        error_messages={
            "invalid": "金额请填写数字，如 500 或 500.00。",
            "min_value": "金额不能为负数。",
            "max_decimal_places": "金额最多保留两位小数。",
            "max_digits": "金额过大，请核对。",
        },
    )
    follow_up = forms.CharField(label="后续安排", max_length=200, required=False)
    next_visit_on = forms.DateField(
        label="下次走访日期",
        widget=DateInput(),
        required=False,
        error_messages={"invalid": "请按“年-月-日”填写日期。"},
    )
    stamp = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self, *args: Any, record: CareRecord | None = None, stamp: int | None = None, hardship: str = "", **kwargs: Any
    ) -> None:
        if record is not None and "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(record, name) for name in self.service_names()}
        super().__init__(*args, **kwargs)
        if record is None:
            self.fields["cared_on"].initial = timezone.localdate()
            if hardship:
                self.fields["hardship"].initial = hardship
        if not self.is_bound:
            self.fields["stamp"].initial = stamp
        self._style()

    @staticmethod
    def service_names() -> tuple[str, ...]:
        from .services.care import CARE_FIELDS

        return CARE_FIELDS

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        values = {name: data.get(name) for name in self.service_names()}
        values["follow_up"] = values["follow_up"] or ""
        return values


class CareFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label="查找", required=False, max_length=40)
    unit = UnitChoiceField(label="组织", queryset=OrgUnit.objects.none(), required=False, empty_label="全部")
    hardship = forms.ChoiceField(label="困难类型", choices=[("", "全部"), *HardshipKind.choices], required=False)
    follow = forms.ChoiceField(label="走访情况", choices=FOLLOW_CHOICES, required=False)
    year = forms.TypedChoiceField(label="统计年度", coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        this_year = timezone.localdate().year
        self.fields["year"].choices = [(year, f"{year}年") for year in range(this_year, this_year - 5, -1)]
        self.fields["q"].widget.attrs["placeholder"] = "姓名、拼音首字母、完整身份证号或手机号"
        self._style()

    def filters(self) -> CareFilters:
        if not self.is_valid():
            return CareFilters()
        data = self.cleaned_data
        return CareFilters(unit=data["unit"], hardship=data["hardship"], follow=data["follow"], q=data["q"])

    def stats_year(self) -> int:
        if self.is_valid() and self.cleaned_data.get("year"):
            return self.cleaned_data["year"]
        return timezone.localdate().year
