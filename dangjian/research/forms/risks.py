"""Forms of the risk register, research records, consultations and large events. They check the
shape of the input; the rules (research before a solution, research before approval) are the
services'."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from dangjian.core.models import OrgUnit, User

from ..choices import (
    ConsultationMethod,
    EventKind,
    ResearchKind,
    ResearchMethod,
    RiskCategory,
    RiskLevel,
    RiskOutcome,
)
from ..models import REQUIRED_BY_KIND, ResearchRound
from .common import DateInput, InlineChecks, InlineRadios, ScopedForm, Textarea, VersionForm


class RiskForm(ScopedForm):
    cadre_fields = ("assignee",)

    community = forms.ModelChoiceField(label="社区", queryset=OrgUnit.objects.none())
    title = forms.CharField(label="隐患事项", max_length=120)
    level = forms.ChoiceField(
        label="等级",
        choices=RiskLevel.choices,
        initial=RiskLevel.GENERAL,
        widget=InlineRadios,
        help_text="重大隐患须深入调研、与居民协商拿出方案后，方可进入下一步。",
    )
    category = forms.ChoiceField(label="类别", choices=RiskCategory.choices)
    location = forms.CharField(label="地点", max_length=120)
    involved = forms.CharField(label="涉及人员", widget=Textarea(2), help_text="涉及哪些居民、单位或群体。")
    involved_count = forms.IntegerField(label="涉及人数", min_value=1, required=False)
    description = forms.CharField(label="具体情况", widget=Textarea(4))
    reporter = forms.CharField(
        label="信息来源", max_length=60, required=False, help_text="谁反映或发现的，如网格员、居民。"
    )
    reported_on = forms.DateField(label="发现日期", widget=DateInput())
    assignee = forms.ModelChoiceField(
        label="责任人", queryset=User.objects.none(), required=False, empty_label="暂不指定"
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["reported_on"].initial = timezone.localdate()

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        data.pop("community", None)
        return data


# The fields of a research record that each kind shows, after the common ones.
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    ResearchKind.RISK: ("first_hand", "cause", "crux", "conclusion"),
    ResearchKind.EVENT: ("residents_want", "purpose", "goals", "conclusion"),
    ResearchKind.PERIODIC: ("round", "first_hand", "conclusion"),
}
ALL_KIND_FIELDS = ("round", "first_hand", "cause", "crux", "residents_want", "purpose", "goals", "conclusion")


class ResearchForm(ScopedForm):
    """A research record of one kind; the kind decides which findings it asks for."""

    community = forms.ModelChoiceField(label="社区", queryset=OrgUnit.objects.none())
    title = forms.CharField(label="调研题目", max_length=120)
    conducted_from = forms.DateField(label="调研开始日期", widget=DateInput())
    conducted_to = forms.DateField(label="调研结束日期", widget=DateInput())
    methods = forms.MultipleChoiceField(label="调研方式", choices=ResearchMethod.choices, widget=InlineChecks)
    researchers = forms.CharField(label="调研人员", max_length=200)
    people_reached = forms.IntegerField(label="走访或座谈人数", min_value=0, initial=0)
    round = forms.ModelChoiceField(label="走访轮次", queryset=ResearchRound.objects.none(), required=False)
    first_hand = forms.CharField(label="掌握的第一手情况", widget=Textarea(4), required=False)
    cause = forms.CharField(label="问题起因", widget=Textarea(3), required=False)
    crux = forms.CharField(label="问题症结", widget=Textarea(3), required=False)
    residents_want = forms.CharField(
        label="居民需求", widget=Textarea(3), required=False, help_text="居民想要什么样的活动。"
    )
    purpose = forms.CharField(
        label="为何举办", widget=Textarea(3), required=False, help_text="针对什么问题、为什么是这个活动。"
    )
    goals = forms.CharField(
        label="预期效果", widget=Textarea(3), required=False, help_text="活动要达到什么效果，怎样衡量。"
    )
    conclusion = forms.CharField(label="结论与建议", widget=Textarea(3), required=False)

    def __init__(self, *args: Any, kind: str, rounds=None, **kwargs: Any) -> None:
        self.kind = kind
        super().__init__(*args, **kwargs)
        keep = KIND_FIELDS[kind]
        for name in ALL_KIND_FIELDS:
            if name not in keep:
                del self.fields[name]
            elif name in REQUIRED_BY_KIND[kind]:
                self.fields[name].required = True
        if "round" in self.fields:
            self.fields["round"].queryset = rounds if rounds is not None else ResearchRound.objects.none()
            self.fields["round"].label_from_instance = lambda item: f"{item.community.name} · {item.title}"
            self.fields["round"].empty_label = "不属于某一轮走访"
        if not self.is_bound:
            today = timezone.localdate()
            self.fields["conducted_from"].initial = today
            self.fields["conducted_to"].initial = today
            self.fields["methods"].initial = [ResearchMethod.VISITS]
        self._style()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("conducted_from"), data.get("conducted_to")
        if start and end and end < start:
            self.add_error("conducted_to", "调研结束日期不能早于开始日期。")
        return data

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("community", None)
        return data


class ConsultationForm(VersionForm):
    consulted_on = forms.DateField(label="协商日期", widget=DateInput())
    method = forms.ChoiceField(label="方式", choices=ConsultationMethod.choices)
    participants = forms.CharField(
        label="参加居民", max_length=200, help_text="征求了哪些居民的意见，如：3栋业主代表、楼栋长。"
    )
    participant_count = forms.IntegerField(label="人数", min_value=1)
    opinions = forms.CharField(label="居民意见", widget=Textarea(4), help_text="居民怎么说，对方案有什么意见。")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix_id="consult", **kwargs)
        if not self.is_bound:
            self.fields["consulted_on"].initial = timezone.localdate()


class SolutionForm(VersionForm):
    solution = forms.CharField(
        label="解决方案", widget=Textarea(5), help_text="在充分依靠群众的基础上拿出的方案：做什么、谁来做、何时完成。"
    )
    solution_on = forms.DateField(label="方案拟定日期", widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix_id="solution", **kwargs)
        if not self.is_bound:
            self.fields["solution_on"].initial = timezone.localdate()


class ResolveForm(VersionForm):
    resolution = forms.CharField(label="化解情况", widget=Textarea(4))
    resolved_on = forms.DateField(label="化解日期", widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix_id="resolve", **kwargs)
        if not self.is_bound:
            self.fields["resolved_on"].initial = timezone.localdate()


class RiskCloseForm(VersionForm):
    outcome = forms.ChoiceField(label="关闭原因", choices=RiskOutcome.choices)
    note = forms.CharField(label="关闭说明", widget=Textarea(3))
    closed_on = forms.DateField(label="关闭日期", widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix_id="close", **kwargs)
        if not self.is_bound:
            self.fields["closed_on"].initial = timezone.localdate()


# --- Large events ------------------------------------------------------------------------------


class EventForm(ScopedForm):
    community = forms.ModelChoiceField(label="社区", queryset=OrgUnit.objects.none())
    title = forms.CharField(label="活动名称", max_length=120)
    kind = forms.ChoiceField(label="活动类型", choices=EventKind.choices)
    purpose = forms.CharField(label="活动目的", widget=Textarea(3))
    planned_on = forms.DateField(label="活动日期", widget=DateInput())
    time_note = forms.CharField(label="时间安排", max_length=60, required=False, help_text="如：上午 9:00—11:30。")
    place = forms.CharField(label="活动地点", max_length=120)
    audience = forms.CharField(label="面向对象", max_length=120, required=False)
    expected_participants = forms.IntegerField(label="预计参加人数", min_value=1)
    staff = forms.CharField(label="人员安排", widget=Textarea(3), help_text="负责人、工作人员和志愿者的分工。")
    staff_count = forms.IntegerField(label="工作人员人数", min_value=0)
    budget = forms.DecimalField(label="经费预算（元）", min_value=0, max_digits=12, decimal_places=2)
    budget_note = forms.CharField(label="经费明细", widget=Textarea(3), required=False)
    funding_source = forms.CharField(label="经费来源", max_length=120, required=False)
    materials = forms.CharField(label="物资准备", widget=Textarea(3))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        data.pop("community", None)
        return data


class ApproveForm(VersionForm):
    note = forms.CharField(label="审批意见", widget=Textarea(2), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix_id="approve", **kwargs)


class EventReturnForm(VersionForm):
    reason = forms.CharField(label="退回理由", widget=Textarea(3))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix_id="return", **kwargs)


class EventReviewForm(VersionForm):
    actual_participants = forms.IntegerField(label="实际参加人数", min_value=0)
    actual_spend = forms.DecimalField(label="实际支出（元）", min_value=0, max_digits=12, decimal_places=2)
    feedback = forms.CharField(label="群众反馈", widget=Textarea(3))
    review_summary = forms.CharField(
        label="效果评估", widget=Textarea(3), required=False, help_text="是否达到预期效果，下次怎样改进。"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix_id="review", **kwargs)


class EventCancelForm(VersionForm):
    reason = forms.CharField(label="取消原因", widget=Textarea(2))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix_id="cancel", **kwargs)


class EventSubmitForm(VersionForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix_id="submit", **kwargs)
