"""Forms of the member registry. MemberForm is the one set of field rules for the page and for
each row of an import."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from dangjian.core.forms import BootstrapMixin, DateInput
from dangjian.core.models import OrgUnit

from .choices import ETHNIC_GROUPS, MembershipType, MemberStatus, Standing
from .models import Member, MemberCategory
from .selectors.registry import AGE_BANDS, SORTS, MemberFilters
from .services.registry import MEMBER_FIELDS


class MemberForm(BootstrapMixin, forms.ModelForm):
    id_number = forms.CharField(
        label="公民身份号码",
        max_length=18,
        min_length=18,
        error_messages={"min_length": "公民身份号码应为 18 位。", "max_length": "公民身份号码应为 18 位。"},
    )
    phone = forms.CharField(label="手机号码", max_length=11, required=False)
    categories = forms.ModelMultipleChoiceField(
        label="人员类别",
        queryset=MemberCategory.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Member
        fields = [*MEMBER_FIELDS, "categories"]
        widgets = {
            "join_date": DateInput(),
            "full_member_date": DateInput(),
            "hardship_notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(
        self,
        *args: Any,
        branches: QuerySet[OrgUnit],
        groups: QuerySet[OrgUnit],
        communities: QuerySet[OrgUnit],
        categories: QuerySet[MemberCategory],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = branches
        self.fields["group"].queryset = groups
        self.fields["residence_community"].queryset = communities
        self.fields["categories"].queryset = categories
        self.fields["group"].label_from_instance = lambda unit: f"{unit.parent.name} · {unit.name}"
        self.fields["ethnicity"].widget.attrs["list"] = "ethnic-groups"
        if self.instance.pk:
            # The numbers are never put in the page in clear: blank keeps the stored value.
            for name, masked in (("id_number", self.instance.id_number_masked), ("phone", self.instance.phone_masked)):
                self.fields[name].required = False
                self.fields[name].min_length = None
                self.initial[name] = ""
                self.fields[name].help_text = f"当前：{masked or '未登记'}；留空则不修改"
            if not self.is_bound:
                self.fields["version"].initial = self.instance.version
        self._style()

    ethnic_groups = ETHNIC_GROUPS

    def clean_id_number(self) -> str:
        value = self.cleaned_data["id_number"].strip().upper()
        if not value and self.instance.pk:
            return self.instance.id_number
        return value

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"].strip()
        if not value and self.instance.pk:
            return self.instance.phone
        return value

    def _post_clean(self) -> None:
        super()._post_clean()
        # Model rules that name a computed field land on the field the person typed.
        for computed, typed in (("birth_date", "id_number"), ("id_number_index", "id_number")):
            if computed in self._errors:
                self.add_error(typed, self._errors.pop(computed))

    def service_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in MEMBER_FIELDS}


# The member list's filters are drawn on every request of the list, one of them with an option
# per unit of the scope (hundreds for a sub-district): these widgets write the same HTML as
# Django's widget templates (same attributes, same escaping) in Python, without rendering a
# template per widget and per option, which cost about a fifth of the page.


def _attrs_html(attrs: dict[str, Any]) -> str:
    """django/forms/widgets/attrs.html: True is a bare attribute, False is left out."""
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{conditional_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


class PlainSelectMixin:
    """Django's select widget written without its per-option dictionaries: each choice becomes
    an <option> directly, selected as ChoiceWidget.optgroups selects (the first match only,
    unless several may be chosen), in optgroups where a choice is a group."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        built = self.build_attrs(self.attrs, attrs)  # type: ignore[attr-defined]
        if self.allow_multiple_selected:  # type: ignore[attr-defined]
            built["multiple"] = True
        chosen = set(self.format_value(value))  # type: ignore[attr-defined]
        several = self.allow_multiple_selected  # type: ignore[attr-defined]
        has_selected = False
        parts = [f'<select name="{conditional_escape(name)}"{_attrs_html(built)}>']
        for option_value, option_label in self.choices:  # type: ignore[attr-defined]
            if option_value is None:
                option_value = ""
            grouped = isinstance(option_label, list | tuple)
            labelled = grouped and option_value
            if labelled:
                parts.append(f'<optgroup label="{conditional_escape(option_value)}">')
            for subvalue, sublabel in option_label if grouped else [(option_value, option_label)]:
                selected = (not has_selected or several) and str(subvalue) in chosen
                has_selected |= selected
                parts.append(
                    f'<option value="{conditional_escape(str(subvalue))}"{" selected" if selected else ""}>'
                    f"{conditional_escape(sublabel)}</option>"
                )
            if labelled:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("\n".join(parts))


class PlainSelect(PlainSelectMixin, forms.Select):
    pass


class PlainSelectMultiple(PlainSelectMixin, forms.SelectMultiple):
    pass


class PlainInputMixin:
    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]  # type: ignore[attr-defined]
        shown = "" if widget["value"] is None else f' value="{conditional_escape(str(widget["value"]))}"'
        return mark_safe(
            f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"'
            f"{shown}{_attrs_html(widget['attrs'])}>"
        )


class PlainTextInput(PlainInputMixin, forms.TextInput):
    pass


class PlainNumberInput(PlainInputMixin, forms.NumberInput):
    pass


# Django's ModelChoiceIterator builds a model per option and reads through `.iterator()`, a
# server-side cursor on PostgreSQL (three round trips): these read the few columns an option
# shows in one plain query. The fields still validate a choice against their queryset.


class UnitChoiceIterator(forms.models.ModelChoiceIterator):
    """The scope's units, indented by depth (a sub-district has hundreds)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for pk, name, depth in self.queryset.values_list("pk", "name", "depth"):
            yield (pk, f"{'　' * depth}{name}")


class UnitChoiceField(forms.ModelChoiceField):
    iterator = UnitChoiceIterator


class CategoryChoiceIterator(forms.models.ModelChoiceIterator):
    def __iter__(self):
        yield from self.queryset.values_list("pk", "name")


class CategoryChoiceField(forms.ModelMultipleChoiceField):
    iterator = CategoryChoiceIterator


class MemberFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label="查找", required=False, max_length=40, widget=PlainTextInput)
    unit = UnitChoiceField(label="组织", queryset=OrgUnit.objects.none(), required=False, widget=PlainSelect)
    category = CategoryChoiceField(
        label="人员类别", queryset=MemberCategory.objects.none(), required=False, widget=PlainSelectMultiple
    )
    status = forms.ChoiceField(
        label="在册状态", choices=[("", "全部"), *MemberStatus.choices], required=False, widget=PlainSelect
    )
    standing = forms.ChoiceField(
        label="党籍状态", choices=[("", "全部"), *Standing.choices], required=False, widget=PlainSelect
    )
    membership_type = forms.ChoiceField(
        label="党员类型", choices=[("", "全部"), *MembershipType.choices], required=False, widget=PlainSelect
    )
    age_band = forms.ChoiceField(
        label="年龄段",
        choices=[("", "全部"), *((key, label) for key, (label, _, _) in AGE_BANDS.items())],
        required=False,
        widget=PlainSelect,
    )
    join_year = forms.IntegerField(
        label="入党年份", required=False, min_value=1921, max_value=2100, widget=PlainNumberInput
    )
    sort = forms.ChoiceField(
        widget=PlainSelect,
        label="排序",
        choices=[
            ("branch", "按组织"),
            ("name", "按姓名"),
            ("-join_date", "入党日期（新→旧）"),
            ("join_date", "入党日期（旧→新）"),
            ("age", "年龄（小→大）"),
            ("-age", "年龄（大→小）"),
        ],
        required=False,
    )

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], categories: QuerySet[MemberCategory], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["category"].queryset = categories
        self._style()

    def filters(self) -> MemberFilters:
        if not self.is_valid():
            return MemberFilters()
        data = self.cleaned_data
        return MemberFilters(
            unit=data["unit"],
            categories=list(data["category"]),
            status=data["status"],
            standing=data["standing"],
            membership_type=data["membership_type"],
            age_band=data["age_band"],
            join_year=data["join_year"],
            q=data["q"],
            sort=data["sort"] if data["sort"] in SORTS else "branch",
        )
