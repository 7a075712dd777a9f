"""Forms of the core pages. Labels and messages are in Chinese and name the field."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.forms import PasswordChangeForm
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from .choices import ALLOWED_PARENT_KINDS, OrgKind, OrgStatus, Position
from .models import BranchCommittee, CommitteeSeat, OrgUnit
from .widgets import PLAIN_WIDGETS, escape_text


class BootstrapMixin:
    """Gives every widget Bootstrap's classes, and marks invalid fields after validation. Its
    selects are drawn by the plain widgets of `core.widgets` (the same HTML, without a template
    per option)."""

    def _style(self) -> None:
        for name, field in self.fields.items():  # type: ignore[attr-defined]
            widget = field.widget
            plain = PLAIN_WIDGETS.get(type(widget))
            if plain is not None:
                widget.__class__ = plain
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.RadioSelect):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            if name in getattr(self, "errors", {}) and self.is_bound:  # type: ignore[attr-defined]
                css += " is-invalid"
            widget.attrs["class"] = css

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        self._style()

    def stacked_fields(self) -> SafeString:
        """Every field as a side panel of filters stacks it: label, widget, help text, errors.
        The markup a template's loop over the form would write, written here: on the member
        list, a page every organizer opens many times a day, the loop's nodes cost more than
        the markup they wrote."""
        parts = []
        for field in self:  # type: ignore[attr-defined]
            help_text = f'<div class="form-text">{escape_text(field.help_text)}</div>' if field.help_text else ""
            errors = "".join(
                f'<div class="invalid-feedback d-block">{escape_text(error)}</div>' for error in field.errors
            )
            parts.append(
                f'<div class="mb-2"><label class="form-label small mb-1" for="{escape_text(field.id_for_label)}">'
                f"{escape_text(field.label)}</label>{field}{help_text}{errors}</div>"
            )
        return mark_safe("".join(parts))


# Django's ModelChoiceIterator builds a model per option and reads through `.iterator()`, a
# server-side cursor on PostgreSQL (three round trips): a unit filter of a district's scope has
# nearly two thousand options. This one reads the three columns an option shows in one plain
# query. The field still validates a choice against its queryset.


class UnitChoiceIterator(forms.models.ModelChoiceIterator):
    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        indent_from = self.field.indent_from
        read = self.field.option_rows
        rows = self.queryset.values_list("pk", "name", "depth") if read is None else read()
        for pk, name, depth in rows:
            yield (pk, f"{'　' * max(0, depth - indent_from)}{name}")


class UnitChoiceField(forms.ModelChoiceField):
    """A choice of org units, each named with a full-width space of indent per level below
    `indent_from` (0: the district's level). The options are the queryset's units, or those
    `option_rows` gives ((pk, name, depth) of the same units, read when the options are drawn)
    where the page reads them another way; a choice is checked against the queryset either way."""

    iterator = UnitChoiceIterator
    option_rows: Callable[[], Iterable[tuple[int, str, int]]] | None = None

    def __init__(self, *args: Any, indent_from: int = 0, **kwargs: Any) -> None:
        self.indent_from = indent_from
        super().__init__(*args, **kwargs)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class LoginForm(BootstrapMixin, forms.Form):
    username = forms.CharField(label="用户名", max_length=150)
    password = forms.CharField(label="密码", widget=forms.PasswordInput)

    def __init__(self, request, *args: Any, **kwargs: Any) -> None:
        self.request = request
        self.user = None
        super().__init__(*args, **kwargs)
        self._style()
        self.fields["username"].widget.attrs.update({"autofocus": True, "autocomplete": "username"})
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        username, password = cleaned.get("username"), cleaned.get("password")
        if username and password:
            self.user = authenticate(self.request, username=username, password=password)
            if self.user is None:
                raise forms.ValidationError(
                    f"用户名或密码不正确。连续 {settings.AXES_FAILURE_LIMIT} 次错误后账号将被暂时锁定。"
                )
            if not self.user.is_active:
                raise forms.ValidationError("该账号已停用，请联系管理员。")
        return cleaned


class OtpTokenForm(BootstrapMixin, forms.Form):
    token = forms.RegexField(
        label="动态验证码",
        regex=r"^\d{6}$",
        error_messages={"invalid": "动态验证码是 6 位数字。", "required": "请输入动态验证码。"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()
        self.fields["token"].widget.attrs.update(
            {"autofocus": True, "autocomplete": "one-time-code", "inputmode": "numeric"}
        )


class StyledPasswordChangeForm(BootstrapMixin, PasswordChangeForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class OrgUnitCreateForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = OrgUnit
        fields = ["kind", "name", "code", "established_on", "address", "sort_order"]
        widgets = {"established_on": DateInput()}

    def __init__(self, *args: Any, parent: OrgUnit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.parent = parent
        kinds = [kind for kind, parents in ALLOWED_PARENT_KINDS.items() if parent.kind in parents]
        self.fields["kind"].choices = [(kind, OrgKind(kind).label) for kind in kinds]
        if len(kinds) == 1:
            self.fields["kind"].initial = kinds[0]
        self.fields["code"].help_text = "全区唯一，如 SQ-0101-B03"
        self._style()

    def _post_clean(self) -> None:
        # The service sets the parent and the path; validate with the parent in place. Without a
        # valid kind there is nothing more to check (the kind field already says what is wrong).
        if "kind" in self._errors:
            return
        self.instance.parent = self.parent
        super()._post_clean()


class OrgUnitEditForm(BootstrapMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = OrgUnit
        fields = ["name", "code", "established_on", "address", "sort_order"]
        widgets = {"established_on": DateInput()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["version"].initial = self.instance.version
        self._style()


class OrgUnitMoveForm(BootstrapMixin, forms.Form):
    new_parent = forms.ModelChoiceField(
        label="新的上级组织",
        queryset=OrgUnit.objects.none(),
        error_messages={"required": "请选择新的上级组织。", "invalid_choice": "所选上级组织不在可选范围内。"},
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, targets, unit: OrgUnit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_parent"].queryset = targets
        self.fields["new_parent"].label_from_instance = lambda u: f"{'　' * u.depth}{u.name}（{u.get_kind_display()}）"
        self.fields["version"].initial = unit.version
        self._style()


class OrgUnitCloseForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label="处理方式",
        choices=[(OrgStatus.DISSOLVED.value, "撤销"), (OrgStatus.MERGED.value, "合并到另一组织")],
        error_messages={"required": "请选择撤销或合并。"},
    )
    merged_into = forms.ModelChoiceField(
        label="并入组织",
        queryset=OrgUnit.objects.none(),
        required=False,
        error_messages={"invalid_choice": "所选组织不在可选范围内。"},
    )
    closed_on = forms.DateField(
        label="撤销/合并日期", widget=DateInput(), error_messages={"required": "请填写撤销/合并日期。"}
    )
    reason = forms.CharField(label="原因", max_length=200, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, targets, unit: OrgUnit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["merged_into"].queryset = targets
        self.fields["version"].initial = unit.version
        self.fields["closed_on"].initial = timezone.localdate()
        self._style()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("status") == OrgStatus.MERGED and not cleaned.get("merged_into"):
            self.add_error("merged_into", "合并时必须选择并入的组织。")
        return cleaned


class CommitteeCreateForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = BranchCommittee
        fields = ["term_number", "term_start", "term_end", "notes"]
        widgets = {"term_start": DateInput(), "term_end": DateInput(), "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, org_unit: OrgUnit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.org_unit = org_unit
        self.fields["term_number"].required = False
        self.fields["term_number"].help_text = "留空则按上一届顺延"
        self.fields["term_end"].required = False
        years = 5 if org_unit.kind == OrgKind.COMMUNITY else 3
        self.fields["term_end"].help_text = f"留空则按 {years} 年任期计算"
        self._style()

    def _post_clean(self) -> None:
        # Defaults are filled in by the service; model validation runs there.
        pass


class CommitteeEditForm(BootstrapMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = BranchCommittee
        fields = ["term_start", "term_end", "notes"]
        widgets = {"term_start": DateInput(), "term_end": DateInput(), "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["version"].initial = self.instance.version
        self._style()

    def _post_clean(self) -> None:
        pass


class SeatAddForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = CommitteeSeat
        fields = ["person_name", "position", "started_on"]
        widgets = {"started_on": DateInput()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["position"].choices = Position.choices
        self.fields["started_on"].required = False
        self.fields["started_on"].help_text = "留空则为今天（不早于本届任期开始）"
        self._style()

    def _post_clean(self) -> None:
        pass


class SeatEndForm(BootstrapMixin, forms.Form):
    left_on = forms.DateField(label="离任日期", widget=DateInput(), error_messages={"required": "请填写离任日期。"})
    reason = forms.CharField(label="离任原因", max_length=200, error_messages={"required": "请填写离任原因。"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["left_on"].initial = timezone.localdate()
        self._style()


def file_size_label(size: int) -> str:
    """12.3 MB, 480 KB: a size as a person reads it."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")
    return f"{max(1, round(size / 1024))} KB"


class ImportFileForm(BootstrapMixin, forms.Form):
    """The upload of an import file: one .xlsx file, no larger than the configured limit."""

    file = forms.FileField(
        label="名册文件",
        error_messages={"required": "请选择要导入的 .xlsx 文件。", "empty": "上传的文件是空的。"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        size = file_size_label(settings.DANGJIAN_IMPORT_MAX_BYTES)
        rows = settings.DANGJIAN_IMPORT_MAX_ROWS
        self.fields["file"].help_text = f"用下载的模板填写，保存为 .xlsx；不超过 {size}、{rows} 行。"
        self.fields["file"].widget.attrs["accept"] = ".xlsx"
        self._style()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.DANGJIAN_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"文件大小为 {file_size_label(upload.size)}，超过单次导入上限 {file_size_label(limit)}："
                "请拆分成几个文件分批导入。",
                code="too_large",
            )
        return upload
