"""Forms of the member registry. MemberForm is the one set of field rules for the page and for
each row of an import."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.db.models import QuerySet

from dangjian.core.forms import BootstrapMixin, DateInput, UnitChoiceField
from dangjian.core.models import OrgUnit
from dangjian.core.widgets import PlainNumberInput, PlainSelect, PlainSelectMultiple, PlainTextInput

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


# Django's ModelChoiceIterator builds a model per option and reads through `.iterator()`: the
# categories' options are read in one plain query (units: core.forms.UnitChoiceField).


class CategoryChoiceIterator(forms.models.ModelChoiceIterator):
    def __iter__(self):
        yield from self.queryset.values_list("pk", "name")


class CategoryChoiceField(forms.ModelMultipleChoiceField):
    iterator = CategoryChoiceIterator


class MemberFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(
        label="查找",
        required=False,
        max_length=40,
        widget=PlainTextInput,
        help_text="姓名、拼音首字母（如 zs）、完整身份证号或手机号",
    )
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

    def __init__(
        self,
        *args: Any,
        units: QuerySet[OrgUnit],
        categories: QuerySet[MemberCategory],
        category_options: list[tuple[int, str]] | None = None,
        unit_options: Callable[[], Iterable[tuple[int, str, int]]] | None = None,
        **kwargs: Any,
    ):
        """`units` and `categories` are the ones a choice is checked against. Where the page
        reads them another way, `unit_options` (gives (pk, name, depth) of `units` when the
        options are drawn) and `category_options` (a `CategoryLookup`'s) are shown instead."""
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["unit"].option_rows = unit_options
        self.fields["category"].queryset = categories
        if category_options is not None:
            self.fields["category"].choices = category_options
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
