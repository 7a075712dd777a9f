"""Forms of the organizational-life pages. They check the shape of the input; the rules (quorum,
what a status allows, who is expected) are the services'."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from dangjian.core.forms import BootstrapMixin, DateInput, UnitChoiceField
from dangjian.core.models import OrgUnit
from dangjian.members.models import Member

from .choices import AttendanceStatus, Frequency, MeetingKind, MeetingStatus
from .models import Meeting, MeetingRule
from .selectors import TASK_STATES, MeetingFilters, Period, RosterLine, TaskFilters, period_choices
from .services import AttendanceEntry, RuleValues


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class MeetingForm(BootstrapMixin, forms.Form):
    branch = forms.ModelChoiceField(
        label="党支部",
        queryset=OrgUnit.objects.none(),
        error_messages={"required": "请选择党支部。", "invalid_choice": "所选党支部不在您的权限范围内。"},
    )
    kind = forms.ChoiceField(label="会议类型", choices=MeetingKind.choices)
    group = forms.ModelChoiceField(
        label="党小组",
        queryset=OrgUnit.objects.none(),
        required=False,
        help_text="党小组会必填。",
        error_messages={"invalid_choice": "所选党小组不在您的权限范围内。"},
    )
    title = forms.CharField(label="会议主题", max_length=120)
    held_at = forms.DateTimeField(
        label="时间", widget=DateTimeInput(), error_messages={"invalid": "请填写有效的会议时间。"}
    )
    place = forms.CharField(label="地点", max_length=120)
    chair = forms.CharField(label="主持人", max_length=50, required=False)
    recorder = forms.CharField(label="记录人", max_length=50, required=False)
    speaker = forms.CharField(label="授课人", max_length=50, required=False, help_text="党课必填。")
    agenda = forms.CharField(label="议程", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    minutes = forms.CharField(
        label="会议记录",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="可在会后补充；照片、签到表等可作为附件上传（非必需）。",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        branches: QuerySet[OrgUnit],
        groups: QuerySet[OrgUnit],
        meeting: Meeting | None = None,
        **kwargs: Any,
    ) -> None:
        if meeting is not None and not kwargs.get("data"):
            kwargs["initial"] = {
                "branch": meeting.branch_id,
                "kind": meeting.kind,
                "group": meeting.group_id,
                "title": meeting.title,
                "held_at": timezone.localtime(meeting.held_at),
                "place": meeting.place,
                "chair": meeting.chair,
                "recorder": meeting.recorder,
                "speaker": meeting.speaker,
                "agenda": meeting.agenda,
                "minutes": meeting.minutes,
                "version": meeting.version,
                **kwargs.get("initial", {}),
            }
        super().__init__(*args, **kwargs)
        self.meeting = meeting
        self.fields["branch"].queryset = branches
        self.fields["branch"].label_from_instance = lambda unit: unit.name
        self.fields["branch"].empty_label = "请选择党支部"
        self.fields["group"].queryset = groups
        self.fields["group"].label_from_instance = lambda unit: f"{unit.parent.name} · {unit.name}"
        self.fields["group"].empty_label = "（非党小组会不选）"
        if meeting is None:
            self.fields.pop("version")
        if meeting is not None and meeting.status == MeetingStatus.HELD:
            # Figures and quorum were fixed for this branch, group and kind.
            for name in ("branch", "kind", "group"):
                self.fields[name].disabled = True
                self.fields[name].help_text = "已登记出席情况，不能更改。"
        self._style()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("kind") != MeetingKind.GROUP:
            cleaned["group"] = None
        return cleaned

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        if self.meeting is None:
            return data
        # Disabled fields keep the meeting's values; only send what the person may change.
        return {name: value for name, value in data.items() if not self.fields[name].disabled}


class CancelForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label="取消原因", max_length=200, error_messages={"required": "请填写取消原因。"})
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, version: int | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_cancel_%s")
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["version"].initial = version
        self._style()


class AttachmentForm(BootstrapMixin, forms.Form):
    file = forms.FileField(
        label="文件", error_messages={"required": "请选择要上传的文件。", "empty": "上传的文件是空的。"}
    )
    name = forms.CharField(label="名称", max_length=120, required=False, help_text="留空则用文件名。")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_attachment_%s")
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = "照片、签到表、课件等：jpg、png、pdf、docx、xlsx、pptx。"
        self.fields["file"].widget.attrs["accept"] = ".jpg,.jpeg,.png,.pdf,.docx,.xlsx,.pptx"
        self._style()


class AttendanceForm(forms.Form):
    """One status and one reason per member listed. For a committee meeting a member may be left
    unmarked (not a committee member); for the other kinds every member needs a status."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, meeting: Meeting, roster: list[RosterLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.meeting = meeting
        self.roster = roster
        self.committee = meeting.kind == MeetingKind.COMMITTEE
        choices = list(AttendanceStatus.choices)
        if self.committee:
            choices = [("", "非委员"), *choices]
        if not self.is_bound:
            self.fields["version"].initial = meeting.version
        for line in roster:
            pk = line.member.pk
            self.fields[f"status_{pk}"] = forms.ChoiceField(
                label=line.member.name,
                choices=choices,
                required=not self.committee,
                initial=line.status or ("" if self.committee else None),
                widget=forms.RadioSelect(attrs={"class": "btn-check", "data-status-for": str(pk)}),
                error_messages={"required": f"请登记{line.member.name}的出席情况。"},
            )
            self.fields[f"reason_{pk}"] = forms.CharField(
                label=f"{line.member.name}的请假事由",
                max_length=200,
                required=False,
                initial=line.reason,
                widget=forms.TextInput(
                    attrs={
                        "class": "form-control form-control-sm",
                        "placeholder": "请假事由",
                        "data-reason-for": str(pk),
                    }
                ),
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for line in self.roster:
            pk = line.member.pk
            if (
                cleaned.get(f"status_{pk}") == AttendanceStatus.EXCUSED
                and not (cleaned.get(f"reason_{pk}") or "").strip()
            ):
                self.add_error(f"reason_{pk}", f"{line.member.name}请假，请填写请假事由。")
        return cleaned

    def rows(self) -> list[dict[str, Any]]:
        """The roster with its bound fields, for the template."""
        return [
            {"line": line, "status": self[f"status_{line.member.pk}"], "reason": self[f"reason_{line.member.pk}"]}
            for line in self.roster
        ]

    def current_status(self, pk: int) -> str:
        bound = self[f"status_{pk}"]
        return str(bound.value() or "")

    def entries(self) -> list[AttendanceEntry]:
        entries = []
        for line in self.roster:
            pk = line.member.pk
            status = self.cleaned_data.get(f"status_{pk}") or ""
            if not status:
                continue
            entries.append(AttendanceEntry(pk, status, self.cleaned_data.get(f"reason_{pk}") or ""))
        return entries


class MeetingFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label="查找", required=False, max_length=40)
    unit = UnitChoiceField(
        indent_from=2, label="组织", queryset=OrgUnit.objects.none(), required=False, empty_label="全部"
    )
    kind = forms.ChoiceField(label="会议类型", choices=[("", "全部"), *MeetingKind.choices], required=False)
    period = forms.ChoiceField(label="期间", required=False)
    status = forms.ChoiceField(label="状态", choices=[("", "全部"), *MeetingStatus.choices], required=False)
    below_quorum = forms.BooleanField(label="只看未达法定人数", required=False)

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], today: datetime.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["period"].choices = [("", "全部"), *period_choices(today)]
        self.fields["q"].widget.attrs["placeholder"] = "会议主题或地点"
        self._style()

    def filters(self) -> MeetingFilters:
        if not self.is_valid():
            return MeetingFilters()
        data = self.cleaned_data
        return MeetingFilters(
            unit=data["unit"],
            kind=data["kind"],
            period=Period.parse(data["period"]) if data["period"] else None,
            status=data["status"],
            below_quorum=data["below_quorum"],
            q=data["q"].strip(),
        )


class ComplianceFilterForm(BootstrapMixin, forms.Form):
    period = forms.ChoiceField(label="期间", required=False)
    unit = UnitChoiceField(indent_from=2, label="组织", queryset=OrgUnit.objects.none(), required=False)

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], today: datetime.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["unit"].empty_label = "全部（我的权限范围）"
        self.fields["period"].choices = period_choices(today)
        self._style()

    def values(self, default: Period) -> tuple[Period, OrgUnit | None]:
        if not self.is_valid():
            return default, None
        period = Period.parse(self.cleaned_data["period"]) or default
        return period, self.cleaned_data["unit"]


class MeetingRulesForm(BootstrapMixin, forms.Form):
    """All the rules on one form: frequency, times and whether it counts, with each row's version."""

    def __init__(self, *args: Any, rules: list[MeetingRule], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rules = rules
        for row in rules:
            label = row.get_kind_display()
            self.fields[f"frequency_{row.kind}"] = forms.ChoiceField(
                label=f"{label}：频次", choices=Frequency.choices, initial=row.frequency
            )
            self.fields[f"times_{row.kind}"] = forms.IntegerField(
                label=f"{label}：每期至少次数", min_value=1, max_value=31, initial=row.times
            )
            self.fields[f"required_{row.kind}"] = forms.BooleanField(
                label="纳入合规统计", required=False, initial=row.is_required
            )
            self.fields[f"version_{row.kind}"] = forms.IntegerField(
                widget=forms.HiddenInput, required=False, initial=row.version
            )
        self._style()

    def lines(self) -> list[dict[str, Any]]:
        return [
            {
                "rule": row,
                "frequency": self[f"frequency_{row.kind}"],
                "times": self[f"times_{row.kind}"],
                "required": self[f"required_{row.kind}"],
                "version": self[f"version_{row.kind}"],
            }
            for row in self.rules
        ]

    def values(self) -> dict[str, RuleValues]:
        return {
            row.kind: RuleValues(
                frequency=self.cleaned_data[f"frequency_{row.kind}"],
                times=self.cleaned_data[f"times_{row.kind}"],
                is_required=self.cleaned_data[f"required_{row.kind}"],
            )
            for row in self.rules
        }

    def versions(self) -> dict[str, int]:
        return {
            row.kind: self.cleaned_data[f"version_{row.kind}"]
            for row in self.rules
            if self.cleaned_data.get(f"version_{row.kind}") is not None
        }


class TaskForm(BootstrapMixin, forms.Form):
    branch = forms.ModelChoiceField(
        label="党支部",
        queryset=OrgUnit.objects.none(),
        error_messages={"required": "请选择党支部。", "invalid_choice": "所选党支部不在您的权限范围内。"},
    )
    member = forms.ModelChoiceField(
        label="党员",
        queryset=Member.objects.none(),
        error_messages={"required": "请选择党员。", "invalid_choice": "所选党员不在该党支部或不能交办任务。"},
    )
    title = forms.CharField(label="任务", max_length=120)
    description = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    assigned_on = forms.DateField(label="交办日期", widget=DateInput())
    due_on = forms.DateField(label="完成期限", widget=DateInput(), required=False)

    def __init__(
        self, *args: Any, branches: QuerySet[OrgUnit], members: QuerySet[Member] | None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches
        self.fields["branch"].label_from_instance = lambda unit: unit.name
        self.fields["branch"].empty_label = "请选择党支部"
        self.fields["member"].queryset = members if members is not None else Member.objects.none()
        self.fields["member"].label_from_instance = lambda member: member.name
        self.fields["member"].empty_label = "请选择党员" if members is not None else "请先选择党支部"
        self.fields["assigned_on"].initial = timezone.localdate()
        self._style()


class TaskDoneForm(BootstrapMixin, forms.Form):
    done_on = forms.DateField(label="完成日期", widget=DateInput())
    result = forms.CharField(label="完成情况", max_length=200, error_messages={"required": "请填写完成情况。"})
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, version: int | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_done_%s")
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["version"].initial = version
            self.fields["done_on"].initial = timezone.localdate()
        self._style()


class TaskCancelForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label="取消原因", max_length=190, error_messages={"required": "请填写取消原因。"})
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, version: int | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_taskcancel_%s")
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["version"].initial = version
        self._style()


class TaskFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label="查找", required=False, max_length=40)
    unit = UnitChoiceField(
        indent_from=2, label="组织", queryset=OrgUnit.objects.none(), required=False, empty_label="全部"
    )
    state = forms.ChoiceField(
        label="状态", choices=[("", "全部"), *TASK_STATES.items()], required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["q"].widget.attrs["placeholder"] = "任务或党员姓名"
        self._style()

    def filters(self) -> TaskFilters:
        if not self.is_valid():
            return TaskFilters()
        data = self.cleaned_data
        return TaskFilters(unit=data["unit"], state=data["state"], q=data["q"].strip())
