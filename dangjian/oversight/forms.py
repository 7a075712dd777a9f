"""Forms of the oversight pages: the case list's filters, the actions on a case, starting a scan,
and reading reminders. They check the shape of the input; the rules are the services'."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from dangjian.core.forms import BootstrapMixin, UnitChoiceField
from dangjian.core.models import OrgUnit, User

from .choices import ActionKind, CaseKind, CaseOutcome, CaseStatus
from .selectors import CaseFilters

MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{1,2})$")

STATUS_CHOICES = [("", "全部"), ("open", "未办结"), *CaseStatus.choices]


def _person(user: User) -> str:
    return user.display_name


class CaseFilterForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label="类型", choices=[("", "全部类型"), *CaseKind.choices], required=False)
    status = forms.ChoiceField(label="状态", choices=STATUS_CHOICES, required=False)
    unit = UnitChoiceField(label="社区 / 党支部", queryset=OrgUnit.objects.none(), required=False, empty_label="全部")
    assignee = forms.ModelChoiceField(label="责任人", queryset=User.objects.none(), required=False, empty_label="全部")
    scan = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], assignees: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["assignee"].queryset = assignees
        self.fields["assignee"].label_from_instance = _person
        self.fields["status"].initial = "open"
        self._style()

    def filters(self) -> CaseFilters:
        if not self.is_bound:
            return CaseFilters(status="open")
        if not self.is_valid():
            return CaseFilters()
        data = self.cleaned_data
        return CaseFilters(
            kind=data["kind"], status=data["status"], unit=data["unit"], assignee=data["assignee"], scan=data["scan"]
        )


class ActionForm(BootstrapMixin, forms.Form):
    """An action on a case: the version the page showed travels with it."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, action: str, version: int | None = None, **kwargs: Any) -> None:
        # Several action forms share the case page: each gets its own element ids.
        kwargs.setdefault("auto_id", f"id_{action}_%s")
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["version"].initial = version
        self.prepare()
        self._style()  # validates a bound form: the fields must be complete by now

    def prepare(self) -> None:
        """Complete the fields (choices that depend on the case) before the form is styled."""


class AssignForm(ActionForm):
    assignee = forms.ModelChoiceField(
        label="责任人",
        queryset=User.objects.none(),
        empty_label="请选择",
        error_messages={"required": "请选择责任人。"},
    )
    note = forms.CharField(label="说明", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, assignees: QuerySet[User], **kwargs: Any) -> None:
        self.assignees = assignees
        super().__init__(*args, **kwargs)

    def prepare(self) -> None:
        self.fields["assignee"].queryset = self.assignees
        self.fields["assignee"].label_from_instance = _person


NOTE_CHOICES = [
    (ActionKind.CONTACT, ActionKind.CONTACT.label),
    (ActionKind.VISIT, ActionKind.VISIT.label),
    (ActionKind.NOTE, ActionKind.NOTE.label),
]


class NoteForm(ActionForm):
    kind = forms.ChoiceField(label="记录类型", choices=NOTE_CHOICES, error_messages={"required": "请选择记录类型。"})
    note = forms.CharField(
        label="内容",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "请填写记录内容。"},
        help_text="联系了谁、怎么联系的、了解到什么情况。",
    )


class CloseForm(ActionForm):
    outcome = forms.ChoiceField(
        label="处理结果",
        choices=[("", "请选择"), *CaseOutcome.choices],
        error_messages={"required": "请选择处理结果。"},
    )
    note = forms.CharField(
        label="办结说明",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "请填写办结说明。"},
    )


class ReopenForm(ActionForm):
    note = forms.CharField(
        label="重新打开的原因",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "请填写重新打开的原因。"},
    )


def parse_month(value: str) -> datetime.date | None:
    """2026-05 → 2026年5月1日; None for anything else."""
    match = MONTH_PATTERN.match((value or "").strip())
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (1900 < year < 2200 and 1 <= month <= 12):
        return None
    return datetime.date(year, month, 1)


class MonthField(forms.CharField):
    widget = forms.TextInput(attrs={"type": "month"})
    default_error_messages = {"invalid": "请按“年-月”填写月份，如 2026-05。"}

    def to_python(self, value: Any) -> datetime.date | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        month = parse_month(text)
        if month is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return month


class ScanStartForm(BootstrapMixin, forms.Form):
    unit = UnitChoiceField(
        label="扫描范围",
        queryset=OrgUnit.objects.none(),
        empty_label=None,
        error_messages={"required": "请选择扫描范围。"},
    )
    as_of = MonthField(label="截止月份", required=False, help_text="默认为上个月；向前共统计规定的月数。")

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        if not self.is_bound:
            today = timezone.localdate().replace(day=1)
            last = (today - datetime.timedelta(days=1)).replace(day=1)
            self.fields["as_of"].initial = f"{last:%Y-%m}"
        self._style()


class ReminderReadForm(forms.Form):
    reminder = forms.IntegerField(min_value=1, error_messages={"required": "请指明要标记的提醒。"})


class ReminderReadAllForm(forms.Form):
    seen_at = forms.DateTimeField(error_messages={"required": "缺少页面显示时间，请刷新页面后重试。"})
