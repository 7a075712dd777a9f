"""REST API of care (帮扶): the care records (list, read, record, correct within seven days), the
members who need care, and the money given per community in a year. Registered on the router
by `register`."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from dangjian.api.base import ScopedViewSet
from dangjian.core import scope

from .choices import AssistanceKind, CareForm, HardshipKind
from .models import CareRecord, Member
from .selectors import care as selectors
from .selectors.registry import search_q
from .services import care as services

Cap = scope.Cap


class CareRecordSerializer(serializers.ModelSerializer):
    """A care record as the API shows it (no ID number or phone)."""

    member_name = serializers.CharField(source="member.name", read_only=True)
    branch = serializers.IntegerField(source="member.branch_id", read_only=True)
    branch_name = serializers.CharField(source="member.branch.name", read_only=True)
    hardship_display = serializers.CharField(source="get_hardship_display", read_only=True)
    form_display = serializers.CharField(source="get_form_display", read_only=True)
    assistance_display = serializers.CharField(source="get_assistance_display", read_only=True)
    recorded_by_name = serializers.SerializerMethodField(label="登记人")
    editable_until = serializers.SerializerMethodField(label="登记人可修改至")
    stamp = serializers.IntegerField(read_only=True, label="状态戳", help_text="修改时原样提交；他人已修改时返回 400。")

    class Meta:
        model = CareRecord
        fields = [
            "id",
            "member",
            "member_name",
            "branch",
            "branch_name",
            "hardship",
            "hardship_display",
            "form",
            "form_display",
            "cared_on",
            "carers",
            "situation",
            "assistance",
            "assistance_display",
            "amount",
            "follow_up",
            "next_visit_on",
            "recorded_by",
            "recorded_by_name",
            "created_at",
            "editable_until",
            "stamp",
        ]
        read_only_fields = fields

    def get_recorded_by_name(self, record: CareRecord) -> str:
        return record.recorded_by.display_name if record.recorded_by else ""

    def get_editable_until(self, record: CareRecord) -> Any:
        return services.editable_until(record)


class CareRecordCreateSerializer(serializers.Serializer):
    member = serializers.IntegerField(label="党员")
    hardship = serializers.ChoiceField(label="困难类型", choices=HardshipKind.choices)
    form = serializers.ChoiceField(label="帮扶形式", choices=CareForm.choices)
    cared_on = serializers.DateField(label="日期")
    carers = serializers.CharField(label="参与人员", max_length=120)
    situation = serializers.CharField(label="了解到的情况")
    assistance = serializers.ChoiceField(label="帮扶内容", choices=AssistanceKind.choices, default=AssistanceKind.NONE)
    amount = serializers.DecimalField(
        label="金额（元）", max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    follow_up = serializers.CharField(label="后续安排", max_length=200, required=False, allow_blank=True, default="")
    next_visit_on = serializers.DateField(label="下次走访日期", required=False, allow_null=True)


class CareRecordUpdateSerializer(serializers.Serializer):
    """The fields a recorder may correct (any of them), and the stamp read with the record."""

    hardship = serializers.ChoiceField(label="困难类型", choices=HardshipKind.choices, required=False)
    form = serializers.ChoiceField(label="帮扶形式", choices=CareForm.choices, required=False)
    cared_on = serializers.DateField(label="日期", required=False)
    carers = serializers.CharField(label="参与人员", max_length=120, required=False)
    situation = serializers.CharField(label="了解到的情况", required=False)
    assistance = serializers.ChoiceField(label="帮扶内容", choices=AssistanceKind.choices, required=False)
    amount = serializers.DecimalField(
        label="金额（元）", max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    follow_up = serializers.CharField(label="后续安排", max_length=200, required=False, allow_blank=True)
    next_visit_on = serializers.DateField(label="下次走访日期", required=False, allow_null=True)
    stamp = serializers.IntegerField(label="状态戳", required=False, help_text="读取时的 stamp；他人已修改时返回 400。")


class CareRecordFilter(django_filters.FilterSet):
    member = django_filters.NumberFilter(field_name="member_id", label="党员")
    unit = django_filters.NumberFilter(method="filter_unit", label="组织（含下级）")
    hardship = django_filters.ChoiceFilter(choices=HardshipKind.choices, label="困难类型")
    form = django_filters.ChoiceFilter(choices=CareForm.choices, label="帮扶形式")
    assistance = django_filters.ChoiceFilter(choices=AssistanceKind.choices, label="帮扶内容")
    year = django_filters.NumberFilter(field_name="cared_on__year", label="年度")
    cared_from = django_filters.DateFilter(field_name="cared_on", lookup_expr="gte", label="日期起")
    cared_to = django_filters.DateFilter(field_name="cared_on", lookup_expr="lte", label="日期止")
    visit_overdue = django_filters.BooleanFilter(method="filter_overdue", label="下次走访日期已过")
    q = django_filters.CharFilter(method="filter_q", label="党员姓名、拼音首字母、完整身份证号或手机号")

    class Meta:
        model = CareRecord
        fields = ["hardship", "form", "assistance"]

    def filter_unit(self, queryset, name: str, value: Any):
        unit = scope.units(self.request.user).filter(pk=value).first()
        return queryset.filter(member__branch__path__startswith=unit.path) if unit else queryset.none()

    def filter_q(self, queryset, name: str, value: str):
        return queryset.filter(member__in=Member.objects.filter(search_q(value)))

    def filter_overdue(self, queryset, name: str, value: bool | None):
        if value is None:
            return queryset
        today = timezone.localdate()
        return queryset.filter(next_visit_on__lt=today) if value else queryset.exclude(next_visit_on__lt=today)


class CareMemberSerializer(serializers.ModelSerializer):
    """A member who needs care, with the latest care and the next visit due."""

    branch_name = serializers.CharField(source="branch.name", read_only=True)
    categories = serializers.SerializerMethodField(label="困难类别")
    has_hardship_notes = serializers.SerializerMethodField(label="登记有困难情况")
    last_cared_on = serializers.DateField(read_only=True, label="最近帮扶日期")
    last_hardship = serializers.CharField(read_only=True, label="最近登记的困难类型")
    next_visit_on = serializers.DateField(read_only=True, label="下次走访日期")
    cared_recently = serializers.BooleanField(read_only=True, label="12个月内受过帮扶")
    visit_overdue = serializers.SerializerMethodField(label="走访逾期")

    class Meta:
        model = Member
        fields = [
            "id",
            "name",
            "branch",
            "branch_name",
            "categories",
            "has_hardship_notes",
            "last_cared_on",
            "last_hardship",
            "next_visit_on",
            "cared_recently",
            "visit_overdue",
        ]
        read_only_fields = fields

    def get_categories(self, member: Member) -> list[str]:
        return [category.code for category in member.hardship_categories]

    def get_has_hardship_notes(self, member: Member) -> bool:
        return bool(member.hardship_notes)

    def get_visit_overdue(self, member: Member) -> bool:
        return bool(member.next_visit_on and member.next_visit_on < timezone.localdate())


class CareTotalSerializer(serializers.Serializer):
    community = serializers.IntegerField(source="community.pk", allow_null=True, label="社区")
    community_name = serializers.CharField(source="name", label="社区名称")
    money = serializers.DecimalField(max_digits=14, decimal_places=2, label="慰问金（元）")
    total = serializers.DecimalField(max_digits=14, decimal_places=2, label="帮扶金额合计（元）")
    people = serializers.IntegerField(label="人数")
    times = serializers.IntegerField(label="次数")


class CareTotalsSerializer(serializers.Serializer):
    year = serializers.IntegerField(label="年度")
    money = serializers.DecimalField(max_digits=14, decimal_places=2, label="慰问金（元）")
    total = serializers.DecimalField(max_digits=14, decimal_places=2, label="帮扶金额合计（元）")
    rows = CareTotalSerializer(many=True, label="各社区")


def _unit_param(request: Request):
    value = request.query_params.get("unit", "")
    if not value:
        return None
    unit = scope.units(request.user).filter(pk=value).first() if value.isdigit() else None
    if unit is None:
        raise serializers.ValidationError({"unit": ["所选组织不存在或不在您的权限范围内。"]})
    return unit


class CareRecordViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """帮扶记录：列表、详情、登记（发放慰问金须填金额）、登记人在 7 天内修改（PATCH，附 stamp）；
    `members` 列出需关心帮扶的党员及其最近帮扶和下次走访日期，`totals` 为某年各社区帮扶金额。"""

    scope_model = CareRecord
    queryset = CareRecord.objects.all()
    serializer_class = CareRecordSerializer
    filterset_class = CareRecordFilter
    read_cap = Cap.MEMBER_VIEW
    write_cap = Cap.MEMBER_MANAGE

    def base_queryset(self):
        last_history = (
            CareRecord.history.filter(id=OuterRef("pk")).order_by().values("id").annotate(last=Max("history_id"))
        )
        return (
            CareRecord.objects.select_related("member", "member__branch", "recorded_by")
            .annotate(stamp=Subquery(last_history.values("last")[:1]))
            .order_by("-cared_on", "-pk")
        )

    @extend_schema(request=CareRecordCreateSerializer, responses={201: CareRecordSerializer})
    def create(self, request: Request) -> Response:
        """登记一次帮扶。"""
        data = CareRecordCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        member_id = values.pop("member")
        member = scope.restrict(Member.objects.select_related("branch"), request.user).filter(pk=member_id).first()
        if member is None:
            raise serializers.ValidationError({"member": ["所选党员不存在或不在您的权限范围内。"]})
        record = services.care_record_create(member=member, by=request.user, **values)
        return self.respond(record, 201)

    @extend_schema(request=CareRecordUpdateSerializer, responses=CareRecordSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        """登记人在登记后 7 天内修改记录；超过 7 天或非登记人返回 400，请新增一条记录更正。"""
        record = self.get_object()  # outside the scope: 404 before the body is read
        data = CareRecordUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        stamp = values.pop("stamp", None)
        updated = services.care_record_update(record=record, by=request.user, expected_stamp=stamp, **values)
        return self.respond(updated)

    @extend_schema(
        responses=CareMemberSerializer(many=True),
        parameters=[
            OpenApiParameter("unit", OpenApiTypes.INT, description="组织（含下级）"),
            OpenApiParameter("hardship", OpenApiTypes.STR, enum=HardshipKind.values, description="最近登记的困难类型"),
            OpenApiParameter(
                "follow",
                OpenApiTypes.STR,
                enum=[value for value, _ in selectors.FOLLOW_CHOICES if value],
                description="overdue 走访逾期；unvisited 12个月内未帮扶；scheduled 已安排下次走访",
            ),
            OpenApiParameter("q", OpenApiTypes.STR, description="姓名、拼音首字母、完整身份证号或手机号"),
        ],
        filters=False,
    )
    @action(detail=False, methods=["get"], filter_backends=[])
    def members(self, request: Request) -> Response:
        """需关心帮扶的党员（困难党员、年老体弱、登记有困难情况或 12 个月内受过帮扶），走访逾期的在前。"""
        params = request.query_params
        filters = selectors.CareFilters(
            unit=_unit_param(request),
            hardship=params.get("hardship", ""),
            follow=params.get("follow", ""),
            q=params.get("q", "").strip(),
        )
        members = selectors.care_member_list(user=request.user, filters=filters)
        page = self.paginate_queryset(members)
        rows = page if page is not None else members
        serialized = CareMemberSerializer(rows, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(serialized) if page is not None else Response(serialized)

    @extend_schema(
        responses=CareTotalsSerializer,
        parameters=[
            OpenApiParameter("year", OpenApiTypes.INT, description="年度，默认今年"),
            OpenApiParameter("unit", OpenApiTypes.INT, description="组织（含下级）"),
        ],
        filters=False,
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def totals(self, request: Request) -> Response:
        """某年各社区的慰问金和帮扶金额合计、人数和次数。"""
        year = request.query_params.get("year", "")
        if year and not (year.isdigit() and 2000 <= int(year) <= 2100):
            raise serializers.ValidationError({"year": ["年度应为四位数字，如 2026。"]})
        totals = selectors.care_totals_by_community(
            user=request.user, year=int(year) if year else timezone.localdate().year, unit=_unit_param(request)
        )
        return Response(CareTotalsSerializer(totals).data)


def register(router) -> None:
    """Add this module's viewsets to the API router."""
    router.register("care-records", CareRecordViewSet, basename="care-record")
