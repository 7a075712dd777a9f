"""REST API of research: risks, events, research records, rounds, visits, opinions, corrections and
the detachment indicators. Every viewset reads through the scope; every write goes through the
same services as the pages. Contact phones are masked in every response."""

from __future__ import annotations

import datetime
from typing import Any

import django_filters
from django.db.models import Exists, OuterRef
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from dangjian.api.base import ScopedViewSet
from dangjian.core import scope
from dangjian.core.models import User

from .choices import (
    AnswerKind,
    ConsultationMethod,
    EventKind,
    EventStatus,
    OpinionArea,
    OpinionSource,
    OpinionStatus,
    Progress,
    ResearchKind,
    ResearchMethod,
    RiskCategory,
    RiskLevel,
    RiskOutcome,
    RiskStatus,
    SubmitterKind,
    VisitMethod,
)
from .models import Correction, Event, Opinion, Research, ResearchRound, Risk, Visit
from .selectors import risks as risk_selectors
from .selectors.common import cadre_choices, community_choices
from .selectors.indicators import Period, default_period, detachment_indicators
from .selectors.opinions import overdue_opinions_q
from .selectors.visits import open_rounds, round_coverage_by_cadre, with_coverage
from .services import events as event_services
from .services import opinions as opinion_services
from .services import research as research_services
from .services import risks as risk_services
from .services import visits as visit_services

Cap = scope.Cap


# --- Related objects, inside the scope ---------------------------------------------------------


@extend_schema_field(OpenApiTypes.INT)
class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A related id that must lie in the caller's scope; otherwise 400 on the field."""

    def __init__(self, *, choices, noun: str, **kwargs: Any) -> None:
        self.scoped_choices = choices
        kwargs.setdefault(
            "error_messages",
            {
                "does_not_exist": f"所选{noun}不存在或不在您的权限范围内。",
                "incorrect_type": f"{noun}编号应为整数。",
                "required": f"请选择{noun}。",
                "null": f"请选择{noun}。",
            },
        )
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.scoped_choices(user=self.context["request"].user)


def _community(**kwargs: Any) -> ScopedRelatedField:
    return ScopedRelatedField(choices=community_choices, noun="社区", label="社区", **kwargs)


def _cadre(noun: str, **kwargs: Any) -> ScopedRelatedField:
    return ScopedRelatedField(choices=cadre_choices, noun=noun, label=noun, **kwargs)


def _version() -> serializers.IntegerField:
    return serializers.IntegerField(label="版本", required=False, help_text="读取时的版本号；他人已修改时返回 400。")


class VersionSerializer(serializers.Serializer):
    version = _version()


def _in_scope(model, user: User):
    return scope.restrict(model.objects.all(), user)


# --- Risks -------------------------------------------------------------------------------------


class RiskSerializer(serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)
    assignee_name = serializers.CharField(source="assignee.display_name", read_only=True, default=None)
    due_on = serializers.SerializerMethodField(label="本阶段时限")
    days_overdue = serializers.SerializerMethodField(label="超期天数")

    class Meta:
        model = Risk
        fields = [
            "id",
            "community",
            "community_name",
            "title",
            "category",
            "level",
            "location",
            "involved",
            "involved_count",
            "description",
            "reporter",
            "reported_on",
            "assignee",
            "assignee_name",
            "status",
            "status_since",
            "due_on",
            "days_overdue",
            "research_started_on",
            "solution",
            "solution_on",
            "resolution",
            "resolved_on",
            "outcome",
            "outcome_note",
            "closed_on",
            "version",
        ]
        read_only_fields = fields

    def get_due_on(self, risk: Risk) -> datetime.date | None:
        return risk.due_on()

    def get_days_overdue(self, risk: Risk) -> int:
        return risk.days_overdue(timezone.localdate())


class RiskReportSerializer(serializers.Serializer):
    community = _community()
    title = serializers.CharField(label="隐患事项", max_length=120)
    category = serializers.ChoiceField(label="类别", choices=RiskCategory.choices, default=RiskCategory.OTHER)
    level = serializers.ChoiceField(label="等级", choices=RiskLevel.choices, default=RiskLevel.GENERAL)
    location = serializers.CharField(label="地点", max_length=120)
    involved = serializers.CharField(label="涉及人员")
    involved_count = serializers.IntegerField(label="涉及人数", min_value=1, required=False, allow_null=True)
    description = serializers.CharField(label="具体情况")
    reporter = serializers.CharField(label="信息来源", max_length=60, required=False, allow_blank=True)
    reported_on = serializers.DateField(label="发现日期")
    assignee = _cadre("责任人", required=False, allow_null=True)


class ConsultationSerializer(serializers.Serializer):
    consulted_on = serializers.DateField(label="协商日期")
    method = serializers.ChoiceField(label="方式", choices=ConsultationMethod.choices)
    participants = serializers.CharField(label="参加居民", max_length=200)
    participant_count = serializers.IntegerField(label="人数", min_value=1)
    opinions = serializers.CharField(label="居民意见")


class SolutionSerializer(VersionSerializer):
    solution = serializers.CharField(label="解决方案")
    solution_on = serializers.DateField(label="方案拟定日期", required=False)


class ResolveSerializer(VersionSerializer):
    resolution = serializers.CharField(label="化解情况")
    resolved_on = serializers.DateField(label="化解日期", required=False)


class RiskCloseSerializer(VersionSerializer):
    outcome = serializers.ChoiceField(label="关闭原因", choices=RiskOutcome.choices)
    note = serializers.CharField(label="关闭说明")
    closed_on = serializers.DateField(label="关闭日期", required=False)


class RiskFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=RiskStatus.choices, label="状态")
    level = django_filters.ChoiceFilter(choices=RiskLevel.choices, label="等级")
    community = django_filters.NumberFilter(field_name="community_id", label="社区")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="超期")

    class Meta:
        model = Risk
        fields = ["status", "level"]

    def filter_overdue(self, queryset, name: str, value: bool):
        condition = risk_selectors.overdue_risks_q(timezone.localdate())
        return queryset.filter(condition) if value else queryset.exclude(condition)


class RiskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """维稳隐患台账：登记、调研、群众协商、解决方案、化解或关闭。重大隐患须先有走访、调研和群众协商记录，
    才能拟定解决方案。"""

    scope_model = Risk
    queryset = Risk.objects.all()
    serializer_class = RiskSerializer
    filterset_class = RiskFilter
    read_cap = Cap.RESEARCH_VIEW
    write_cap = Cap.RESEARCH_MANAGE

    def base_queryset(self):
        return Risk.objects.select_related("community", "assignee").order_by("-reported_on", "-pk")

    @extend_schema(request=RiskReportSerializer, responses={201: RiskSerializer})
    def create(self, request: Request) -> Response:
        """登记维稳隐患。"""
        data = RiskReportSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        risk = risk_services.risk_report(by=request.user, **data.validated_data)
        return self.respond(risk, status.HTTP_201_CREATED)

    def _step(self, serializer_class, run) -> Response:
        risk = self.get_object()  # outside the scope: 404 before the body is read
        data = serializer_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        return self.respond(run(risk, data.validated_data))

    @extend_schema(request=VersionSerializer, responses=RiskSerializer)
    @action(detail=True, methods=["post"], url_path="start-research")
    def start_research(self, request: Request, pk: Any = None) -> Response:
        """开始调研。"""
        return self._step(
            VersionSerializer,
            lambda risk, data: risk_services.risk_start_research(
                risk=risk, by=request.user, expected_version=data.get("version")
            ),
        )

    @extend_schema(request=ConsultationSerializer, responses=RiskSerializer)
    @action(detail=True, methods=["post"])
    def consultations(self, request: Request, pk: Any = None) -> Response:
        """记录一次群众协商（征求了哪些居民的意见、他们怎么说）。"""
        return self._step(
            ConsultationSerializer,
            lambda risk, data: risk_services.consultation_add(risk=risk, by=request.user, **data).risk,
        )

    @extend_schema(request=SolutionSerializer, responses=RiskSerializer)
    @action(detail=True, methods=["post"])
    def solution(self, request: Request, pk: Any = None) -> Response:
        """拟定解决方案（重大隐患须先调研、协商）。"""
        return self._step(
            SolutionSerializer,
            lambda risk, data: risk_services.risk_propose_solution(
                risk=risk,
                by=request.user,
                solution=data["solution"],
                solution_on=data.get("solution_on"),
                expected_version=data.get("version"),
            ),
        )

    @extend_schema(request=ResolveSerializer, responses=RiskSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: Any = None) -> Response:
        """登记化解。"""
        return self._step(
            ResolveSerializer,
            lambda risk, data: risk_services.risk_resolve(
                risk=risk,
                by=request.user,
                resolution=data["resolution"],
                resolved_on=data.get("resolved_on"),
                expected_version=data.get("version"),
            ),
        )

    @extend_schema(request=RiskCloseSerializer, responses=RiskSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: Any = None) -> Response:
        """关闭隐患（移交、消除、重复或不构成隐患），须说明情况。"""
        return self._step(
            RiskCloseSerializer,
            lambda risk, data: risk_services.risk_close(
                risk=risk,
                by=request.user,
                outcome=data["outcome"],
                note=data["note"],
                closed_on=data.get("closed_on"),
                expected_version=data.get("version"),
            ),
        )


# --- Events ------------------------------------------------------------------------------------


class EventSerializer(serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)
    has_research = serializers.BooleanField(read_only=True, label="已有活动前调研")

    class Meta:
        model = Event
        fields = [
            "id",
            "community",
            "community_name",
            "title",
            "kind",
            "purpose",
            "planned_on",
            "time_note",
            "place",
            "audience",
            "expected_participants",
            "staff",
            "staff_count",
            "budget",
            "budget_note",
            "funding_source",
            "materials",
            "status",
            "has_research",
            "submitted_at",
            "approved_at",
            "approved_by",
            "approval_note",
            "returned_at",
            "return_reason",
            "actual_participants",
            "actual_spend",
            "feedback",
            "review_summary",
            "reviewed_at",
            "cancel_reason",
            "version",
        ]
        read_only_fields = fields


class EventPlanSerializer(serializers.Serializer):
    community = _community()
    title = serializers.CharField(label="活动名称", max_length=120)
    kind = serializers.ChoiceField(label="活动类型", choices=EventKind.choices)
    purpose = serializers.CharField(label="活动目的")
    planned_on = serializers.DateField(label="活动日期")
    time_note = serializers.CharField(label="时间安排", max_length=60, required=False, allow_blank=True)
    place = serializers.CharField(label="活动地点", max_length=120)
    audience = serializers.CharField(label="面向对象", max_length=120, required=False, allow_blank=True)
    expected_participants = serializers.IntegerField(label="预计参加人数", min_value=1)
    staff = serializers.CharField(label="人员安排")
    staff_count = serializers.IntegerField(label="工作人员人数", min_value=0)
    budget = serializers.DecimalField(label="经费预算（元）", max_digits=12, decimal_places=2, min_value=0)
    budget_note = serializers.CharField(label="经费明细", required=False, allow_blank=True)
    funding_source = serializers.CharField(label="经费来源", max_length=120, required=False, allow_blank=True)
    materials = serializers.CharField(label="物资准备")


class ApproveSerializer(VersionSerializer):
    note = serializers.CharField(label="审批意见", required=False, allow_blank=True)


class ReasonSerializer(VersionSerializer):
    reason = serializers.CharField(label="理由")


class ReviewSerializer(VersionSerializer):
    actual_participants = serializers.IntegerField(label="实际参加人数", min_value=0)
    actual_spend = serializers.DecimalField(label="实际支出（元）", max_digits=12, decimal_places=2, min_value=0)
    feedback = serializers.CharField(label="群众反馈")
    review_summary = serializers.CharField(label="效果评估", required=False, allow_blank=True)


class EventFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=EventStatus.choices, label="状态")
    community = django_filters.NumberFilter(field_name="community_id", label="社区")
    planned_from = django_filters.DateFilter(field_name="planned_on", lookup_expr="gte", label="活动日期起")
    planned_to = django_filters.DateFilter(field_name="planned_on", lookup_expr="lte", label="活动日期止")

    class Meta:
        model = Event
        fields = ["status"]


class EventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """大型活动：方案（人、财、物）、报批、街道审批（须先有活动前调研）或退回、活动复盘、取消。"""

    scope_model = Event
    queryset = Event.objects.all()
    serializer_class = EventSerializer
    filterset_class = EventFilter
    read_cap = Cap.RESEARCH_VIEW
    write_cap = Cap.RESEARCH_MANAGE
    action_caps = {"approve": Cap.EVENT_APPROVE, "return_plan": Cap.EVENT_APPROVE}

    def base_queryset(self):
        return (
            Event.objects.select_related("community")
            .annotate(has_research=Exists(Research.objects.filter(event=OuterRef("pk"), kind=ResearchKind.EVENT)))
            .order_by("-planned_on", "-pk")
        )

    @extend_schema(request=EventPlanSerializer, responses={201: EventSerializer})
    def create(self, request: Request) -> Response:
        """制定活动方案（草拟）。"""
        data = EventPlanSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        event = event_services.event_create(by=request.user, community=values.pop("community"), **values)
        return self.respond(event, status.HTTP_201_CREATED)

    def _step(self, serializer_class, run) -> Response:
        event = self.get_object()
        data = serializer_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        return self.respond(run(event, data.validated_data))

    @extend_schema(request=VersionSerializer, responses=EventSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: Any = None) -> Response:
        """提请街道审批。"""
        return self._step(
            VersionSerializer,
            lambda event, data: event_services.event_submit(
                event=event, by=request.user, expected_version=data.get("version")
            ),
        )

    @extend_schema(request=ApproveSerializer, responses=EventSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: Any = None) -> Response:
        """批准（街道党工委及以上）；没有活动前调研记录时拒绝并说明理由；不会重复批准。"""
        return self._step(
            ApproveSerializer,
            lambda event, data: event_services.event_approve(
                event=event, by=request.user, note=data.get("note", ""), expected_version=data.get("version")
            ),
        )

    @extend_schema(request=ReasonSerializer, responses=EventSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_plan(self, request: Request, pk: Any = None) -> Response:
        """退回社区修改（须填写理由）。"""
        return self._step(
            ReasonSerializer,
            lambda event, data: event_services.event_return(
                event=event, by=request.user, reason=data["reason"], expected_version=data.get("version")
            ),
        )

    @extend_schema(request=ReviewSerializer, responses=EventSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: Any = None) -> Response:
        """活动复盘：实际参加人数、实际支出、群众反馈。"""
        return self._step(
            ReviewSerializer,
            lambda event, data: event_services.event_review(
                event=event,
                by=request.user,
                actual_participants=data["actual_participants"],
                actual_spend=data["actual_spend"],
                feedback=data["feedback"],
                review_summary=data.get("review_summary", ""),
                expected_version=data.get("version"),
            ),
        )

    @extend_schema(request=ReasonSerializer, responses=EventSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: Any = None) -> Response:
        """取消活动（须填写原因）。"""
        return self._step(
            ReasonSerializer,
            lambda event, data: event_services.event_cancel(
                event=event, by=request.user, reason=data["reason"], expected_version=data.get("version")
            ),
        )


# --- Research records --------------------------------------------------------------------------


class ResearchSerializer(serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)

    class Meta:
        model = Research
        fields = [
            "id",
            "community",
            "community_name",
            "kind",
            "risk",
            "event",
            "round",
            "title",
            "conducted_from",
            "conducted_to",
            "methods",
            "researchers",
            "people_reached",
            "first_hand",
            "cause",
            "crux",
            "residents_want",
            "purpose",
            "goals",
            "conclusion",
            "created_at",
        ]
        read_only_fields = fields


class ResearchCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(label="调研类型", choices=ResearchKind.choices)
    community = _community(required=False, allow_null=True, help_text="定期调研必填；维稳隐患或活动的调研取其社区。")
    risk = ScopedRelatedField(
        choices=lambda user: _in_scope(Risk, user), noun="维稳隐患", required=False, allow_null=True
    )
    event = ScopedRelatedField(
        choices=lambda user: _in_scope(Event, user), noun="大型活动", required=False, allow_null=True
    )
    round = ScopedRelatedField(choices=open_rounds, noun="走访轮次", required=False, allow_null=True)
    title = serializers.CharField(label="调研题目", max_length=120)
    conducted_from = serializers.DateField(label="调研开始日期")
    conducted_to = serializers.DateField(label="调研结束日期")
    methods = serializers.ListField(child=serializers.ChoiceField(choices=ResearchMethod.choices), label="调研方式")
    researchers = serializers.CharField(label="调研人员", max_length=200)
    people_reached = serializers.IntegerField(label="走访或座谈人数", min_value=0, default=0)
    first_hand = serializers.CharField(label="掌握的第一手情况", required=False, allow_blank=True)
    cause = serializers.CharField(label="问题起因", required=False, allow_blank=True)
    crux = serializers.CharField(label="问题症结", required=False, allow_blank=True)
    residents_want = serializers.CharField(label="居民需求", required=False, allow_blank=True)
    purpose = serializers.CharField(label="为何举办", required=False, allow_blank=True)
    goals = serializers.CharField(label="预期效果", required=False, allow_blank=True)
    conclusion = serializers.CharField(label="结论与建议", required=False, allow_blank=True)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        linked = data.get("risk") or data.get("event") or data.get("round")
        community = data.get("community") or (linked.community if linked else None)
        if community is None:
            raise serializers.ValidationError({"community": ["请选择社区。"]})
        data["community"] = community
        return data


class ResearchFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=ResearchKind.choices, label="调研类型")
    community = django_filters.NumberFilter(field_name="community_id", label="社区")
    risk = django_filters.NumberFilter(field_name="risk_id", label="维稳隐患")
    event = django_filters.NumberFilter(field_name="event_id", label="大型活动")

    class Meta:
        model = Research
        fields = ["kind"]


class ResearchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """调研记录：维稳隐患调研（第一手情况、起因、症结）、活动前调研（居民需求、为何举办、预期效果）、定期调研。"""

    scope_model = Research
    queryset = Research.objects.all()
    serializer_class = ResearchSerializer
    filterset_class = ResearchFilter
    read_cap = Cap.RESEARCH_VIEW
    write_cap = Cap.RESEARCH_MANAGE

    def base_queryset(self):
        return Research.objects.select_related("community").order_by("-conducted_to", "-pk")

    @extend_schema(request=ResearchCreateSerializer, responses={201: ResearchSerializer})
    def create(self, request: Request) -> Response:
        """记录一份调研。"""
        data = ResearchCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        research = research_services.research_record(by=request.user, **data.validated_data)
        return Response(ResearchSerializer(research).data, status=status.HTTP_201_CREATED)


# --- Rounds and visits -------------------------------------------------------------------------


class CoverageRowSerializer(serializers.Serializer):
    cadre = serializers.IntegerField(source="key")
    name = serializers.CharField(source="label")
    total = serializers.IntegerField(label="走访对象")
    visited = serializers.IntegerField(label="已走访")
    to_visit = serializers.IntegerField(label="待走访")
    rate = serializers.DecimalField(max_digits=5, decimal_places=1, label="覆盖率（%）", allow_null=True)


class RoundSerializer(serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)
    target_total = serializers.IntegerField(read_only=True, label="走访对象")
    target_visited = serializers.IntegerField(read_only=True, label="已走访")
    visit_count = serializers.IntegerField(read_only=True, label="走访记录")

    class Meta:
        model = ResearchRound
        fields = [
            "id",
            "community",
            "community_name",
            "title",
            "period_start",
            "period_end",
            "notes",
            "closed_on",
            "target_total",
            "target_visited",
            "visit_count",
            "version",
        ]
        read_only_fields = fields


class RoundCreateSerializer(serializers.Serializer):
    community = _community()
    title = serializers.CharField(label="轮次名称", max_length=120, required=False, allow_blank=True)
    period_start = serializers.DateField(label="开始日期", required=False)
    period_end = serializers.DateField(label="结束日期", required=False)
    notes = serializers.CharField(label="走访要求", required=False, allow_blank=True)


class AssignSerializer(serializers.Serializer):
    cadre = _cadre("走访干部")
    grid = serializers.CharField(label="网格", max_length=40, required=False, allow_blank=True)
    building = serializers.CharField(label="楼栋", max_length=40, required=False, allow_blank=True)
    include_members = serializers.BooleanField(label="分派党员", default=True)
    households = serializers.ListField(
        child=serializers.CharField(max_length=100), label="居民户", required=False, default=list
    )


class RoundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """走访轮次（默认每季度一轮）：按网格或楼栋分派走访对象，覆盖情况（已走访/待走访）。"""

    scope_model = ResearchRound
    queryset = ResearchRound.objects.all()
    serializer_class = RoundSerializer
    read_cap = Cap.RESEARCH_VIEW
    write_cap = Cap.RESEARCH_MANAGE

    def base_queryset(self):
        return with_coverage(ResearchRound.objects.select_related("community")).order_by("-period_start", "-pk")

    @extend_schema(request=RoundCreateSerializer, responses={201: RoundSerializer})
    def create(self, request: Request) -> Response:
        """安排一轮走访（不填日期即为本季度）。"""
        data = RoundCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        round = visit_services.round_create(by=request.user, **data.validated_data)
        return Response(RoundSerializer(self.get_queryset().get(pk=round.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=AssignSerializer,
        responses=inline_serializer("RoundAssignResult", {"added": serializers.IntegerField(label="新增走访对象")}),
    )
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: Any = None) -> Response:
        """按网格或楼栋分派党员、列出居民户，交给一名走访干部；返回新增的走访对象数。"""
        round = self.get_object()
        data = AssignSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        count = visit_services.round_assign(round=round, by=request.user, **data.validated_data)
        return Response({"added": count})

    @extend_schema(request=None, responses=RoundSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: Any = None) -> Response:
        """结束本轮走访。"""
        round = visit_services.round_close(round=self.get_object(), by=request.user)
        return Response(RoundSerializer(self.get_queryset().get(pk=round.pk)).data)

    @extend_schema(responses=CoverageRowSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def coverage(self, request: Request, pk: Any = None) -> Response:
        """按干部的走访覆盖：对象、已走访、待走访、覆盖率。"""
        return Response(CoverageRowSerializer(round_coverage_by_cadre(round=self.get_object()), many=True).data)


class VisitSerializer(serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)
    visitor_name = serializers.CharField(source="visitor.display_name", read_only=True)
    opinions = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Visit
        fields = [
            "id",
            "community",
            "community_name",
            "round",
            "target",
            "risk",
            "visitor",
            "visitor_name",
            "visited_on",
            "method",
            "whom",
            "address",
            "topics",
            "situation",
            "opinions",
        ]
        read_only_fields = fields


class VisitCreateSerializer(serializers.Serializer):
    community = _community()
    round = ScopedRelatedField(choices=open_rounds, noun="走访轮次", required=False, allow_null=True)
    risk = ScopedRelatedField(
        choices=lambda user: _in_scope(Risk, user), noun="维稳隐患", required=False, allow_null=True
    )
    visitor = _cadre("走访干部")
    visited_on = serializers.DateField(label="走访日期")
    method = serializers.ChoiceField(label="走访方式", choices=VisitMethod.choices, default=VisitMethod.DOOR)
    whom = serializers.CharField(label="走访对象", max_length=100)
    address = serializers.CharField(label="地点", max_length=120, required=False, allow_blank=True)
    topics = serializers.CharField(label="走访内容")
    situation = serializers.CharField(label="了解到的情况", required=False, allow_blank=True)
    opinions = serializers.ListField(
        child=serializers.CharField(max_length=2000), label="提出的意见建议", required=False, default=list
    )
    opinion_area = serializers.ChoiceField(label="意见所属领域", choices=OpinionArea.choices, default=OpinionArea.OTHER)


class VisitFilter(django_filters.FilterSet):
    community = django_filters.NumberFilter(field_name="community_id", label="社区")
    visitor = django_filters.NumberFilter(field_name="visitor_id", label="走访干部")
    round = django_filters.NumberFilter(field_name="round_id", label="走访轮次")
    visited_from = django_filters.DateFilter(field_name="visited_on", lookup_expr="gte", label="走访日期起")
    visited_to = django_filters.DateFilter(field_name="visited_on", lookup_expr="lte", label="走访日期止")

    class Meta:
        model = Visit
        fields = ["community"]


class VisitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """走访记录；走访中提出的意见建议（每条一项）登记为意见建议并关联本次走访。"""

    scope_model = Visit
    queryset = Visit.objects.all()
    serializer_class = VisitSerializer
    filterset_class = VisitFilter
    read_cap = Cap.RESEARCH_VIEW
    write_cap = Cap.RESEARCH_MANAGE

    def base_queryset(self):
        return (
            Visit.objects.select_related("community", "visitor")
            .prefetch_related("opinions")
            .order_by("-visited_on", "-pk")
        )

    @extend_schema(request=VisitCreateSerializer, responses={201: VisitSerializer})
    def create(self, request: Request) -> Response:
        """登记一次走访。"""
        data = VisitCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        visit = visit_services.visit_record(by=request.user, **data.validated_data)
        return Response(VisitSerializer(self.get_queryset().get(pk=visit.pk)).data, status=status.HTTP_201_CREATED)


# --- Opinions and corrections ------------------------------------------------------------------


class OpinionSerializer(serializers.ModelSerializer):
    """An opinion as the API shows it: the contact phone masked."""

    community_name = serializers.CharField(source="community.name", read_only=True)
    contact_phone = serializers.CharField(source="contact_phone_masked", read_only=True)
    assignee_name = serializers.CharField(source="assignee.display_name", read_only=True, default=None)

    class Meta:
        model = Opinion
        fields = [
            "id",
            "tracking_code",
            "community",
            "community_name",
            "source",
            "visit",
            "submitter_kind",
            "submitter_name",
            "contact_phone",
            "area",
            "title",
            "content",
            "submitted_at",
            "answer_due_on",
            "status",
            "assignee",
            "assignee_name",
            "answer_kind",
            "answer",
            "not_accepted_reason",
            "promised_on",
            "answered_at",
            "progress",
            "progress_note",
            "closed_at",
            "rating",
            "rating_comment",
            "version",
        ]
        read_only_fields = fields


class OpinionRegisterSerializer(serializers.Serializer):
    community = _community()
    source = serializers.ChoiceField(
        label="来源", choices=[(value, label) for value, label in OpinionSource.choices if value not in ("visit",)]
    )
    submitter_kind = serializers.ChoiceField(label="提出人身份", choices=SubmitterKind.choices)
    submitter_name = serializers.CharField(label="提出人", max_length=50, required=False, allow_blank=True)
    contact_phone = serializers.CharField(label="联系电话", max_length=20, required=False, allow_blank=True)
    area = serializers.ChoiceField(label="所属领域", choices=OpinionArea.choices)
    title = serializers.CharField(label="事项", max_length=100)
    content = serializers.CharField(label="具体内容")
    assignee = _cadre("承办干部", required=False, allow_null=True)


class AssignOpinionSerializer(VersionSerializer):
    assignee = _cadre("承办干部")
    area = serializers.ChoiceField(label="所属领域", choices=OpinionArea.choices, required=False)


class AnswerSerializer(VersionSerializer):
    answer_kind = serializers.ChoiceField(label="答复结果", choices=AnswerKind.choices)
    answer = serializers.CharField(label="答复内容")
    not_accepted_reason = serializers.CharField(label="不予采纳理由", required=False, allow_blank=True)
    promised_on = serializers.DateField(label="承诺完成日期", required=False, allow_null=True)


class ProgressSerializer(VersionSerializer):
    progress = serializers.ChoiceField(label="落实进展", choices=Progress.choices)
    note = serializers.CharField(label="进展说明")


class OpinionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=OpinionStatus.choices, label="状态")
    area = django_filters.ChoiceFilter(choices=OpinionArea.choices, label="领域")
    source = django_filters.ChoiceFilter(choices=OpinionSource.choices, label="来源")
    community = django_filters.NumberFilter(field_name="community_id", label="社区")
    assignee = django_filters.NumberFilter(field_name="assignee_id", label="承办干部")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="逾期")
    tracking_code = django_filters.CharFilter(label="查询码")

    class Meta:
        model = Opinion
        fields = ["status", "area", "source", "tracking_code"]

    def filter_overdue(self, queryset, name: str, value: bool):
        condition = overdue_opinions_q(timezone.localdate())
        return queryset.filter(condition) if value else queryset.exclude(condition)


class OpinionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """意见建议：登记、分派、答复（采纳，或不予采纳并说明理由）、落实进展。联系电话均脱敏。"""

    scope_model = Opinion
    queryset = Opinion.objects.all()
    serializer_class = OpinionSerializer
    filterset_class = OpinionFilter
    read_cap = Cap.RESEARCH_VIEW
    write_cap = Cap.RESEARCH_MANAGE

    def base_queryset(self):
        return Opinion.objects.select_related("community", "assignee").order_by("-submitted_at", "-pk")

    @extend_schema(request=OpinionRegisterSerializer, responses={201: OpinionSerializer})
    def create(self, request: Request) -> Response:
        """登记一条来电、来信或会议中听到的意见建议。"""
        data = OpinionRegisterSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        opinion = opinion_services.opinion_register(by=request.user, **data.validated_data)
        return self.respond(opinion, status.HTTP_201_CREATED)

    def _step(self, serializer_class, run) -> Response:
        opinion = self.get_object()
        data = serializer_class(data=self.request.data, context={"request": self.request})
        data.is_valid(raise_exception=True)
        return self.respond(run(opinion, data.validated_data))

    @extend_schema(request=AssignOpinionSerializer, responses=OpinionSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: Any = None) -> Response:
        """分派承办干部（可同时调整所属领域）。"""
        return self._step(
            AssignOpinionSerializer,
            lambda opinion, data: opinion_services.opinion_assign(
                opinion=opinion,
                by=request.user,
                assignee=data["assignee"],
                area=data.get("area"),
                expected_version=data.get("version"),
            ),
        )

    @extend_schema(request=AnswerSerializer, responses=OpinionSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request: Request, pk: Any = None) -> Response:
        """答复：采纳（须填承诺完成日期，进入落实）或不予采纳（须说明理由，即办结）。"""
        return self._step(
            AnswerSerializer,
            lambda opinion, data: opinion_services.opinion_answer(
                opinion=opinion,
                by=request.user,
                answer_kind=data["answer_kind"],
                answer=data["answer"],
                not_accepted_reason=data.get("not_accepted_reason", ""),
                promised_on=data.get("promised_on"),
                expected_version=data.get("version"),
            ),
        )

    @extend_schema(request=ProgressSerializer, responses=OpinionSerializer)
    @action(detail=True, methods=["post"])
    def progress(self, request: Request, pk: Any = None) -> Response:
        """更新落实进展；已落实即办结。"""
        return self._step(
            ProgressSerializer,
            lambda opinion, data: opinion_services.opinion_progress(
                opinion=opinion,
                by=request.user,
                progress=data["progress"],
                note=data["note"],
                expected_version=data.get("version"),
            ),
        )


class CorrectionSerializer(serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)
    opinions = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Correction
        fields = ["id", "community", "community_name", "title", "description", "corrected_on", "research", "opinions"]
        read_only_fields = fields


class CorrectionCreateSerializer(serializers.Serializer):
    community = _community()
    title = serializers.CharField(label="修正事项", max_length=120)
    description = serializers.CharField(label="修正内容")
    corrected_on = serializers.DateField(label="修正日期")
    opinions = serializers.ListField(
        child=serializers.IntegerField(), label="依据的意见建议", required=False, default=list
    )
    research = ScopedRelatedField(
        choices=lambda user: _in_scope(Research, user), noun="调研记录", required=False, allow_null=True
    )

    def validate_opinions(self, value: list[int]) -> list[Opinion]:
        found = list(_in_scope(Opinion, self.context["request"].user).filter(pk__in=value))
        if len(found) != len(set(value)):
            raise serializers.ValidationError("所选意见建议不存在或不在您的权限范围内。")
        return found


class CorrectionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """及时修正：在调研和听取意见的基础上作出的修正，关联其依据的意见建议和调研。"""

    scope_model = Correction
    queryset = Correction.objects.all()
    serializer_class = CorrectionSerializer
    read_cap = Cap.RESEARCH_VIEW
    write_cap = Cap.RESEARCH_MANAGE

    def base_queryset(self):
        return (
            Correction.objects.select_related("community").prefetch_related("opinions").order_by("-corrected_on", "-pk")
        )

    @extend_schema(request=CorrectionCreateSerializer, responses={201: CorrectionSerializer})
    def create(self, request: Request) -> Response:
        """记录一项及时修正。"""
        data = CorrectionCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        correction = opinion_services.correction_record(by=request.user, **data.validated_data)
        return Response(
            CorrectionSerializer(self.get_queryset().get(pk=correction.pk)).data, status=status.HTTP_201_CREATED
        )


# --- The detachment indicators ------------------------------------------------------------------


class IndicatorRowSerializer(serializers.Serializer):
    key = serializers.IntegerField(allow_null=True)
    label = serializers.CharField()
    note = serializers.CharField()
    visits_by_month = serializers.ListField(child=serializers.IntegerField())
    visits = serializers.IntegerField()
    visits_per_cadre_month = serializers.DecimalField(max_digits=8, decimal_places=1, allow_null=True)
    visits_acted = serializers.IntegerField()
    visit_action_rate = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    research = serializers.IntegerField()
    research_acted = serializers.IntegerField()
    research_action_rate = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    opinions = serializers.IntegerField()
    closed = serializers.IntegerField()
    closure_rate = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    average_closure_days = serializers.DecimalField(max_digits=8, decimal_places=1, allow_null=True)
    on_time_rate = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    overdue_open = serializers.IntegerField()
    rated = serializers.IntegerField()
    average_rating = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True)
    satisfied_rate = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)


class IndicatorsSerializer(serializers.Serializer):
    months = serializers.ListField(child=serializers.DateField())
    communities = IndicatorRowSerializer(many=True)
    cadres = IndicatorRowSerializer(many=True)
    total = IndicatorRowSerializer()


MONTH = OpenApiParameter("month_from", OpenApiTypes.STR, description="起始月份，如 2026-01")


class DetachmentViewSet(ScopedViewSet):
    """“三个脱离”指标：干部走访（人均每月走访次数）、调研和走访转化为行动、意见建议办结与满意度；按社区和干部。"""

    scope_model = Visit
    read_cap = Cap.RESEARCH_VIEW
    write_cap = Cap.RESEARCH_MANAGE
    pagination_class = None
    filter_backends: list = []

    def base_queryset(self):
        return Visit.objects.all()

    @staticmethod
    def _month(value: str | None, field: str) -> datetime.date | None:
        if not value:
            return None
        try:
            return datetime.datetime.strptime(value, "%Y-%m").date()
        except ValueError:
            raise serializers.ValidationError({field: ["月份格式应为 2026-01。"]}) from None

    @extend_schema(
        responses=IndicatorsSerializer,
        parameters=[
            MONTH,
            OpenApiParameter("month_to", OpenApiTypes.STR, description="截止月份，如 2026-06"),
            OpenApiParameter("community", OpenApiTypes.INT, description="社区"),
        ],
    )
    def list(self, request: Request) -> Response:
        today = timezone.localdate()
        fallback = default_period(today)
        first = self._month(request.query_params.get("month_from"), "month_from") or fallback.first
        last = self._month(request.query_params.get("month_to"), "month_to") or max(first, fallback.last)
        if last < first:
            raise serializers.ValidationError({"month_to": ["截止月份不能早于起始月份。"]})
        community = None
        if request.query_params.get("community"):
            value = request.query_params["community"]
            community = community_choices(user=request.user).filter(pk=value).first() if value.isdigit() else None
            if community is None:
                raise serializers.ValidationError({"community": ["所选社区不存在或不在您的权限范围内。"]})
        indicators = detachment_indicators(
            user=request.user, period=Period(first=first, last=last), today=today, community=community
        )
        payload = {
            "months": indicators.period.months,
            "communities": indicators.communities,
            "cadres": indicators.cadres,
            "total": indicators.total,
        }
        return Response(IndicatorsSerializer(payload).data)


def register(router) -> None:
    """Add this module's viewsets to the API router."""
    router.register("risks", RiskViewSet, basename="risk")
    router.register("events", EventViewSet, basename="event")
    router.register("research", ResearchViewSet, basename="research")
    router.register("research-rounds", RoundViewSet, basename="research-round")
    router.register("visits", VisitViewSet, basename="visit")
    router.register("opinions", OpinionViewSet, basename="opinion")
    router.register("corrections", CorrectionViewSet, basename="correction")
    router.register("detachment", DetachmentViewSet, basename="detachment")
