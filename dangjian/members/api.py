"""REST API of the members app. ID numbers and phones are masked in every response; showing
one in full is its own logged action."""

from __future__ import annotations

from typing import Any

import django_filters
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from dangjian.api.base import ScopedViewSet
from dangjian.core import scope

from .choices import DevelopmentStage, Gender, MembershipType, MemberStatus, Standing, UnmaskField
from .models import Development, DevelopmentRule, Member, Rules, load_rules
from .selectors import development as development_selectors
from .selectors.registry import AGE_BANDS, age_band_q, branch_choices, search_q
from .selectors.registry import member_list as member_list_selector
from .services import development as development_services
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


# --- Development pipeline (发展党员) -----------------------------------------------------------
# Kept apart from the registry above: its own serializers, filters and viewset.


class DevelopmentNextStepSerializer(serializers.Serializer):
    label = serializers.CharField(label="下一步")
    earliest = serializers.DateField(label="最早日期", allow_null=True)


class DevelopmentSerializer(serializers.ModelSerializer):
    """A record of the pipeline as the API shows it: numbers masked, the next step per the rules."""

    id_number = serializers.CharField(source="id_number_masked", read_only=True)
    phone = serializers.CharField(source="phone_masked", read_only=True)
    branch_name = serializers.CharField(source="branch.name", read_only=True)
    stage_display = serializers.CharField(source="get_stage_display", read_only=True)
    age = serializers.IntegerField(read_only=True)
    probation_ends_on = serializers.SerializerMethodField(label="预备期满日期")
    next_step = serializers.SerializerMethodField(label="下一步")

    class Meta:
        model = Development
        fields = [
            "id",
            "name",
            "gender",
            "birth_date",
            "age",
            "id_number",
            "phone",
            "branch",
            "branch_name",
            "stage",
            "stage_display",
            "applied_on",
            "activist_on",
            "candidate_on",
            "admitted_on",
            "extension_months",
            "extensions",
            "extended_on",
            "probation_ends_on",
            "confirmed_on",
            "member",
            "stopped_on",
            "stop_reason",
            "notes",
            "next_step",
            "version",
        ]
        read_only_fields = fields

    def _rules(self) -> Rules:
        rules = self.context.get("rules")
        if rules is None:
            rules = self.context["rules"] = load_rules()
        return rules

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_probation_ends_on(self, development: Development) -> Any:
        return development.probation_ends_on(self._rules())

    @extend_schema_field(DevelopmentNextStepSerializer(allow_null=True))
    def get_next_step(self, development: Development) -> Any:
        step = development.next_step(self._rules())
        return {"label": step.label, "earliest": step.earliest} if step else None


class DevelopmentFilter(django_filters.FilterSet):
    stage = django_filters.ChoiceFilter(choices=DevelopmentStage.choices, label="阶段")
    unit = django_filters.NumberFilter(method="filter_unit", label="组织（含下级）")
    q = django_filters.CharFilter(method="filter_q", label="姓名、拼音首字母、完整身份证号或手机号")

    class Meta:
        model = Development
        fields = ["stage"]

    def filter_unit(self, queryset, name: str, value: Any):
        unit = scope.units(self.request.user).filter(pk=value).first()
        return queryset.filter(branch__path__startswith=unit.path) if unit else queryset.none()

    def filter_q(self, queryset, name: str, value: str):
        return queryset.filter(search_q(value))


class DevelopmentApplySerializer(serializers.Serializer):
    name = serializers.CharField(label="姓名", max_length=50)
    gender = serializers.ChoiceField(label="性别", choices=Gender.choices)
    id_number = serializers.CharField(label="公民身份号码", min_length=18, max_length=18)
    phone = serializers.CharField(label="手机号码", max_length=11, required=False, allow_blank=True)
    branch = serializers.IntegerField(label="所在党支部")
    applied_on = serializers.DateField(label="申请入党日期")
    notes = serializers.CharField(label="备注", required=False, allow_blank=True)


class _StepSerializer(serializers.Serializer):
    version = serializers.IntegerField(label="版本", required=False, help_text="读取时的版本号；他人已修改时返回 400。")


class DevelopmentActivistSerializer(_StepSerializer):
    activist_on = serializers.DateField(label="确定为入党积极分子日期")


class DevelopmentCandidateSerializer(_StepSerializer):
    candidate_on = serializers.DateField(label="确定为发展对象日期")


class DevelopmentAdmitSerializer(_StepSerializer):
    admitted_on = serializers.DateField(label="接收为预备党员日期")


class DevelopmentExtendSerializer(_StepSerializer):
    extension_months = serializers.IntegerField(label="延长月数", min_value=1)
    extended_on = serializers.DateField(label="延长预备期决定日期")


class DevelopmentConfirmSerializer(_StepSerializer):
    confirmed_on = serializers.DateField(label="转正日期")


class DevelopmentStopSerializer(_StepSerializer):
    stop_reason = serializers.CharField(label="终止原因", max_length=200)
    stopped_on = serializers.DateField(label="终止日期")


class DevelopmentDueItemSerializer(serializers.Serializer):
    development = DevelopmentSerializer()
    step = serializers.CharField(label="事项")
    earliest = serializers.DateField(label="日期")
    days = serializers.IntegerField(label="距今天数", help_text="负数表示已过去的天数")


class DevelopmentDueSerializer(serializers.Serializer):
    due = DevelopmentDueItemSerializer(many=True, label="到期待办")
    overdue = DevelopmentDueItemSerializer(many=True, label="逾期未转正")


class DevelopmentRuleSerializer(serializers.ModelSerializer):
    unit_display = serializers.CharField(source="get_unit_display", read_only=True)

    class Meta:
        model = DevelopmentRule
        fields = ["key", "label", "value", "unit", "unit_display", "description", "version"]
        read_only_fields = fields


class DevelopmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """发展党员：列表、详情、登记入党申请，以及各发展步骤（确定积极分子、发展对象、接收预备党员、
    延长预备期、转正、终止）。身份证号和手机号均脱敏；各步骤按现行发展党员规则审核。"""

    scope_model = Development
    queryset = Development.objects.all()
    serializer_class = DevelopmentSerializer
    filterset_class = DevelopmentFilter
    read_cap = Cap.MEMBER_VIEW
    write_cap = Cap.MEMBER_MANAGE

    def base_queryset(self):
        return Development.objects.select_related("branch").order_by("branch__path", "applied_on", "pk")

    def _step(self, name: str, serializer_class: type[serializers.Serializer]) -> Response:
        development = self.get_object()  # outside the scope: 404 before the body is read
        data = serializer_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        step = development_services.STEP_SERVICES[name]
        return self.respond(step(development, data.validated_data, self.request.user))

    @extend_schema(request=DevelopmentApplySerializer, responses={201: DevelopmentSerializer})
    def create(self, request: Request) -> Response:
        """登记入党申请人（申请时应已达到规则规定的年龄）。"""
        data = DevelopmentApplySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        branch = branch_choices(user=request.user).filter(pk=values.pop("branch")).first()
        if branch is None:
            raise serializers.ValidationError({"branch": ["所选党支部不存在或不在您的权限范围内。"]})
        development = development_services.development_apply(by=request.user, branch=branch, **values)
        return self.respond(development, status.HTTP_201_CREATED)

    @extend_schema(request=DevelopmentActivistSerializer, responses=DevelopmentSerializer)
    @action(detail=True, methods=["post"])
    def activist(self, request: Request, pk: Any = None) -> Response:
        """确定为入党积极分子。"""
        return self._step("activist", DevelopmentActivistSerializer)

    @extend_schema(request=DevelopmentCandidateSerializer, responses=DevelopmentSerializer)
    @action(detail=True, methods=["post"])
    def candidate(self, request: Request, pk: Any = None) -> Response:
        """确定为发展对象（积极分子培养期须达到规则规定的月数）。"""
        return self._step("candidate", DevelopmentCandidateSerializer)

    @extend_schema(request=DevelopmentAdmitSerializer, responses=DevelopmentSerializer)
    @action(detail=True, methods=["post"])
    def admit(self, request: Request, pk: Any = None) -> Response:
        """接收为预备党员，预备期自该日起算。"""
        return self._step("admit", DevelopmentAdmitSerializer)

    @extend_schema(request=DevelopmentExtendSerializer, responses=DevelopmentSerializer)
    @action(detail=True, methods=["post"])
    def extend(self, request: Request, pk: Any = None) -> Response:
        """延长预备期（次数和月数按规则）。"""
        return self._step("extend", DevelopmentExtendSerializer)

    @extend_schema(request=DevelopmentConfirmSerializer, responses=DevelopmentSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: Any = None) -> Response:
        """预备党员转正：预备期（含延长）期满后方可；同时登记为正式党员。"""
        return self._step("confirm", DevelopmentConfirmSerializer)

    @extend_schema(request=DevelopmentStopSerializer, responses=DevelopmentSerializer)
    @action(detail=True, methods=["post"])
    def stop(self, request: Request, pk: Any = None) -> Response:
        """终止发展（须填写原因）；记录保留。"""
        return self._step("stop", DevelopmentStopSerializer)

    @extend_schema(
        responses=DevelopmentDueSerializer,
        parameters=[OpenApiParameter("unit", OpenApiTypes.INT, description="组织（含下级）")],
        filters=False,
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def due(self, request: Request) -> Response:
        """到期待办与逾期：培养期已满的积极分子、预备期 30 天内期满或已满未转正的预备党员。"""
        unit = None
        if request.query_params.get("unit"):
            unit_id = request.query_params["unit"]
            unit = scope.units(request.user).filter(pk=unit_id).first() if unit_id.isdigit() else None
            if unit is None:
                raise serializers.ValidationError({"unit": ["所选组织不存在或不在您的权限范围内。"]})
        rules = load_rules()
        lists = development_selectors.development_due(
            user=request.user, today=timezone.localdate(), unit=unit, rules=rules
        )
        context = {**self.get_serializer_context(), "rules": rules}
        return Response(DevelopmentDueSerializer(lists, context=context).data)

    @extend_schema(responses=DevelopmentRuleSerializer(many=True), filters=False)
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def rules(self, request: Request) -> Response:
        """现行发展党员规则（由区委组织部在页面上修改）。"""
        return Response(DevelopmentRuleSerializer(development_selectors.development_rules(), many=True).data)
