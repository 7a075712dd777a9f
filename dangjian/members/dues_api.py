"""REST API of Party dues (党费): the bracket rules, income bases, the monthly ledger and the
arrears list, payments and reliefs. Every write goes through the services the pages use, so the
API refuses the same input with the same Chinese messages. No ID number or phone appears."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from dangjian.api.base import ScopedViewSet
from dangjian.core import scope
from dangjian.core.models import OrgUnit

from .choices import ApprovalStatus, DuesMonthStatus, IncomeClass, PaymentKind, PaymentMethod, ReliefKind
from .dues_forms import parse_month
from .models import DuesBase, DuesMonth, DuesPayment, DuesRelief, DuesRule, Member
from .selectors import dues as selectors
from .services import dues as services

Cap = scope.Cap


def _member_in_scope(request: Request, pk: Any) -> Member:
    member = scope.restrict(Member.objects.select_related("branch"), request.user).filter(pk=pk).first()
    if member is None:
        raise serializers.ValidationError({"member": ["所选党员不存在或不在您的权限范围内。"]})
    return member


def _unit_in_scope(request: Request, value: Any) -> OrgUnit | None:
    unit = scope.units(request.user).filter(pk=value).first() if str(value).isdigit() else None
    if unit is None:
        raise serializers.ValidationError({"unit": ["所选组织不存在或不在您的权限范围内。"]})
    return unit


class ScopedDuesViewSet(ScopedViewSet):
    """The dues tables declare no `scope_self`: members (who hold no dues capability anyway) are
    narrowed to their own rows here too."""

    read_cap = Cap.DUES_VIEW
    write_cap = Cap.DUES_MANAGE

    def get_queryset(self) -> QuerySet:
        return selectors.dues_restrict(self.base_queryset(), self.request.user)


# --- Rules -------------------------------------------------------------------------------------


class DuesRuleSerializer(serializers.ModelSerializer):
    income_class_display = serializers.CharField(source="get_income_class_display", read_only=True)
    description = serializers.CharField(source="describe", read_only=True)

    class Meta:
        model = DuesRule
        fields = [
            "id",
            "income_class",
            "income_class_display",
            "upper_bound",
            "rate_percent",
            "fixed_amount",
            "description",
            "version",
            "updated_at",
        ]
        read_only_fields = fields


class DuesRuleChangeSerializer(serializers.Serializer):
    id = serializers.IntegerField(label="标准编号")
    upper_bound = serializers.CharField(label="月收入上限（元）", required=False, allow_null=True, allow_blank=True)
    rate_percent = serializers.CharField(label="交纳比例（%）", required=False, allow_null=True, allow_blank=True)
    fixed_amount = serializers.CharField(label="固定月额（元）", required=False, allow_null=True, allow_blank=True)
    version = serializers.IntegerField(label="版本", required=False, help_text="读取时的版本号；他人已修改时返回 400。")


class DuesRulesUpdateSerializer(serializers.Serializer):
    rules = DuesRuleChangeSerializer(many=True, allow_empty=False, label="要修改的档次")


class DuesRuleViewSet(mixins.ListModelMixin, ScopedViewSet):
    """党费交纳标准（全平台适用）：各收入类别的档次、比例或固定月额。区委组织部可用 `update_rules` 修改。"""

    scope_model = DuesRule
    serializer_class = DuesRuleSerializer
    read_cap = Cap.DUES_VIEW
    write_cap = Cap.RULES_MANAGE
    pagination_class = None
    filter_backends: list = []

    def base_queryset(self) -> QuerySet:
        return DuesRule.objects.order_by("income_class", "pk")

    def get_queryset(self) -> QuerySet:
        # The rules belong to no org unit: every role that sees dues reads all of them.
        return self.base_queryset()

    @extend_schema(request=DuesRulesUpdateSerializer, responses=DuesRuleSerializer(many=True))
    @action(detail=False, methods=["post"], url_path="update")
    def update_rules(self, request: Request) -> Response:
        """修改交纳标准（区委组织部）。每项给出编号和要改的值（上限、比例或固定月额），可带版本号；
        错误按 `rate_percent_<编号>` 这样的字段名返回。"""
        data = DuesRulesUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rules = {rule.pk: rule for rule in DuesRule.objects.all()}
        values: dict[str, Any] = {}
        versions: dict[int, int] = {}
        for change in data.validated_data["rules"]:
            rule = rules.get(change["id"])
            if rule is None:
                raise serializers.ValidationError({"rules": [f"没有编号为 {change['id']} 的交纳标准。"]})
            for field in services.RULE_FIELDS:
                if field in change:
                    values[services.rule_field_name(field, rule)] = change[field]
            if change.get("version") is not None:
                versions[rule.pk] = change["version"]
        services.dues_rules_update(values=values, expected_versions=versions, by=request.user)
        return Response(DuesRuleSerializer(self.base_queryset(), many=True).data)


# --- Bases -------------------------------------------------------------------------------------


class DuesBaseSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    branch = serializers.IntegerField(source="member.branch_id", read_only=True)
    branch_name = serializers.CharField(source="member.branch.name", read_only=True)
    income_class_display = serializers.CharField(source="get_income_class_display", read_only=True)
    set_by_name = serializers.SerializerMethodField(label="核定人")

    class Meta:
        model = DuesBase
        fields = [
            "id",
            "member",
            "member_name",
            "branch",
            "branch_name",
            "year",
            "income_class",
            "income_class_display",
            "monthly_income",
            "monthly_amount",
            "set_by_name",
            "version",
            "updated_at",
        ]
        read_only_fields = fields

    def get_set_by_name(self, base: DuesBase) -> str:
        return base.set_by.display_name if base.set_by else ""


class DuesBaseSetSerializer(serializers.Serializer):
    member = serializers.IntegerField(label="党员")
    year = serializers.IntegerField(label="年度")
    income_class = serializers.ChoiceField(label="收入类别", choices=IncomeClass.choices)
    monthly_income = serializers.CharField(
        label="月收入（元）", required=False, allow_blank=True, help_text="学生、失业、领取低保等可不填"
    )
    version = serializers.IntegerField(
        label="版本", required=False, help_text="读取时的版本号（原来没有基数时为 0）；他人已修改时返回 400。"
    )


class DuesBaseChangeSerializer(serializers.Serializer):
    income_class = serializers.ChoiceField(label="收入类别", choices=IncomeClass.choices)
    monthly_income = serializers.CharField(
        label="月收入（元）", required=False, allow_blank=True, help_text="学生、失业、领取低保等可不填"
    )
    version = serializers.IntegerField(label="版本", required=False)


def _income(values: dict[str, Any]) -> Any:
    """The minimal class pays a fixed amount: its income may be left out."""
    income = values.get("monthly_income")
    if not income and values["income_class"] == IncomeClass.MINIMAL:
        return "0"
    return income


class DuesBaseFilter(django_filters.FilterSet):
    year = django_filters.NumberFilter(label="年度")
    member = django_filters.NumberFilter(label="党员")
    branch = django_filters.NumberFilter(field_name="member__branch", label="党支部")

    class Meta:
        model = DuesBase
        fields = ["year", "member"]


class DuesBaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedDuesViewSet):
    """党费基数：每名党员每年一条（收入类别、税后月收入、按标准计算的月交纳额）。新建即核定（已有则修改），
    修改后该年度未交的月份按新金额计算。"""

    scope_model = DuesBase
    serializer_class = DuesBaseSerializer
    filterset_class = DuesBaseFilter

    def base_queryset(self) -> QuerySet:
        return DuesBase.objects.select_related("member", "member__branch", "set_by").order_by(
            "-year", "member__branch__path", "member__name_initials", "pk"
        )

    @extend_schema(request=DuesBaseSetSerializer, responses={201: DuesBaseSerializer})
    def create(self, request: Request) -> Response:
        """核定（或修改）一名党员某年度的党费基数。"""
        data = DuesBaseSetSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        member = _member_in_scope(request, values["member"])
        base = services.dues_base_set(
            member=member,
            year=values["year"],
            income_class=values["income_class"],
            monthly_income=_income(values),
            by=request.user,
            expected_version=values.get("version"),
        )
        return self.respond(base, status.HTTP_201_CREATED)

    @extend_schema(request=DuesBaseChangeSerializer, responses=DuesBaseSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        """修改一条基数的收入类别和月收入。"""
        base = self.get_object()
        data = DuesBaseChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        base = services.dues_base_set(
            member=base.member,
            year=base.year,
            income_class=values["income_class"],
            monthly_income=_income(values),
            by=request.user,
            expected_version=values.get("version"),
        )
        return self.respond(base)


# --- The ledger and arrears --------------------------------------------------------------------


class DuesMonthSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    branch = serializers.IntegerField(source="member.branch_id", read_only=True)
    branch_name = serializers.CharField(source="member.branch.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    overdue = serializers.SerializerMethodField(label="欠交")

    class Meta:
        model = DuesMonth
        fields = [
            "id",
            "member",
            "member_name",
            "branch",
            "branch_name",
            "month",
            "amount_due",
            "status",
            "status_display",
            "overdue",
            "payment",
            "relief",
            "version",
        ]
        read_only_fields = fields

    def get_overdue(self, row: DuesMonth) -> bool:
        return row.status == DuesMonthStatus.DUE and row.month < services.current_month()


class DuesMonthFilter(django_filters.FilterSet):
    member = django_filters.NumberFilter(label="党员")
    branch = django_filters.NumberFilter(method="filter_branch", label="组织（含下级）")
    month = django_filters.CharFilter(method="filter_month", label="月份（如 2026-09）")
    year = django_filters.NumberFilter(field_name="month__year", label="年度")
    status = django_filters.ChoiceFilter(choices=DuesMonthStatus.choices, label="状态")

    class Meta:
        model = DuesMonth
        fields = ["member", "status"]

    def filter_branch(self, queryset, name: str, value: Any):
        unit = scope.units(self.request.user).filter(pk=value).first()
        return queryset.filter(member__branch__path__startswith=unit.path) if unit else queryset.none()

    def filter_month(self, queryset, name: str, value: str):
        month = parse_month(value)
        if month is None:
            raise serializers.ValidationError({"month": ["月份请按“2026-09”的格式填写。"]})
        return queryset.filter(month=month)


class DuesArrearsSerializer(serializers.Serializer):
    member = serializers.IntegerField(source="member_id", label="党员")
    member_name = serializers.CharField(source="member__name", label="姓名")
    branch_name = serializers.CharField(source="member__branch__name", label="党支部")
    months = serializers.IntegerField(label="欠交月数")
    owed = serializers.DecimalField(max_digits=12, decimal_places=2, label="欠交金额（元）")
    oldest = serializers.DateField(label="最早欠交月份")
    latest = serializers.DateField(label="最近欠交月份")


class DuesMonthViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedDuesViewSet):
    """党费月账：每名党员每月一条（应交、状态、交纳记录、减免）。`arrears` 为欠交名单。"""

    scope_model = DuesMonth
    serializer_class = DuesMonthSerializer
    filterset_class = DuesMonthFilter

    def base_queryset(self) -> QuerySet:
        return DuesMonth.objects.select_related("member", "member__branch").order_by(
            "-month", "member__branch__path", "member__name_initials", "pk"
        )

    @extend_schema(
        responses=DuesArrearsSerializer(many=True),
        parameters=[
            OpenApiParameter("unit", OpenApiTypes.INT, description="组织（含下级）"),
            OpenApiParameter("min_months", OpenApiTypes.INT, description="欠交月数不少于（默认 1）"),
        ],
        filters=False,
    )
    @action(detail=False, methods=["get"], filter_backends=[])
    def arrears(self, request: Request) -> Response:
        """欠交名单：本月以前仍未交的月份，按党员汇总（月数、金额、最早与最近月份），欠交月数多的在前。"""
        filters = selectors.ArrearsFilters()
        if request.query_params.get("unit"):
            filters.unit = _unit_in_scope(request, request.query_params["unit"])
        if request.query_params.get("min_months"):
            value = request.query_params["min_months"]
            if not value.isdigit() or int(value) < 1:
                raise serializers.ValidationError({"min_months": ["欠交月数应为不小于 1 的整数。"]})
            filters.min_months = int(value)
        rows = selectors.dues_arrears(user=request.user, filters=filters, today=timezone.localdate())
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(DuesArrearsSerializer(page, many=True).data)


# --- Payments ----------------------------------------------------------------------------------


class PaidMonthSerializer(serializers.ModelSerializer):
    class Meta:
        model = DuesMonth
        fields = ["id", "month", "amount_due"]
        read_only_fields = fields


class DuesPaymentSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    branch_name = serializers.CharField(source="member.branch.name", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    method_display = serializers.CharField(source="get_method_display", read_only=True)
    months = PaidMonthSerializer(many=True, read_only=True)
    recorded_by_name = serializers.SerializerMethodField(label="登记人")

    class Meta:
        model = DuesPayment
        fields = [
            "id",
            "member",
            "member_name",
            "branch_name",
            "kind",
            "kind_display",
            "method",
            "method_display",
            "amount",
            "paid_on",
            "payer_name",
            "receipt_number",
            "note",
            "months",
            "recorded_by_name",
            "created_at",
        ]
        read_only_fields = fields

    def get_recorded_by_name(self, payment: DuesPayment) -> str:
        return payment.recorded_by.display_name if payment.recorded_by else ""


class DuesPaymentCreateSerializer(serializers.Serializer):
    member = serializers.IntegerField(label="党员")
    months = serializers.ListField(
        child=serializers.IntegerField(), label="月账编号", allow_empty=False, help_text="该党员未交月份的编号"
    )
    amount = serializers.CharField(label="金额（元）", help_text="应等于所选月份应交之和")
    paid_on = serializers.DateField(label="交纳日期")
    method = serializers.ChoiceField(label="支付方式", choices=PaymentMethod.choices, default=PaymentMethod.CASH)
    kind = serializers.ChoiceField(
        label="交纳人",
        choices=[(PaymentKind.SELF, "本人交纳"), (PaymentKind.PROXY, "他人代缴")],
        default=PaymentKind.SELF,
        help_text="往月党费自动记为补缴（代缴除外）",
    )
    payer_name = serializers.CharField(label="代缴人", required=False, allow_blank=True, max_length=50, default="")
    receipt_number = serializers.CharField(label="收据号", required=False, allow_blank=True, max_length=40, default="")
    note = serializers.CharField(label="备注", required=False, allow_blank=True, max_length=200, default="")


class DuesPaymentFilter(django_filters.FilterSet):
    member = django_filters.NumberFilter(label="党员")
    branch = django_filters.NumberFilter(field_name="member__branch", label="党支部")
    kind = django_filters.ChoiceFilter(choices=PaymentKind.choices, label="交纳方式")
    paid_from = django_filters.DateFilter(field_name="paid_on", lookup_expr="gte", label="交纳日期起")
    paid_to = django_filters.DateFilter(field_name="paid_on", lookup_expr="lte", label="交纳日期止")

    class Meta:
        model = DuesPayment
        fields = ["member", "kind"]


class DuesPaymentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedDuesViewSet):
    """党费交纳记录。新建即登记交纳（与页面相同：金额须等于所选月份应交之和；所选月份已被他人登记时返回 400）。"""

    scope_model = DuesPayment
    serializer_class = DuesPaymentSerializer
    filterset_class = DuesPaymentFilter

    def base_queryset(self) -> QuerySet:
        return (
            DuesPayment.objects.select_related("member", "member__branch", "recorded_by")
            .prefetch_related(Prefetch("months", queryset=DuesMonth.objects.order_by("month")))
            .order_by("-paid_on", "-pk")
        )

    @extend_schema(request=DuesPaymentCreateSerializer, responses={201: DuesPaymentSerializer})
    def create(self, request: Request) -> Response:
        """登记一名党员一个或几个月份的交纳。"""
        data = DuesPaymentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        member = _member_in_scope(request, values.pop("member"))
        payment = services.dues_payment_record(member=member, month_ids=values.pop("months"), by=request.user, **values)
        payment = self.get_queryset().get(pk=payment.pk)
        return Response(DuesPaymentSerializer(payment).data, status=status.HTTP_201_CREATED)


# --- Reliefs -----------------------------------------------------------------------------------


class DuesReliefSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    branch_name = serializers.CharField(source="member.branch.name", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    requested_by_name = serializers.SerializerMethodField(label="申请经办人")
    decided_by_name = serializers.SerializerMethodField(label="审批人")

    class Meta:
        model = DuesRelief
        fields = [
            "id",
            "member",
            "member_name",
            "branch_name",
            "kind",
            "kind_display",
            "start_month",
            "end_month",
            "reduced_amount",
            "reason",
            "status",
            "status_display",
            "requested_by_name",
            "decided_by_name",
            "decided_at",
            "decision_note",
            "version",
            "created_at",
        ]
        read_only_fields = fields

    def get_requested_by_name(self, relief: DuesRelief) -> str:
        return relief.requested_by.display_name if relief.requested_by else ""

    def get_decided_by_name(self, relief: DuesRelief) -> str:
        return relief.decided_by.display_name if relief.decided_by else ""


class MonthInputField(serializers.CharField):
    def to_internal_value(self, data: Any) -> Any:
        month = parse_month(super().to_internal_value(data))
        if month is None:
            raise serializers.ValidationError(f"{self.label}请按“2026-09”的格式填写。")
        return month


class DuesReliefCreateSerializer(serializers.Serializer):
    member = serializers.IntegerField(label="党员")
    kind = serializers.ChoiceField(label="减免类型", choices=ReliefKind.choices)
    start_month = MonthInputField(label="起始月份", help_text="如 2026-09")
    end_month = MonthInputField(label="截止月份", help_text="如 2026-12")
    reduced_amount = serializers.CharField(label="减交后月额（元）", required=False, allow_null=True, allow_blank=True)
    reason = serializers.CharField(label="原因")


class DuesReliefDecideSerializer(serializers.Serializer):
    decision_note = serializers.CharField(
        label="审批意见", required=False, allow_blank=True, max_length=200, default=""
    )
    version = serializers.IntegerField(label="版本", required=False)


class DuesReliefFilter(django_filters.FilterSet):
    member = django_filters.NumberFilter(label="党员")
    status = django_filters.ChoiceFilter(choices=ApprovalStatus.choices, label="审批状态")
    kind = django_filters.ChoiceFilter(choices=ReliefKind.choices, label="减免类型")

    class Meta:
        model = DuesRelief
        fields = ["member", "status", "kind"]


class DuesReliefViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedDuesViewSet):
    """党费减免：经办人申请（新建），社区书记及以上审批（`approve` / `refuse`，申请人不能审批自己的申请，
    每项只能审批一次）。"""

    scope_model = DuesRelief
    serializer_class = DuesReliefSerializer
    filterset_class = DuesReliefFilter
    action_caps = {"approve": Cap.DUES_APPROVE, "refuse": Cap.DUES_APPROVE}

    def base_queryset(self) -> QuerySet:
        return DuesRelief.objects.select_related("member", "member__branch", "requested_by", "decided_by").order_by(
            "-created_at", "-pk"
        )

    @extend_schema(request=DuesReliefCreateSerializer, responses={201: DuesReliefSerializer})
    def create(self, request: Request) -> Response:
        """申请减交或免交（一次最长 12 个月；同一党员的减免月份不能重叠）。"""
        data = DuesReliefCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        member = _member_in_scope(request, values.pop("member"))
        relief = services.dues_relief_request(member=member, by=request.user, **values)
        return self.respond(relief, status.HTTP_201_CREATED)

    def _decide(self, request: Request, approve: bool) -> Response:
        relief = self.get_object()  # outside the scope: 404 before the body is read
        data = DuesReliefDecideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decided = services.dues_relief_decide(
            relief=relief,
            approve=approve,
            by=request.user,
            note=data.validated_data["decision_note"],
            expected_version=data.validated_data.get("version"),
        )
        return self.respond(decided)

    @extend_schema(request=DuesReliefDecideSerializer, responses=DuesReliefSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: Any = None) -> Response:
        """批准：已开立未交的月份随即按减免计算，以后开立的月份同样适用。"""
        return self._decide(request, True)

    @extend_schema(request=DuesReliefDecideSerializer, responses=DuesReliefSerializer)
    @action(detail=True, methods=["post"])
    def refuse(self, request: Request, pk: Any = None) -> Response:
        """不予批准（须填写审批意见）。"""
        return self._decide(request, False)


def register(router) -> None:
    """Add this module's viewsets to the API router."""
    router.register("dues-rules", DuesRuleViewSet, basename="dues-rule")
    router.register("dues-bases", DuesBaseViewSet, basename="dues-base")
    router.register("dues-months", DuesMonthViewSet, basename="dues-month")
    router.register("dues-payments", DuesPaymentViewSet, basename="dues-payment")
    router.register("dues-reliefs", DuesReliefViewSet, basename="dues-relief")
