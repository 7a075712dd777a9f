"""Forms of the mobile members' pages: registering an outflow or an inflow, ending a mobility,
logging a contact, and the list's filters. They check the shape of the input; the rules are the
services'."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from dangjian.core.forms import BootstrapMixin, DateInput, UnitChoiceField
from dangjian.core.models import OrgUnit

from .choices import ETHNIC_GROUPS, ContactChannel, ContactResult, MobileDirection, MobileStatus
from .models import Member, MobileMember, check_id_number
from .selectors.mobile import CONTACT_BANDS, MobileFilters
from .services.mobile import INFLOW_MEMBER_FIELDS, MOBILITY_FIELDS


def _phone_field() -> forms.CharField:
    return forms.CharField(
        label="联系电话", max_length=11, required=False, help_text="手机号码；保存后只显示脱敏号码。"
    )


def _mobility_fields() -> dict[str, forms.Field]:
    """The mobility's fields as the model defines them (labels, choices, lengths)."""
    fields = forms.fields_for_model(
        MobileMember,
        fields=[name for name in MOBILITY_FIELDS if name != "contact_phone"],
        widgets={"since": DateInput()},
    )
    fields["contact_phone"] = _phone_field()
    return fields


class OutflowForm(BootstrapMixin, forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(_mobility_fields())
        self.order_fields(list(MOBILITY_FIELDS))
        self.fields["place"].label = "流入地（外出地点）"
        self.fields["counterpart"].label = "流入地党组织"
        self.fields["counterpart"].help_text = "外出期间参加组织生活的党组织（如有）。"
        if not self.is_bound:
            self.fields["since"].initial = timezone.localdate()
        self._style()

    def mobility(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in MOBILITY_FIELDS}


class InflowForm(BootstrapMixin, forms.Form):
    """The person (a member record of the host branch, status inflow) and the mobility."""

    id_number = forms.CharField(
        label="公民身份号码",
        max_length=18,
        min_length=18,
        error_messages={
            "required": "请填写公民身份号码。",
            "min_length": "公民身份号码应为 18 位。",
            "max_length": "公民身份号码应为 18 位。",
        },
        help_text="保存后只显示脱敏号码。",
    )
    branch = forms.ModelChoiceField(
        label="参加组织生活的党支部",
        queryset=OrgUnit.objects.none(),
        error_messages={"required": "请选择党支部。", "invalid_choice": "所选党支部不在您的权限范围内。"},
    )

    ethnic_groups = ETHNIC_GROUPS

    def __init__(self, *args: Any, branches: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        member_fields = forms.fields_for_model(
            Member,
            fields=[name for name in INFLOW_MEMBER_FIELDS if name not in ("id_number", "group")],
            widgets={"join_date": DateInput(), "full_member_date": DateInput()},
        )
        self.fields.update(member_fields)
        self.fields.update(_mobility_fields())
        self.fields["branch"].queryset = branches
        self.fields["branch"].label_from_instance = lambda unit: unit.name
        self.fields["branch"].empty_label = "请选择党支部"
        self.fields["place"].label = "流出地（来自何处）"
        self.fields["counterpart"].label = "组织关系所在党组织"
        self.fields["counterpart"].required = True
        self.fields["counterpart"].error_messages["required"] = "流入党员请填写组织关系所在的党组织。"
        self.fields["ethnicity"].widget.attrs["list"] = "ethnic-groups"
        self.order_fields(
            [
                "name",
                "gender",
                "ethnicity",
                "id_number",
                "contact_phone",
                "membership_type",
                "join_date",
                "full_member_date",
                "branch",
                "counterpart",
                "place",
                "reason",
                "reason_note",
                "since",
                "contact_other",
                "card_number",
            ]
        )
        if not self.is_bound:
            self.fields["since"].initial = timezone.localdate()
        self._style()

    def clean_id_number(self) -> str:
        value = self.cleaned_data["id_number"].strip().upper()
        try:
            check_id_number(value)
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from error
        return value

    def member_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in INFLOW_MEMBER_FIELDS if name in self.cleaned_data}

    def mobility(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in MOBILITY_FIELDS}


class EndForm(BootstrapMixin, forms.Form):
    ended_on = forms.DateField(label="结束日期", widget=DateInput(), error_messages={"required": "请填写结束日期。"})
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, version: int | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_end_%s")
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["ended_on"].initial = timezone.localdate()
            self.fields["version"].initial = version
        self._style()


class ContactForm(BootstrapMixin, forms.Form):
    contacted_on = forms.DateField(
        label="联系日期", widget=DateInput(), error_messages={"required": "请填写联系日期。"}
    )
    channel = forms.ChoiceField(label="联系方式", choices=ContactChannel.choices)
    result = forms.ChoiceField(label="联系结果", choices=ContactResult.choices, widget=forms.RadioSelect)
    notes = forms.CharField(label="情况记录", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_contact_%s")
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["contacted_on"].initial = timezone.localdate()
            self.fields["result"].initial = ContactResult.REACHED
        self._style()


class MobileFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label="查找", required=False, max_length=40)
    unit = UnitChoiceField(label="组织", queryset=OrgUnit.objects.none(), required=False, empty_label="全部")
    status = forms.ChoiceField(
        label="状态", choices=[*MobileStatus.choices, ("all", "全部")], required=False, initial=MobileStatus.AWAY
    )
    band = forms.ChoiceField(
        label="距上次联系",
        choices=[("", "全部"), *((key, label) for key, (label, _, _) in CONTACT_BANDS.items())],
        required=False,
        widget=forms.HiddenInput,
    )
    direction = forms.ChoiceField(
        label="流向", choices=MobileDirection.choices, required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args: Any, units: QuerySet[OrgUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["q"].widget.attrs["placeholder"] = "姓名、拼音首字母、完整身份证号、手机号或地点"
        self._style()

    def filters(self) -> MobileFilters:
        if not self.is_valid():
            return MobileFilters()
        data = self.cleaned_data
        status = data["status"] or MobileStatus.AWAY
        return MobileFilters(
            direction=data["direction"] or MobileDirection.OUTFLOW,
            status="" if status == "all" else status,
            unit=data["unit"],
            band=data["band"],
            q=data["q"],
        )
