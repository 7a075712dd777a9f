"""REST API of relationship transfers (with their introduction letters) and mobile members. ID
numbers and phones are masked in every response; every write goes through the services, with
the version the client read."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from dangjian.api.base import ScopedViewSet
from dangjian.core import scope

from .choices import (
    ContactChannel,
    ContactResult,
    Gender,
    MembershipType,
    MobileDirection,
    MobileReason,
    MobileStatus,
    TransferDirection,
    TransferStatus,
)
from .models import ContactLog, Member, MemberCategory, MobileMember, Transfer
from .selectors import mobile as mobile_selectors
from .selectors import transfers as transfer_selectors
from .selectors.registry import branch_choices
from .services import mobile as mobile_services
from .services import transfers as transfer_services

Cap = scope.Cap
VERSION_HELP = "读取时的版本号；他人已修改时返回 400。"


def _unit_in_scope(request: Request, value: Any):
    return scope.units(request.user).filter(pk=value).first()


# --- Transfers ---------------------------------------------------------------------------------


class TransferSerializer(serializers.ModelSerializer):
    """A transfer as the API shows it: numbers masked."""

    id_number = serializers.CharField(source="id_number_masked", read_only=True)
    phone = serializers.CharField(source="phone_masked", read_only=True)
    direction_display = serializers.CharField(source="get_direction_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    branch_name = serializers.CharField(source="branch.name", read_only=True)
    to_branch_name = serializers.CharField(source="to_branch.name", read_only=True, default=None)
    days_left = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Transfer
        fields = [
            "id",
            "direction",
            "direction_display",
            "status",
            "status_display",
            "member",
            "name",
            "gender",
            "id_number",
            "phone",
            "membership_type",
            "branch",
            "branch_name",
            "to_branch",
            "to_branch_name",
            "counterpart",
            "reason",
            "letter_number",
            "letter_year",
            "letter_seq",
            "issued_on",
            "valid_days",
            "expires_on",
            "days_left",
            "dues_paid_until",
            "reported_on",
            "closed_note",
            "version",
        ]
        read_only_fields = fields


class TransferFilter(django_filters.FilterSet):
    direction = django_filters.ChoiceFilter(choices=TransferDirection.choices, label="转接类型")
    status = django_filters.ChoiceFilter(choices=TransferStatus.choices, label="状态")
    unit = django_filters.NumberFilter(method="filter_unit", label="本方组织（含下级）")
    member = django_filters.NumberFilter(field_name="member", label="党员")
    expiring = django_filters.BooleanFilter(method="filter_expiring", label="即将过期或已过期未报到")
    q = django_filters.CharFilter(method="filter_q", label="姓名、介绍信编号或完整身份证号")

    class Meta:
        model = Transfer
        fields = ["direction", "status", "member"]

    def filter_unit(self, queryset, name: str, value: Any):
        unit = _unit_in_scope(self.request, value)
        if unit is None:
            return queryset.none()
        return queryset.filter(Q(branch__path__startswith=unit.path) | Q(to_branch__path__startswith=unit.path))

    def filter_expiring(self, queryset, name: str, value: bool):
        if not value:
            return queryset
        ids = transfer_selectors.transfer_expiring(user=self.request.user).values("pk")
        return queryset.filter(pk__in=ids)

    def filter_q(self, queryset, name: str, value: str):
        return queryset.filter(transfer_selectors.transfer_search_q(value))


class TransferCreateSerializer(serializers.Serializer):
    """One request for each direction: `transfer_out` (member, counterpart), `within` (member,
    to_branch) or `transfer_in` (the person as the letter names them, and the receiving branch)."""

    direction = serializers.ChoiceField(label="转接类型", choices=TransferDirection.choices)
    member = serializers.IntegerField(label="党员（转出、区内转接）", required=False)
    counterpart = serializers.CharField(label="对方党组织", max_length=120, required=False, allow_blank=True)
    to_branch = serializers.IntegerField(label="转入党支部（区内转接）", required=False)
    reason = serializers.CharField(label="转接原因", max_length=200, required=False, allow_blank=True)
    issued_on = serializers.DateField(label="开具/收到日期")
    valid_days = serializers.IntegerField(label="有效期（天）", required=False, min_value=1, max_value=365)
    dues_paid_until = serializers.DateField(label="党费交至（月份第一天）", required=False, allow_null=True)
    name = serializers.CharField(label="姓名（转入）", max_length=50, required=False)
    gender = serializers.ChoiceField(label="性别（转入）", choices=Gender.choices, required=False)
    id_number = serializers.CharField(label="公民身份号码（转入）", min_length=18, max_length=18, required=False)
    membership_type = serializers.ChoiceField(
        label="党员类型（转入）", choices=MembershipType.choices, required=False, default=MembershipType.FULL
    )
    phone = serializers.CharField(label="手机号码（转入）", max_length=11, required=False, allow_blank=True)
    branch = serializers.IntegerField(label="接收党支部（转入）", required=False)
    letter_number = serializers.CharField(label="来信编号（转入）", max_length=40, required=False, allow_blank=True)

    REQUIRED = {
        TransferDirection.OUT: {"member": "请选择党员。", "counterpart": "请填写转往的党组织名称。"},
        TransferDirection.WITHIN: {"member": "请选择党员。", "to_branch": "请选择转入的党支部。"},
        TransferDirection.IN: {
            "name": "请填写姓名。",
            "gender": "请选择性别。",
            "id_number": "请填写公民身份号码。",
            "branch": "请选择接收的党支部。",
            "counterpart": "请填写开具介绍信的党组织名称。",
        },
    }

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        missing = {
            field: [message]
            for field, message in self.REQUIRED[data["direction"]].items()
            if data.get(field) in (None, "")
        }
        if missing:
            raise serializers.ValidationError(missing)
        return data


class _VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(label="版本", required=False, help_text=VERSION_HELP)


class TransferReportSerializer(_VersionSerializer):
    reported_on = serializers.DateField(label="报到日期")
    note = serializers.CharField(label="办理说明", max_length=200, required=False, allow_blank=True)


class TransferNoteSerializer(_VersionSerializer):
    note = serializers.CharField(label="原因", max_length=200)


class TransferReissueSerializer(_VersionSerializer):
    issued_on = serializers.DateField(label="开具日期")
    valid_days = serializers.IntegerField(label="有效期（天）", required=False, min_value=1, max_value=365)
    dues_paid_until = serializers.DateField(label="党费交至（月份第一天）", required=False, allow_null=True)
    counterpart = serializers.CharField(label="转往党组织（转出）", max_length=120, required=False)
    to_branch = serializers.IntegerField(label="转入党支部（区内转接）", required=False)


class TransferRegisterSerializer(_VersionSerializer):
    registered_on = serializers.DateField(label="编入日期")
    ethnicity = serializers.CharField(label="民族", max_length=20, required=False, default="汉族")
    phone = serializers.CharField(label="手机号码", max_length=11, required=False, allow_blank=True, default="")
    education = serializers.CharField(label="学历", max_length=20, required=False, allow_blank=True, default="")
    occupation = serializers.CharField(label="职业", max_length=60, required=False, allow_blank=True, default="")
    work_unit = serializers.CharField(label="工作单位", max_length=100, required=False, allow_blank=True, default="")
    residence_community = serializers.IntegerField(label="居住社区", required=False, allow_null=True, default=None)
    grid = serializers.CharField(label="网格", max_length=40, required=False, allow_blank=True, default="")
    building = serializers.CharField(label="楼栋", max_length=40, required=False, allow_blank=True, default="")
    room = serializers.CharField(label="房号", max_length=20, required=False, allow_blank=True, default="")
    join_date = serializers.DateField(label="入党日期")
    full_member_date = serializers.DateField(label="转正日期", required=False, allow_null=True, default=None)
    membership_type = serializers.ChoiceField(label="党员类型", choices=MembershipType.choices, required=False)
    group = serializers.IntegerField(label="党小组", required=False, allow_null=True, default=None)
    categories = serializers.ListField(
        label="人员类别代码", child=serializers.CharField(), required=False, default=list
    )


class TransferViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """组织关系转接与介绍信：列表、详情、开具（转出、区内转接）或登记转入（`direction`），以及
    登记报到、退回、作废、重新开具、编入支部。区内转接的转入方也能看到并登记报到。身份证号和手机号均脱敏。"""

    scope_model = Transfer
    queryset = Transfer.objects.all()
    serializer_class = TransferSerializer
    filterset_class = TransferFilter
    read_cap = Cap.MEMBER_VIEW
    write_cap = Cap.MEMBER_MANAGE

    def base_queryset(self):
        return Transfer.objects.select_related("branch", "to_branch").order_by("-issued_on", "-pk")

    def get_queryset(self):
        # The issuing side's letters, and within-district letters coming to the user's branches.
        return transfer_selectors.transfer_visible(self.request.user, self.base_queryset())

    def _respond(self, transfer: Transfer, code: int = status.HTTP_200_OK) -> Response:
        transfer = self.base_queryset().get(pk=transfer.pk)
        return Response(TransferSerializer(transfer, context=self.get_serializer_context()).data, status=code)

    def _issuer_object(self) -> Transfer:
        transfer = self.get_object()
        if not transfer_selectors.transfer_is_issuer(user=self.request.user, transfer=transfer):
            raise exceptions.PermissionDenied("只有开具介绍信的一方可以办理此项。")
        return transfer

    def _member(self, pk: Any) -> Member:
        member = scope.restrict(Member.objects.select_related("branch"), self.request.user).filter(pk=pk).first()
        if member is None:
            raise serializers.ValidationError({"member": ["所选党员不存在或不在您的权限范围内。"]})
        return member

    @extend_schema(request=TransferCreateSerializer, responses={201: TransferSerializer})
    def create(self, request: Request) -> Response:
        """开具转出介绍信、开具区内转接介绍信，或登记收到的转入介绍信（按 `direction`）。"""
        data = TransferCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        by = request.user
        letter = {
            "issued_on": values["issued_on"],
            "reason": values.get("reason", ""),
            "valid_days": values.get("valid_days"),
            "dues_paid_until": values.get("dues_paid_until"),
        }
        direction = values["direction"]
        if direction == TransferDirection.OUT:
            member = self._member(values["member"])
            transfer = transfer_services.transfer_issue_out(
                member=member, counterpart=values["counterpart"], by=by, **letter
            )
        elif direction == TransferDirection.WITHIN:
            member = self._member(values["member"])
            to_branch = transfer_selectors.within_targets(member).filter(pk=values["to_branch"]).first()
            if to_branch is None:
                raise serializers.ValidationError({"to_branch": ["所选党支部不在本区，或就是该党员所在的党支部。"]})
            transfer = transfer_services.transfer_issue_within(member=member, to_branch=to_branch, by=by, **letter)
        else:
            branch = branch_choices(user=by).filter(pk=values["branch"]).first()
            if branch is None:
                raise serializers.ValidationError({"branch": ["所选党支部不存在或不在您的权限范围内。"]})
            transfer = transfer_services.transfer_receive_in(
                by=by,
                name=values["name"],
                gender=values["gender"],
                id_number=values["id_number"],
                membership_type=values["membership_type"],
                phone=values.get("phone", ""),
                branch=branch,
                counterpart=values["counterpart"],
                letter_number=values.get("letter_number", ""),
                issued_on=values["issued_on"],
                dues_paid_until=values.get("dues_paid_until"),
                reason=values.get("reason", ""),
            )
        return self._respond(transfer, status.HTTP_201_CREATED)

    def _act(self, name: str, serializer_class: type[serializers.Serializer], *, issuer_only: bool) -> Response:
        transfer = self._issuer_object() if issuer_only else self.get_object()  # outside the scope: 404 first
        data = serializer_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        return self._respond(transfer_services.ACTION_SERVICES[name](transfer, data.validated_data, self.request.user))

    @extend_schema(request=TransferReportSerializer, responses=TransferSerializer)
    @action(detail=True, methods=["post"])
    def report(self, request: Request, pk: Any = None) -> Response:
        """登记报到：转出的党员转出本区；区内转接的党员编入转入党支部（转入方也可以登记）。"""
        return self._act("report", TransferReportSerializer, issuer_only=False)

    @extend_schema(request=TransferNoteSerializer, responses=TransferSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_letter(self, request: Request, pk: Any = None) -> Response:
        """退回（须填写原因）：党员仍在原党支部。"""
        return self._act("return", TransferNoteSerializer, issuer_only=True)

    @extend_schema(request=TransferNoteSerializer, responses=TransferSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: Any = None) -> Response:
        """作废（须填写原因）；编号不再使用。"""
        return self._act("cancel", TransferNoteSerializer, issuer_only=True)

    @extend_schema(request=TransferReissueSerializer, responses={201: TransferSerializer})
    @action(detail=True, methods=["post"])
    def reissue(self, request: Request, pk: Any = None) -> Response:
        """重新开具已过期未报到的介绍信（新编号）；新介绍信报到后，原介绍信的口袋党员盲点随之办结。"""
        transfer = self._issuer_object()
        data = TransferReissueSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        to_branch = None
        if values.get("to_branch") is not None and transfer.member is not None:
            to_branch = transfer_selectors.within_targets(transfer.member).filter(pk=values["to_branch"]).first()
            if to_branch is None:
                raise serializers.ValidationError({"to_branch": ["所选党支部不在本区，或就是该党员所在的党支部。"]})
        new = transfer_services.transfer_reissue(
            transfer=transfer,
            by=request.user,
            issued_on=values["issued_on"],
            valid_days=values.get("valid_days"),
            dues_paid_until=values.get("dues_paid_until"),
            counterpart=values.get("counterpart"),
            to_branch=to_branch,
            expected_version=values.get("version"),
        )
        return self._respond(new, status.HTTP_201_CREATED)

    @extend_schema(request=TransferRegisterSerializer, responses=TransferSerializer)
    @action(detail=True, methods=["post"])
    def register(self, request: Request, pk: Any = None) -> Response:
        """转入的党员编入接收党支部，建立党员档案（曾在本区转出或流入的，恢复原档案）。"""
        transfer = self._issuer_object()
        data = TransferRegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        registered_on = values.pop("registered_on")
        version = values.pop("version", None)
        codes = values.pop("categories")
        categories = list(MemberCategory.objects.filter(code__in=codes, is_active=True))
        if len(categories) != len(set(codes)):
            raise serializers.ValidationError({"categories": ["人员类别代码不存在或已停用。"]})
        group_id = values.pop("group")
        values["group"] = None
        if group_id is not None:
            values["group"] = transfer_selectors.group_choices_for(branch=transfer.branch).filter(pk=group_id).first()
            if values["group"] is None:
                raise serializers.ValidationError({"group": ["所选党小组不属于接收党支部。"]})
        community_id = values.pop("residence_community")
        values["residence_community"] = None
        if community_id is not None:
            values["residence_community"] = scope.units(request.user).filter(pk=community_id, kind="community").first()
            if values["residence_community"] is None:
                raise serializers.ValidationError({"residence_community": ["所选社区不存在或不在您的权限范围内。"]})
        saved = transfer_services.transfer_register(
            transfer=transfer,
            by=request.user,
            registered_on=registered_on,
            categories=categories,
            expected_version=version,
            **values,
        )
        return self._respond(saved)

    @extend_schema(responses=TransferSerializer(many=True), filters=False)
    @action(detail=False, methods=["get"], filter_backends=[])
    def incoming(self, request: Request) -> Response:
        """待接收：本区其他党支部开具、转入您所管党支部、尚未报到的区内转接介绍信。"""
        queryset = transfer_selectors.transfer_incoming(user=request.user)
        page = self.paginate_queryset(queryset)
        serializer = TransferSerializer(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(serializer.data)


# --- Mobile members ----------------------------------------------------------------------------


class MobileMemberSerializer(serializers.ModelSerializer):
    """A mobile member as the API shows it: the phone masked."""

    member_name = serializers.CharField(source="member.name", read_only=True)
    branch = serializers.IntegerField(source="member.branch_id", read_only=True)
    branch_name = serializers.CharField(source="member.branch.name", read_only=True)
    contact_phone = serializers.CharField(source="contact_phone_masked", read_only=True)
    days_since_contact = serializers.IntegerField(read_only=True)

    class Meta:
        model = MobileMember
        fields = [
            "id",
            "direction",
            "status",
            "member",
            "member_name",
            "branch",
            "branch_name",
            "place",
            "counterpart",
            "reason",
            "reason_note",
            "since",
            "ended_on",
            "contact_phone",
            "contact_other",
            "card_number",
            "last_contact_on",
            "days_since_contact",
            "version",
        ]
        read_only_fields = fields


class ContactLogSerializer(serializers.ModelSerializer):
    by_name = serializers.CharField(source="by.display_name", read_only=True, default=None)

    class Meta:
        model = ContactLog
        fields = ["id", "contacted_on", "channel", "result", "notes", "by_name"]
        read_only_fields = fields


class ContactAddSerializer(serializers.Serializer):
    contacted_on = serializers.DateField(label="联系日期")
    channel = serializers.ChoiceField(label="联系方式", choices=ContactChannel.choices)
    result = serializers.ChoiceField(label="联系结果", choices=ContactResult.choices)
    notes = serializers.CharField(label="情况记录", required=False, allow_blank=True, default="")


class MobileEndSerializer(_VersionSerializer):
    ended_on = serializers.DateField(label="结束日期")


class MobileCreateSerializer(serializers.Serializer):
    """`outflow`: a member of the scope (`member`); `inflow`: the person and the host branch."""

    direction = serializers.ChoiceField(label="流向", choices=MobileDirection.choices)
    member = serializers.IntegerField(label="党员（流出）", required=False)
    place = serializers.CharField(label="流动地点", max_length=120)
    counterpart = serializers.CharField(
        label="对方党组织", max_length=120, required=False, allow_blank=True, default=""
    )
    reason = serializers.ChoiceField(label="流动原因", choices=MobileReason.choices)
    reason_note = serializers.CharField(label="原因说明", max_length=200, required=False, allow_blank=True, default="")
    since = serializers.DateField(label="流动开始日期")
    contact_phone = serializers.CharField(label="联系电话", max_length=11, required=False, allow_blank=True, default="")
    contact_other = serializers.CharField(
        label="其他联系方式", max_length=100, required=False, allow_blank=True, default=""
    )
    card_number = serializers.CharField(
        label="流动党员活动证号", max_length=40, required=False, allow_blank=True, default=""
    )
    branch = serializers.IntegerField(label="参加组织生活的党支部（流入）", required=False)
    name = serializers.CharField(label="姓名（流入）", max_length=50, required=False)
    gender = serializers.ChoiceField(label="性别（流入）", choices=Gender.choices, required=False)
    ethnicity = serializers.CharField(label="民族（流入）", max_length=20, required=False, default="汉族")
    id_number = serializers.CharField(label="公民身份号码（流入）", min_length=18, max_length=18, required=False)
    join_date = serializers.DateField(label="入党日期（流入）", required=False)
    full_member_date = serializers.DateField(label="转正日期（流入）", required=False, allow_null=True, default=None)
    membership_type = serializers.ChoiceField(
        label="党员类型（流入）", choices=MembershipType.choices, required=False, default=MembershipType.FULL
    )

    REQUIRED = {
        MobileDirection.OUTFLOW: {"member": "请选择党员。"},
        MobileDirection.INFLOW: {
            "branch": "请选择党支部。",
            "name": "请填写姓名。",
            "gender": "请选择性别。",
            "id_number": "请填写公民身份号码。",
            "join_date": "请填写入党日期。",
            "counterpart": "流入党员请填写组织关系所在的党组织。",
        },
    }

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        missing = {
            field: [message]
            for field, message in self.REQUIRED[data["direction"]].items()
            if data.get(field) in (None, "")
        }
        if missing:
            raise serializers.ValidationError(missing)
        return data


class MobileMemberFilter(django_filters.FilterSet):
    direction = django_filters.ChoiceFilter(choices=MobileDirection.choices, label="流向")
    status = django_filters.ChoiceFilter(choices=MobileStatus.choices, label="状态")
    unit = django_filters.NumberFilter(method="filter_unit", label="组织（含下级）")
    band = django_filters.ChoiceFilter(
        choices=[(key, label) for key, (label, _, _) in mobile_selectors.CONTACT_BANDS.items()],
        method="filter_band",
        label="距上次联系",
    )
    q = django_filters.CharFilter(method="filter_q", label="姓名、拼音首字母、完整身份证号、手机号或地点")

    class Meta:
        model = MobileMember
        fields = ["direction", "status"]

    def filter_unit(self, queryset, name: str, value: Any):
        unit = _unit_in_scope(self.request, value)
        return queryset.filter(member__branch__path__startswith=unit.path) if unit else queryset.none()

    def filter_band(self, queryset, name: str, value: str):
        return queryset.filter(mobile_selectors.band_q(value))

    def filter_q(self, queryset, name: str, value: str):
        return queryset.filter(mobile_selectors.mobile_search_q(value))


class MobileMemberViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """流动党员：列表（按未联系时间从长到短）、详情、登记流出或流入（`direction`）、结束流动，以及
    联系记录（`contacts`：GET 列出，POST 登记；联系上的记录更新最近联系日期并办结失联盲点）。联系电话脱敏。"""

    scope_model = MobileMember
    queryset = MobileMember.objects.all()
    serializer_class = MobileMemberSerializer
    filterset_class = MobileMemberFilter
    read_cap = Cap.MEMBER_VIEW
    write_cap = Cap.MEMBER_MANAGE

    def base_queryset(self):
        return (
            MobileMember.objects.select_related("member", "member__branch")
            .annotate(last_touch=mobile_selectors.last_touch())
            .order_by("last_touch", "pk")
        )

    def _respond(self, mobile: MobileMember, code: int = status.HTTP_200_OK) -> Response:
        mobile = self.base_queryset().get(pk=mobile.pk)
        return Response(MobileMemberSerializer(mobile, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=MobileCreateSerializer, responses={201: MobileMemberSerializer})
    def create(self, request: Request) -> Response:
        """登记流出党员（本支部党员外出）或流入党员（关系在外、在本地参加组织生活，建立“流入”状态的党员记录）。"""
        data = MobileCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        mobility = {name: values[name] for name in mobile_services.MOBILITY_FIELDS}
        if values["direction"] == MobileDirection.OUTFLOW:
            member = scope.restrict(Member.objects.all(), request.user).filter(pk=values["member"]).first()
            if member is None:
                raise serializers.ValidationError({"member": ["所选党员不存在或不在您的权限范围内。"]})
            mobile = mobile_services.mobile_register_outflow(member=member, by=request.user, **mobility)
        else:
            branch = branch_choices(user=request.user).filter(pk=values["branch"]).first()
            if branch is None:
                raise serializers.ValidationError({"branch": ["所选党支部不存在或不在您的权限范围内。"]})
            member_fields = {
                name: values[name]
                for name in mobile_services.INFLOW_MEMBER_FIELDS
                if name in values and name != "group"
            }
            mobile = mobile_services.mobile_register_inflow(
                branch=branch, by=request.user, member_fields=member_fields, **mobility
            )
        return self._respond(mobile, status.HTTP_201_CREATED)

    @extend_schema(request=MobileEndSerializer, responses=MobileMemberSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: Any = None) -> Response:
        """结束流动（返回本地、离开本地）；流入党员的记录移出本党支部名单。"""
        mobile = self.get_object()
        data = MobileEndSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._respond(mobile_services.ACTION_SERVICES["end"](mobile, data.validated_data, request.user))

    @extend_schema(
        methods=["GET"], responses=ContactLogSerializer(many=True), filters=False, description="列出联系记录。"
    )
    @extend_schema(
        methods=["POST"],
        request=ContactAddSerializer,
        responses={201: ContactLogSerializer},
        description="登记一次联系；联系上的，更新最近联系日期并办结失联盲点。",
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def contacts(self, request: Request, pk: Any = None) -> Response:
        """联系记录：GET 列出（最近的在前），POST 登记一次联系。"""
        mobile = self.get_object()
        if request.method == "GET":
            logs = mobile_selectors.contact_list(user=request.user, mobile=mobile)
            return Response(ContactLogSerializer(logs, many=True).data)
        data = ContactAddSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        log = mobile_services.ACTION_SERVICES["contact"](mobile, data.validated_data, request.user)
        log = ContactLog.objects.select_related("by").get(pk=log.pk)
        return Response(ContactLogSerializer(log).data, status=status.HTTP_201_CREATED)


def register(router) -> None:
    """Add this module's viewsets to the API router."""
    router.register("transfers", TransferViewSet, basename="transfer")
    router.register("mobile-members", MobileMemberViewSet, basename="mobile-member")
