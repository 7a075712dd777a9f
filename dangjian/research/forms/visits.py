"""Forms of periodic research: rounds, assigning targets, and visit records."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from dangjian.core.models import OrgUnit, User

from ..choices import OpinionArea, VisitMethod
from ..models import ResearchRound, quarter_of, quarter_title
from .common import DateInput, ScopedForm, Textarea


class RoundForm(ScopedForm):
    community = forms.ModelChoiceField(label="社区", queryset=OrgUnit.objects.none())
    title = forms.CharField(label="轮次名称", max_length=120, required=False, help_text="留空则按季度命名。")
    period_start = forms.DateField(label="开始日期", widget=DateInput())
    period_end = forms.DateField(label="结束日期", widget=DateInput())
    notes = forms.CharField(label="走访要求", widget=Textarea(3), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            start, end = quarter_of(timezone.localdate())
            self.fields["period_start"].initial = start
            self.fields["period_end"].initial = end
            self.fields["title"].widget.attrs["placeholder"] = quarter_title(start)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("period_start") and data.get("period_end") and data["period_end"] < data["period_start"]:
            self.add_error("period_end", "结束日期不能早于开始日期。")
        return data


class AssignForm(ScopedForm):
    cadre_fields = ("cadre",)

    cadre = forms.ModelChoiceField(label="走访干部", queryset=User.objects.none(), empty_label="请选择干部")
    grid = forms.CharField(label="网格", max_length=40, required=False, help_text="如：第2网格。")
    building = forms.CharField(label="楼栋", max_length=40, required=False, help_text="如：12栋。")
    include_members = forms.BooleanField(label="分派该网格或楼栋的全部在册党员", required=False, initial=True)
    households = forms.CharField(
        label="居民户",
        widget=Textarea(4),
        required=False,
        help_text="每行一户，如：12栋2单元301 王阿姨家。",
    )

    def household_lines(self) -> list[str]:
        return (self.cleaned_data.get("households") or "").splitlines()


class VisitForm(ScopedForm):
    cadre_fields = ("visitor",)

    community = forms.ModelChoiceField(label="社区", queryset=OrgUnit.objects.none())
    round = forms.ModelChoiceField(label="走访轮次", queryset=ResearchRound.objects.none(), required=False)
    visitor = forms.ModelChoiceField(label="走访干部", queryset=User.objects.none())
    visited_on = forms.DateField(label="走访日期", widget=DateInput())
    method = forms.ChoiceField(label="走访方式", choices=VisitMethod.choices)
    whom = forms.CharField(label="走访对象", max_length=100, help_text="如：12栋301 王秀英（退休党员）。")
    address = forms.CharField(label="地点", max_length=120, required=False)
    topics = forms.CharField(label="走访内容", widget=Textarea(3), help_text="谈了哪些话题。")
    situation = forms.CharField(label="了解到的情况", widget=Textarea(3), required=False)
    opinions = forms.CharField(
        label="提出的意见建议",
        widget=Textarea(3),
        required=False,
        help_text="每行一条；每条都会登记为一条意见建议，交走访干部办理并答复。",
    )
    opinion_area = forms.ChoiceField(label="意见所属领域", choices=OpinionArea.choices, initial=OpinionArea.OTHER)

    def __init__(self, *args: Any, rounds=None, fixed_whom: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if rounds is None:
            del self.fields["round"]
        else:
            self.fields["round"].queryset = rounds
            self.fields["round"].label_from_instance = lambda item: f"{item.community.name} · {item.title}"
            self.fields["round"].empty_label = "不属于某一轮走访"
        if fixed_whom:
            self.fields["whom"].initial = fixed_whom
        if not self.is_bound:
            self.fields["visited_on"].initial = timezone.localdate()
            if self.user in self.fields["visitor"].queryset:
                self.fields["visitor"].initial = self.user.pk
        self._style()

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("community", None)
        data["opinions"] = (data.get("opinions") or "").splitlines()
        return data
