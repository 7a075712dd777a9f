"""REST API of organizational life: meetings with their attendance, the frequency rules, the
compliance table and the tasks a branch assigns. Thin: serializers check the shape, services
and selectors do the work (registered on the router by `register`)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from dangjian.api.base import ScopedViewSet
from dangjian.core import scope
from dangjian.members.selectors.registry import branch_choices, group_choices

from . import selectors, services
from .choices import AttendanceStatus, Frequency, MeetingKind, MeetingStatus, TaskStatus
from .models import Meeting, MeetingRule, MemberTask
from .selectors import Period

Cap = scope.Cap

VERSION_HELP = "读取时的版本号；他人已修改时返回 400。"


def _unit_in_scope(request: Request, value: Any, field: str = "unit"):
    unit = scope.units(request.user).filter(pk=value).first() if str(value).isdigit() else None
    if unit is None:
        raise serializers.ValidationError({field: ["所选组织不存在或不在您的权限范围内。"]})
    return unit


# --- Meetings ----------------------------------------------------------------------------------


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    uploaded_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, attachment: Any) -> str:
        from django.urls import reverse

        return reverse("orglife:attachment_download", args=[attachment.pk])


class MeetingSerializer(serializers.ModelSerializer):
    branch_name = serializers.CharField(source="branch.name", read_only=True)
    group_name = serializers.CharField(source="group.name", read_only=True, default=None)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    counts_for_compliance = serializers.BooleanField(read_only=True)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "branch",
            "branch_name",
            "group",
            "group_name",
            "kind",
            "kind_display",
            "status",
            "status_display",
            "title",
            "agenda",
            "held_at",
            "held_on",
            "place",
            "chair",
            "recorder",
            "speaker",
            "minutes",
            "expected_count",
            "present_count",
            "excused_count",
            "absent_count",
            "quorum_rule",
            "quorum_required",
            "quorum_met",
            "counts_for_compliance",
            "version",
        ]
        read_only_fields = fields


class MeetingDetailSerializer(MeetingSerializer):
    attachments = serializers.SerializerMethodField()

    class Meta(MeetingSerializer.Meta):
        fields = [*MeetingSerializer.Meta.fields, "attachments"]
        read_only_fields = fields

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, meeting: Meeting) -> Any:
        return AttachmentSerializer(selectors.meeting_attachments(meeting=meeting), many=True).data


class MeetingWriteSerializer(serializers.Serializer):
    branch = serializers.IntegerField(label="党支部")
    group = serializers.IntegerField(label="党小组", required=False, allow_null=True)
    kind = serializers.ChoiceField(label="会议类型", choices=MeetingKind.choices)
    title = serializers.CharField(label="会议主题", max_length=120)
    held_at = serializers.DateTimeField(label="时间")
    place = serializers.CharField(label="地点", max_length=120)
    chair = serializers.CharField(label="主持人", max_length=50, required=False, allow_blank=True)
    recorder = serializers.CharField(label="记录人", max_length=50, required=False, allow_blank=True)
    speaker = serializers.CharField(label="授课人", max_length=50, required=False, allow_blank=True)
    agenda = serializers.CharField(label="议程", required=False, allow_blank=True)
    minutes = serializers.CharField(label="会议记录", required=False, allow_blank=True)


class MeetingUpdateSerializer(MeetingWriteSerializer):
    version = serializers.IntegerField(label="版本", help_text=VERSION_HELP)


class MeetingCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(label="取消原因", max_length=200)
    version = serializers.IntegerField(label="版本", required=False, help_text=VERSION_HELP)


class AttendanceRowSerializer(serializers.Serializer):
    member = serializers.IntegerField(label="党员")
    member_name = serializers.CharField(label="姓名", read_only=True)
    status = serializers.ChoiceField(label="出席情况", choices=AttendanceStatus.choices)
    reason = serializers.CharField(label="请假事由", max_length=200, required=False, allow_blank=True)


class AttendanceSerializer(serializers.Serializer):
    meeting = MeetingSerializer(read_only=True)
    rows = AttendanceRowSerializer(many=True)


class AttendancePutSerializer(serializers.Serializer):
    version = serializers.IntegerField(label="版本", required=False, help_text=VERSION_HELP)
    rows = AttendanceRowSerializer(
        many=True,
        label="出席情况",
        help_text="支委会只列出到会、请假或缺席的委员；其他会议须列出全部应到党员。",
    )


class MeetingFilter(django_filters.FilterSet):
    unit = django_filters.NumberFilter(method="filter_unit", label="组织（含下级）")
    kind = django_filters.ChoiceFilter(choices=MeetingKind.choices, label="会议类型")
    status = django_filters.ChoiceFilter(choices=MeetingStatus.choices, label="状态")
    period = django_filters.CharFilter(method="filter_period", label="期间：2026、2026-H1、2026-Q4 或 2026-11")
    below_quorum = django_filters.BooleanFilter(method="filter_below_quorum", label="只看未达法定人数")

    class Meta:
        model = Meeting
        fields = ["kind", "status"]

    def filter_unit(self, queryset, name: str, value: Any):
        unit = scope.units(self.request.user).filter(pk=value).first()
        return queryset.filter(branch__path__startswith=unit.path) if unit else queryset.none()

    def filter_period(self, queryset, name: str, value: str):
        period = Period.parse(value)
        if period is None:
            raise serializers.ValidationError({"period": ["期间格式应为 2026、2026-H1、2026-Q4 或 2026-11。"]})
        return queryset.filter(held_on__gte=period.start, held_on__lte=period.end)

    def filter_below_quorum(self, queryset, name: str, value: bool | None):
        return queryset.filter(quorum_met=False) if value else queryset


class ComplianceCellSerializer(serializers.Serializer):
    kind = serializers.CharField()
    held = serializers.IntegerField(label="已开（计入合规）")
    required = serializers.IntegerField(label="应开")
    ok = serializers.BooleanField(label="达到要求")


class ComplianceRowSerializer(serializers.Serializer):
    branch = serializers.IntegerField(source="branch.pk")
    branch_name = serializers.CharField(source="branch.name")
    community = serializers.IntegerField(source="community.pk", default=None)
    cells = ComplianceCellSerializer(many=True)
    done = serializers.IntegerField()
    required = serializers.IntegerField()
    rate = serializers.FloatField(label="完成率（%）")
    ok = serializers.BooleanField(label="全部达标")


class ComplianceBlockSerializer(serializers.Serializer):
    community = serializers.IntegerField(source="community.pk", default=None)
    name = serializers.CharField()
    totals = ComplianceCellSerializer(many=True)
    done = serializers.IntegerField()
    required = serializers.IntegerField()
    compliant = serializers.IntegerField(label="全部达标的支部数")
    rate = serializers.FloatField(label="完成率（%）")
    rows = ComplianceRowSerializer(many=True)


class ComplianceColumnSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    note = serializers.CharField()
    window_start = serializers.DateField(source="requirement.window.start")
    window_end = serializers.DateField(source="requirement.window.end")
    per_window = serializers.IntegerField(source="requirement.per_window", label="每个支部（党小组）应开")


class ComplianceSerializer(serializers.Serializer):
    period = serializers.CharField(source="period.key")
    period_label = serializers.CharField(source="period.label")
    unit = serializers.IntegerField(source="unit.pk", default=None)
    columns = ComplianceColumnSerializer(many=True)
    blocks = ComplianceBlockSerializer(many=True)
    done = serializers.IntegerField()
    required = serializers.IntegerField()
    compliant = serializers.IntegerField()
    rate = serializers.FloatField()


class MeetingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """三会一课：列表、详情、登记和修改会议（带版本号），`attendance` 读取和登记出席情况，
    `cancel` 取消计划中的会议，`compliance` 合规统计。未达到法定人数的会议不计入合规统计。"""

    scope_model = Meeting
    queryset = Meeting.objects.all()
    serializer_class = MeetingSerializer
    response_serializer_class = MeetingDetailSerializer
    filterset_class = MeetingFilter
    read_cap = Cap.MEETING_VIEW
    write_cap = Cap.MEETING_MANAGE

    def base_queryset(self):
        return Meeting.objects.select_related("branch", "group").order_by("-held_at", "-pk")

    def get_serializer_class(self):
        return MeetingDetailSerializer if self.action == "retrieve" else MeetingSerializer

    def _fields(self, data: dict[str, Any]) -> dict[str, Any]:
        user = self.request.user
        values = dict(data)
        values.pop("version", None)
        if "branch" in values:
            branch = branch_choices(user=user).filter(pk=values["branch"]).first()
            if branch is None:
                raise serializers.ValidationError({"branch": ["所选党支部不存在或不在您的权限范围内。"]})
            values["branch"] = branch
        if values.get("group") is not None:
            group = group_choices(user=user).filter(pk=values["group"]).first()
            if group is None:
                raise serializers.ValidationError({"group": ["所选党小组不存在或不在您的权限范围内。"]})
            values["group"] = group
        return values

    @extend_schema(request=MeetingWriteSerializer, responses={201: MeetingDetailSerializer})
    def create(self, request: Request) -> Response:
        """登记会议（状态为“计划”；会后登记出席情况即为“已召开”）。"""
        data = MeetingWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        meeting = services.meeting_create(by=request.user, **self._fields(data.validated_data))
        return self.respond(meeting, status.HTTP_201_CREATED)

    def _update(self, request: Request, partial: bool) -> Response:
        meeting = self.get_object()  # outside the scope: 404 before the body is read
        data = MeetingUpdateSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        version = data.validated_data.get("version")
        if version is None:
            raise serializers.ValidationError({"version": ["请提供读取时的版本号。"]})
        fields = self._fields(data.validated_data)
        meeting = services.meeting_update(meeting=meeting, by=request.user, expected_version=version, **fields)
        return self.respond(meeting)

    @extend_schema(request=MeetingUpdateSerializer, responses=MeetingDetailSerializer)
    def update(self, request: Request, pk: Any = None) -> Response:
        """修改会议（须带版本号）；已登记出席的会议不能更改支部、党小组和会议类型。"""
        return self._update(request, partial=False)

    @extend_schema(request=MeetingUpdateSerializer, responses=MeetingDetailSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        """修改会议的部分字段（须带版本号）。"""
        return self._update(request, partial=True)

    @extend_schema(methods=["GET"], responses=AttendanceSerializer)
    @extend_schema(methods=["PUT"], request=AttendancePutSerializer, responses=AttendanceSerializer)
    @action(detail=True, methods=["get", "put"])
    def attendance(self, request: Request, pk: Any = None) -> Response:
        """读取（GET）或登记（PUT，替换原有记录）出席情况；请假须填写事由。登记后会议为“已召开”，
        应到、实到人数和法定人数随之确定。"""
        meeting = self.get_object()
        if request.method == "PUT":  # the write capability was checked in initial()
            data = AttendancePutSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            entries = [
                services.AttendanceEntry(row["member"], row["status"], row.get("reason", ""))
                for row in data.validated_data["rows"]
            ]
            meeting = services.attendance_record(
                meeting=meeting, entries=entries, by=request.user, expected_version=data.validated_data.get("version")
            )
            meeting = self.get_queryset().get(pk=meeting.pk)
        rows = [
            {"member": row.member_id, "member_name": row.member.name, "status": row.status, "reason": row.reason}
            for row in selectors.meeting_attendance(meeting=meeting)
        ]
        context = self.get_serializer_context()
        return Response(AttendanceSerializer({"meeting": meeting, "rows": rows}, context=context).data)

    @extend_schema(request=MeetingCancelSerializer, responses=MeetingDetailSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: Any = None) -> Response:
        """取消计划中的会议；原因写在会议记录开头。"""
        meeting = self.get_object()
        data = MeetingCancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        meeting = services.meeting_cancel(
            meeting=meeting,
            reason=data.validated_data["reason"],
            by=request.user,
            expected_version=data.validated_data.get("version"),
        )
        return self.respond(meeting)

    @extend_schema(
        responses=ComplianceSerializer,
        parameters=[
            OpenApiParameter(
                "period", OpenApiTypes.STR, description="期间：2026、2026-H1、2026-Q4 或 2026-11；默认本季度"
            ),
            OpenApiParameter("unit", OpenApiTypes.INT, description="社区、街道等组织；默认权限范围内全部"),
        ],
        filters=False,
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def compliance(self, request: Request) -> Response:
        """合规统计：每个党支部、每类会议的已开（只计已召开且达到法定人数的会议）与应开次数，
        以及各社区合计。周期长于所选期间的规则按包含所选期间的周期判断。"""
        today = timezone.localdate()
        period = selectors.default_period(today)
        if request.query_params.get("period"):
            period = Period.parse(request.query_params["period"])
            if period is None:
                raise serializers.ValidationError({"period": ["期间格式应为 2026、2026-H1、2026-Q4 或 2026-11。"]})
        unit = None
        if request.query_params.get("unit"):
            unit = _unit_in_scope(request, request.query_params["unit"])
        table = selectors.compliance_table(user=request.user, period=period, unit=unit, today=today)
        return Response(ComplianceSerializer(table).data)


# --- The frequency rules -----------------------------------------------------------------------


class MeetingRuleSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    frequency_display = serializers.CharField(source="get_frequency_display", read_only=True)

    class Meta:
        model = MeetingRule
        fields = ["kind", "kind_display", "frequency", "frequency_display", "times", "is_required", "description"]
        read_only_fields = fields


class MeetingRuleVersionedSerializer(MeetingRuleSerializer):
    class Meta(MeetingRuleSerializer.Meta):
        fields = [*MeetingRuleSerializer.Meta.fields, "version", "updated_at"]
        read_only_fields = fields


class MeetingRuleInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(label="会议类型", choices=MeetingKind.choices)
    frequency = serializers.ChoiceField(label="频次", choices=Frequency.choices)
    times = serializers.IntegerField(label="每期至少次数", min_value=1, max_value=31)
    is_required = serializers.BooleanField(label="纳入合规统计")
    version = serializers.IntegerField(label="版本", required=False, help_text=VERSION_HELP)


class MeetingRulesUpdateSerializer(serializers.Serializer):
    rules = MeetingRuleInputSerializer(many=True, allow_empty=False, label="规则")


class MeetingRuleViewSet(mixins.ListModelMixin, ScopedViewSet):
    """组织生活频次规则：全平台一套，凡能查看会议者均可读取；`bulk` 修改规则，仅区委组织部。"""

    scope_model = MeetingRule
    serializer_class = MeetingRuleVersionedSerializer
    read_cap = Cap.MEETING_VIEW
    write_cap = Cap.RULES_MANAGE
    pagination_class = None
    filter_backends: list = []

    def base_queryset(self):
        return MeetingRule.objects.order_by("pk")

    def get_queryset(self):
        # Platform-wide rows, not bound to any unit: every role with MEETING_VIEW reads the same.
        return self.base_queryset()

    @extend_schema(request=MeetingRulesUpdateSerializer, responses=MeetingRuleVersionedSerializer(many=True))
    @action(detail=False, methods=["put"])
    def bulk(self, request: Request) -> Response:
        """修改一条或多条规则（每条带读取时的版本号）；合规统计和提醒立即按新规则计算。"""
        data = MeetingRulesUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rows = data.validated_data["rules"]
        values = {row["kind"]: services.RuleValues(row["frequency"], row["times"], row["is_required"]) for row in rows}
        versions = {row["kind"]: row["version"] for row in rows if row.get("version") is not None}
        services.meeting_rules_update(values=values, expected_versions=versions, by=request.user)
        return Response(MeetingRuleVersionedSerializer(self.base_queryset(), many=True).data)


# --- Member tasks ------------------------------------------------------------------------------


class MemberTaskSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    branch = serializers.IntegerField(source="member.branch_id", read_only=True)
    branch_name = serializers.CharField(source="member.branch.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = MemberTask
        fields = [
            "id",
            "member",
            "member_name",
            "branch",
            "branch_name",
            "title",
            "description",
            "assigned_on",
            "due_on",
            "done_on",
            "status",
            "status_display",
            "result",
            "version",
        ]
        read_only_fields = fields


class MemberTaskCreateSerializer(serializers.Serializer):
    member = serializers.IntegerField(label="党员")
    title = serializers.CharField(label="任务", max_length=120)
    description = serializers.CharField(label="说明", required=False, allow_blank=True)
    assigned_on = serializers.DateField(label="交办日期")
    due_on = serializers.DateField(label="完成期限", required=False, allow_null=True)


class MemberTaskDoneSerializer(serializers.Serializer):
    done_on = serializers.DateField(label="完成日期")
    result = serializers.CharField(label="完成情况", max_length=200)
    version = serializers.IntegerField(label="版本", required=False, help_text=VERSION_HELP)


class MemberTaskCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(label="取消原因", max_length=190)
    version = serializers.IntegerField(label="版本", required=False, help_text=VERSION_HELP)


class MemberTaskFilter(django_filters.FilterSet):
    unit = django_filters.NumberFilter(method="filter_unit", label="组织（含下级）")
    member = django_filters.NumberFilter(field_name="member_id", label="党员")
    status = django_filters.ChoiceFilter(choices=TaskStatus.choices, label="状态")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="只看逾期未完成")

    class Meta:
        model = MemberTask
        fields = ["status"]

    def filter_unit(self, queryset, name: str, value: Any):
        unit = scope.units(self.request.user).filter(pk=value).first()
        return queryset.filter(member__branch__path__startswith=unit.path) if unit else queryset.none()

    def filter_overdue(self, queryset, name: str, value: bool | None):
        if not value:
            return queryset
        return queryset.filter(status=TaskStatus.OPEN, due_on__lt=timezone.localdate())


class MemberTaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """党员任务：支部交办给党员的工作。列表（可按组织、党员、状态、逾期筛选）、详情、交办，
    `done` 标记完成（须填写完成情况），`cancel` 取消。"""

    scope_model = MemberTask
    queryset = MemberTask.objects.all()
    serializer_class = MemberTaskSerializer
    filterset_class = MemberTaskFilter
    read_cap = Cap.MEETING_VIEW
    write_cap = Cap.MEETING_MANAGE

    def base_queryset(self):
        return MemberTask.objects.select_related("member", "member__branch").order_by("-assigned_on", "-pk")

    @extend_schema(request=MemberTaskCreateSerializer, responses={201: MemberTaskSerializer})
    def create(self, request: Request) -> Response:
        """向本支部的党员交办任务。"""
        from dangjian.members.models import Member

        data = MemberTaskCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        member = scope.restrict(Member.objects.all(), request.user).filter(pk=values.pop("member")).first()
        if member is None:
            raise serializers.ValidationError({"member": ["所选党员不存在或不在您的权限范围内。"]})
        task = services.task_assign(member=member, by=request.user, **values)
        return self.respond(task, status.HTTP_201_CREATED)

    @extend_schema(request=MemberTaskDoneSerializer, responses=MemberTaskSerializer)
    @action(detail=True, methods=["post"])
    def done(self, request: Request, pk: Any = None) -> Response:
        """标记完成。"""
        task = self.get_object()
        data = MemberTaskDoneSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        task = services.task_complete(
            task=task,
            done_on=values["done_on"],
            result=values["result"],
            by=request.user,
            expected_version=values.get("version"),
        )
        return self.respond(task)

    @extend_schema(request=MemberTaskCancelSerializer, responses=MemberTaskSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: Any = None) -> Response:
        """取消任务（原因记入完成情况）。"""
        task = self.get_object()
        data = MemberTaskCancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        task = services.task_cancel(
            task=task,
            reason=data.validated_data["reason"],
            by=request.user,
            expected_version=data.validated_data.get("version"),
        )
        return self.respond(task)


def register(router) -> None:
    """Add this module's viewsets to the API router."""
    router.register("meetings", MeetingViewSet, basename="meeting")
    router.register("meeting-rules", MeetingRuleViewSet, basename="meeting-rule")
    router.register("member-tasks", MemberTaskViewSet, basename="member-task")
