"""The filter forms of the list pages and of the indicators."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone

from dangjian.core.models import OrgUnit, User

from ..choices import EventStatus, OpinionArea, OpinionSource, OpinionStatus, ResearchKind, RiskLevel, RiskStatus
from ..selectors.indicators import Period, add_months, default_period
from ..selectors.opinions import CorrectionFilters, OpinionFilters
from ..selectors.risks import EventFilters, RiskFilters
from ..selectors.visits import ResearchFilters, RoundFilters, VisitFilters
from .common import ScopedForm


class _Filters(ScopedForm):
    single_community_fixed = False

    community = forms.ModelChoiceField(label="社区", queryset=OrgUnit.objects.none(), required=False)
    q = forms.CharField(label="查找", required=False, max_length=40)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "community" in self.fields:
            field = self.fields["community"]
            field.required = False
            field.empty_label = "全部社区"
            if len(field.queryset) <= 1:
                field.widget = forms.HiddenInput()
        self._style()

    def data_or_blank(self) -> dict[str, Any]:
        return self.cleaned_data if self.is_valid() else {}


class RiskFilterForm(_Filters):
    status = forms.ChoiceField(
        choices=[("", "全部"), ("open", "未办结"), *RiskStatus.choices], required=False, widget=forms.HiddenInput
    )
    level = forms.ChoiceField(label="等级", choices=[("", "全部"), *RiskLevel.choices], required=False)
    overdue = forms.BooleanField(label="只看超期", required=False)

    def filters(self) -> RiskFilters:
        data = self.data_or_blank()
        return RiskFilters(
            status=data.get("status", ""),
            level=data.get("level", ""),
            community=data.get("community"),
            q=data.get("q", ""),
            overdue=bool(data.get("overdue")),
        )


class EventFilterForm(_Filters):
    status = forms.ChoiceField(choices=[("", "全部"), *EventStatus.choices], required=False, widget=forms.HiddenInput)

    def filters(self) -> EventFilters:
        data = self.data_or_blank()
        return EventFilters(status=data.get("status", ""), community=data.get("community"), q=data.get("q", ""))


class ResearchFilterForm(_Filters):
    kind = forms.ChoiceField(label="调研类型", choices=[("", "全部"), *ResearchKind.choices], required=False)

    def filters(self) -> ResearchFilters:
        data = self.data_or_blank()
        return ResearchFilters(kind=data.get("kind", ""), community=data.get("community"), q=data.get("q", ""))


class RoundFilterForm(_Filters):
    state = forms.ChoiceField(
        label="状态", choices=[("", "全部"), ("open", "进行中"), ("closed", "已结束")], required=False
    )

    def filters(self) -> RoundFilters:
        data = self.data_or_blank()
        return RoundFilters(community=data.get("community"), state=data.get("state", ""))


class VisitFilterForm(_Filters):
    cadre_fields = ("visitor",)

    visitor = forms.ModelChoiceField(
        label="走访干部", queryset=User.objects.none(), required=False, empty_label="全部干部"
    )
    month = forms.DateField(
        label="月份",
        required=False,
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )

    def filters(self) -> VisitFilters:
        data = self.data_or_blank()
        return VisitFilters(
            community=data.get("community"), visitor=data.get("visitor"), month=data.get("month"), q=data.get("q", "")
        )


class OpinionFilterForm(_Filters):
    cadre_fields = ("assignee",)

    status = forms.ChoiceField(
        choices=[("", "全部"), ("open", "未办结"), *OpinionStatus.choices], required=False, widget=forms.HiddenInput
    )
    area = forms.ChoiceField(label="领域", choices=[("", "全部领域"), *OpinionArea.choices], required=False)
    source = forms.ChoiceField(label="来源", choices=[("", "全部来源"), *OpinionSource.choices], required=False)
    assignee = forms.ModelChoiceField(
        label="承办干部", queryset=User.objects.none(), required=False, empty_label="全部干部"
    )
    overdue = forms.BooleanField(label="只看逾期", required=False)

    def filters(self) -> OpinionFilters:
        data = self.data_or_blank()
        return OpinionFilters(
            status=data.get("status", ""),
            area=data.get("area", ""),
            source=data.get("source", ""),
            community=data.get("community"),
            assignee=data.get("assignee"),
            overdue=bool(data.get("overdue")),
            q=data.get("q", ""),
        )


class CorrectionFilterForm(_Filters):
    def filters(self) -> CorrectionFilters:
        data = self.data_or_blank()
        return CorrectionFilters(community=data.get("community"), q=data.get("q", ""))


MONTH_INPUT = {"input_formats": ["%Y-%m"], "widget": forms.DateInput(attrs={"type": "month"}, format="%Y-%m")}
MAX_MONTHS = 24


class IndicatorFilterForm(_Filters):
    month_from = forms.DateField(label="起始月份", required=False, **MONTH_INPUT)
    month_to = forms.DateField(label="截止月份", required=False, **MONTH_INPUT)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["q"]
        if not self.is_bound:
            period = default_period(timezone.localdate())
            self.fields["month_from"].initial = period.first
            self.fields["month_to"].initial = period.last

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        first, last = data.get("month_from"), data.get("month_to")
        if first and last:
            if last < first:
                self.add_error("month_to", "截止月份不能早于起始月份。")
            elif add_months(first, MAX_MONTHS) <= last:
                self.add_error("month_to", f"一次最多统计 {MAX_MONTHS} 个月。")
        return data

    def period(self, today: datetime.date) -> Period:
        fallback = default_period(today)
        data = self.data_or_blank()
        first = data.get("month_from") or fallback.first
        last = data.get("month_to") or (fallback.last if first <= fallback.last else first)
        return Period(first=first.replace(day=1), last=last.replace(day=1))
