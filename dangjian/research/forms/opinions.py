"""Forms of opinions and suggestions: the cadre's record of one, assigning, answering, progress;
the public page's submission, tracking and rating; corrections; the bulk update upload."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from dangjian.core.forms import ImportFileForm
from dangjian.core.models import OrgUnit, User

from ..choices import SATISFACTION_LABELS, AnswerKind, OpinionArea, OpinionSource, Progress, SubmitterKind
from ..models import Opinion, Research
from .common import DateInput, InlineChecks, InlineRadios, ScopedForm, StyleMixin, Textarea, VersionForm

# A cadre records opinions heard on the phone, at meetings, in letters; visits record their own,
# and the public page its own.
REGISTER_SOURCES = [(value, label) for value, label in OpinionSource.choices if value not in ("visit", "online")]


class OpinionRegisterForm(ScopedForm):
    cadre_fields = ("assignee",)

    community = forms.ModelChoiceField(label="社区", queryset=OrgUnit.objects.none())
    source = forms.ChoiceField(label="来源", choices=REGISTER_SOURCES)
    submitter_kind = forms.ChoiceField(label="提出人身份", choices=SubmitterKind.choices, widget=InlineRadios)
    submitter_name = forms.CharField(label="提出人", max_length=50, required=False)
    contact_phone = forms.CharField(
        label="联系电话", max_length=20, required=False, help_text="加密保存，页面上只显示脱敏号码。"
    )
    area = forms.ChoiceField(label="所属领域", choices=OpinionArea.choices)
    title = forms.CharField(label="事项", max_length=100)
    content = forms.CharField(label="具体内容", widget=Textarea(4))
    assignee = forms.ModelChoiceField(
        label="承办干部", queryset=User.objects.none(), required=False, empty_label="暂不分派"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["submitter_kind"].initial = SubmitterKind.RESIDENT

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("community", None)
        return data


class OpinionAssignForm(VersionForm):
    assignee = forms.ModelChoiceField(label="承办干部", queryset=User.objects.none(), empty_label="请选择干部")
    area = forms.ChoiceField(label="所属领域", choices=OpinionArea.choices)

    def __init__(self, *args: Any, cadres, **kwargs: Any) -> None:
        super().__init__(*args, prefix_id="assign", **kwargs)
        self.fields["assignee"].queryset = cadres
        self.fields["assignee"].label_from_instance = lambda person: person.display_name
        self._style()


class OpinionAnswerForm(VersionForm):
    answer_kind = forms.ChoiceField(label="答复结果", choices=AnswerKind.choices, widget=InlineRadios)
    answer = forms.CharField(label="答复内容", widget=Textarea(4), help_text="提出人凭查询码可以看到答复内容。")
    not_accepted_reason = forms.CharField(label="不予采纳理由", widget=Textarea(2), required=False)
    promised_on = forms.DateField(label="承诺完成日期", widget=DateInput(), required=False, help_text="采纳时填写。")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix_id="answer", **kwargs)


class OpinionProgressForm(VersionForm):
    progress = forms.ChoiceField(label="落实进展", choices=Progress.choices, widget=InlineRadios)
    note = forms.CharField(label="进展说明", widget=Textarea(3), help_text="提出人凭查询码可以看到进展说明。")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix_id="progress", **kwargs)


# --- The public pages --------------------------------------------------------------------------


class PublicOpinionForm(StyleMixin, forms.Form):
    submitter_kind = forms.ChoiceField(
        label="您的身份", choices=SubmitterKind.choices, initial=SubmitterKind.ANONYMOUS, widget=InlineRadios
    )
    submitter_name = forms.CharField(label="称呼", max_length=50, required=False, help_text="匿名提交可不填。")
    contact_phone = forms.CharField(
        label="联系电话（选填）",
        max_length=20,
        required=False,
        help_text="仅供社区工作人员联系您，加密保存，不会公开。",
    )
    area = forms.ChoiceField(label="所属方面", choices=OpinionArea.choices, initial=OpinionArea.OTHER)
    title = forms.CharField(label="事项", max_length=100, help_text="一句话概括，如：3栋楼道灯坏了。")
    content = forms.CharField(label="具体内容", widget=Textarea(5), max_length=2000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class TrackForm(StyleMixin, forms.Form):
    code = forms.CharField(label="查询码", max_length=20)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update({"autocomplete": "off", "placeholder": "提交意见时得到的 10 位查询码"})
        self._style()


class RatingForm(StyleMixin, forms.Form):
    code = forms.CharField(widget=forms.HiddenInput, max_length=20)
    rating = forms.TypedChoiceField(
        label="您对答复和办理结果的评价",
        choices=[(score, f"{score} 分 · {label}") for score, label in SATISFACTION_LABELS.items()],
        coerce=int,
        widget=InlineRadios,
    )
    comment = forms.CharField(label="留言（选填）", max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_rate_%s")
        super().__init__(*args, **kwargs)
        self._style()


# --- Corrections and the bulk update -----------------------------------------------------------


class CorrectionForm(ScopedForm):
    community = forms.ModelChoiceField(label="社区", queryset=OrgUnit.objects.none())
    title = forms.CharField(label="修正事项", max_length=120)
    description = forms.CharField(
        label="修正内容", widget=Textarea(4), help_text="发现了什么问题，改了什么、怎么改的。"
    )
    corrected_on = forms.DateField(label="修正日期", widget=DateInput())
    opinions = forms.ModelMultipleChoiceField(
        label="依据的意见建议", queryset=Opinion.objects.none(), required=False, widget=InlineChecks
    )
    research = forms.ModelChoiceField(
        label="依据的调研", queryset=Research.objects.none(), required=False, empty_label="无"
    )

    def __init__(self, *args: Any, opinions, researches, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["opinions"].queryset = opinions
        self.fields["opinions"].label_from_instance = lambda item: (
            f"{item.title}（{item.community.name} · {item.tracking_code}）"
        )
        self.fields["research"].queryset = researches
        self.fields["research"].label_from_instance = lambda item: f"{item.title}（{item.community.name}）"
        if not self.is_bound:
            self.fields["corrected_on"].initial = timezone.localdate()
        self._style()

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("community", None)
        return data


class OpinionImportForm(ImportFileForm):
    file = forms.FileField(
        label="办理情况文件",
        error_messages={"required": "请选择要上传的 .xlsx 文件。", "empty": "上传的文件是空的。"},
    )
