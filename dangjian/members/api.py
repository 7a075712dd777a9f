"""REST API of the members app. ID numbers and phones are masked in every response; showing
one in full is its own logged action."""

from __future__ import annotations

from typing import Any

import django_filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from dangjian.api.base import ScopedViewSet
from dangjian.core import scope

from .choices import MembershipType, MemberStatus, Standing, UnmaskField
from .models import Member
from .selectors.registry import AGE_BANDS, age_band_q, search_q
from .selectors.registry import member_list as member_list_selector
from .services import registry as services

Cap = scope.Cap


# --- Member registry ---------------------------------------------------------------------------


class MemberSerializer(serializers.ModelSerializer):
    """A member as the API shows it: numbers masked."""

    id_number = serializers.CharField(source="id_number_masked", read_only=True)
    phone = serializers.CharField(source="phone_masked", read_only=True)
    branch_name = serializers.CharField(source="branch.name", read_only=True)
    categories = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    age = serializers.IntegerField(read_only=True)

    class Meta:
        model = Member
        fields = [
            "id",
            "name",
            "gender",
            "ethnicity",
            "birth_date",
            "age",
            "id_number",
            "phone",
            "education",
            "occupation",
            "work_unit",
            "residence_community",
            "grid",
            "building",
            "room",
            "join_date",
            "full_member_date",
            "membership_type",
            "standing",
            "status",
            "branch",
            "branch_name",
            "group",
            "categories",
            "version",
        ]
        read_only_fields = fields


class MemberFilter(django_filters.FilterSet):
    unit = django_filters.NumberFilter(method="filter_unit", label="组织（含下级）")
    category = django_filters.CharFilter(field_name="categories__code", label="人员类别代码")
    status = django_filters.ChoiceFilter(choices=MemberStatus.choices, label="在册状态")
    standing = django_filters.ChoiceFilter(choices=Standing.choices, label="党籍状态")
    membership_type = django_filters.ChoiceFilter(choices=MembershipType.choices, label="党员类型")
    age_band = django_filters.ChoiceFilter(
        choices=[(key, label) for key, (label, _, _) in AGE_BANDS.items()], method="filter_age", label="年龄段"
    )
    join_year = django_filters.NumberFilter(field_name="join_date__year", label="入党年份")
    q = django_filters.CharFilter(method="filter_q", label="姓名、拼音首字母、完整身份证号或手机号")

    class Meta:
        model = Member
        fields = ["status", "standing", "membership_type"]

    def filter_unit(self, queryset, name: str, value: Any):
        unit = scope.units(self.request.user).filter(pk=value).first()
        return queryset.filter(branch__path__startswith=unit.path) if unit else queryset.none()

    def filter_age(self, queryset, name: str, value: str):
        return queryset.filter(age_band_q(value))

    def filter_q(self, queryset, name: str, value: str):
        return queryset.filter(search_q(value))


class UnmaskRequestSerializer(serializers.Serializer):
    field = serializers.ChoiceField(label="字段", choices=UnmaskField.choices)


class MemberViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """党员名册（只读）：身份证号和手机号均脱敏；`unmask` 显示明文并记录。"""

    scope_model = Member
    queryset = Member.objects.all()
    serializer_class = MemberSerializer
    filterset_class = MemberFilter
    read_cap = Cap.MEMBER_VIEW
    write_cap = Cap.MEMBER_MANAGE
    action_caps = {"unmask": Cap.MEMBER_UNMASK}

    def base_queryset(self):
        return member_list_selector(user=self.request.user).distinct()

    @extend_schema(
        request=UnmaskRequestSerializer,
        responses=inline_serializer(
            "UnmaskResponse", {"field": serializers.CharField(), "value": serializers.CharField()}
        ),
    )
    @action(detail=True, methods=["post"])
    def unmask(self, request: Request, pk: Any = None) -> Response:
        """显示一名党员的公民身份号码或手机号码明文；每次都记入明文查看记录。"""
        member = self.get_object()
        data = UnmaskRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        field = data.validated_data["field"]
        value = services.member_unmask(
            member=member, field=field, by=request.user, ip_address=request.META.get("REMOTE_ADDR")
        )
        return Response({"field": field, "value": value}, status=status.HTTP_200_OK)
