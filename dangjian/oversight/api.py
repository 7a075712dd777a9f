"""REST API of oversight: the blind-spot cases and the actions that work them, the scan runs
(starting one), and the caller's own reminders. Numbers are masked; evidence is as recorded."""

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
from dangjian.core.models import User

from . import selectors, services
from .choices import CaseKind, CaseOutcome, CaseStatus, ReminderKind
from .forms import parse_month
from .models import Case, CaseAction, Reminder, ScanRun

Cap = scope.Cap


# --- Cases -------------------------------------------------------------------------------------


class CaseActionSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    by_name = serializers.CharField(source="by.display_name", read_only=True, default="")

    class Meta:
        model = CaseAction
        fields = ["id", "kind", "kind_display", "note", "by", "by_name", "at"]
        read_only_fields = fields


class CaseSerializer(serializers.ModelSerializer):
    """A case as the API lists it: the member by name (numbers masked), the branch, the state."""

    member_name = serializers.CharField(source="member.name", read_only=True)
    member_phone = serializers.CharField(source="member.phone_masked", read_only=True)
    branch_name = serializers.CharField(source="branch.name", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    outcome_display = serializers.CharField(source="get_outcome_display", read_only=True)
    assignee_name = serializers.CharField(source="assignee.display_name", read_only=True, default="")

    class Meta:
        model = Case
        fields = [
            "id",
            "kind",
            "kind_display",
            "status",
            "status_display",
            "member",
            "member_name",
            "member_phone",
            "branch",
            "branch_name",
            "period_start",
            "period_end",
            "summary",
            "evidence",
            "transfer",
            "mobile",
            "assignee",
            "assignee_name",
            "outcome",
            "outcome_display",
            "outcome_note",
            "opened_at",
            "closed_at",
            "scan",
            "version",
        ]
        read_only_fields = fields


class CaseDetailSerializer(CaseSerializer):
    actions = CaseActionSerializer(many=True, read_only=True)

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "actions"]
        read_only_fields = fields


class CaseFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=CaseKind.choices, label="类型")
    status = django_filters.ChoiceFilter(
        # "open" stands for every case not yet closed (待处理 and 处理中), as on the case list page.
        choices=[("open", "未办结"), *[(value, label) for value, label in CaseStatus.choices if value != "open"]],
        method="filter_status",
        label="状态（open：未办结）",
    )
    unit = django_filters.NumberFilter(method="filter_unit", label="组织（含下级）")
    assignee = django_filters.NumberFilter(field_name="assignee_id", label="责任人（用户编号）")
    member = django_filters.NumberFilter(field_name="member_id", label="党员编号")
    scan = django_filters.NumberFilter(field_name="scan_id", label="扫描批次")

    class Meta:
        model = Case
        fields = ["kind"]

    def filter_status(self, queryset, name: str, value: str):
        if value == "open":
            return queryset.exclude(status=CaseStatus.CLOSED)
        return queryset.filter(status=value)

    def filter_unit(self, queryset, name: str, value: Any):
        unit = scope.units(self.request.user).filter(pk=value).first()
        return queryset.filter(branch__path__startswith=unit.path) if unit else queryset.none()


class _VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(label="版本", required=False, help_text="读取时的版本号；他人已修改时返回 400。")


class CaseAssignSerializer(_VersionSerializer):
    assignee = serializers.IntegerField(label="责任人（用户编号）")
    note = serializers.CharField(label="说明", required=False, allow_blank=True, max_length=500)


class CaseNoteSerializer(_VersionSerializer):
    kind = serializers.ChoiceField(label="记录类型", choices=[(kind, kind.label) for kind in services.NOTE_KINDS])
    note = serializers.CharField(label="内容", max_length=2000)


class CaseCloseSerializer(_VersionSerializer):
    outcome = serializers.ChoiceField(label="处理结果", choices=CaseOutcome.choices)
    note = serializers.CharField(label="办结说明", max_length=2000)


class CaseReopenSerializer(_VersionSerializer):
    note = serializers.CharField(label="重新打开的原因", max_length=2000)


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """盲点：列表与详情（含扫描依据和处理记录）；指定责任人、添加工作记录、办结（须选处理结果并写说明）、
    重新打开。两人同时办结时，后提交的一方收到“该盲点已由他人办结”。"""

    scope_model = Case
    queryset = Case.objects.all()
    serializer_class = CaseSerializer
    filterset_class = CaseFilter
    read_cap = Cap.CASE_VIEW
    write_cap = Cap.CASE_MANAGE

    def base_queryset(self):
        queryset = selectors.in_working_order(Case.objects.select_related("member", "branch", "assignee"))
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("actions__by")
        return queryset

    def get_serializer_class(self):
        return CaseDetailSerializer if self.action == "retrieve" else CaseSerializer

    def _respond(self, case: Case) -> Response:
        case = selectors.case_get(user=self.request.user, pk=case.pk)
        return Response(CaseDetailSerializer(case, context=self.get_serializer_context()).data)

    def _data(self, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
        data = serializer_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        return data.validated_data

    @extend_schema(request=CaseAssignSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: Any = None) -> Response:
        """指定责任人：须在该党支部所属范围内任职、且在您的权限范围内。"""
        case = self.get_object()  # outside the scope: 404 before the body is read
        data = self._data(CaseAssignSerializer)
        assignee = User.objects.filter(pk=data["assignee"]).first()
        if assignee is None:
            raise serializers.ValidationError({"assignee": ["所选人员不存在。"]})
        services.case_assign(
            case=case,
            assignee=assignee,
            note=data.get("note", ""),
            by=request.user,
            expected_version=data.get("version"),
        )
        return self._respond(case)

    @extend_schema(request=CaseNoteSerializer, responses={201: CaseDetailSerializer})
    @action(detail=True, methods=["post"])
    def note(self, request: Request, pk: Any = None) -> Response:
        """添加工作记录（联系谈话、上门走访或工作记录）。"""
        case = self.get_object()
        data = self._data(CaseNoteSerializer)
        services.case_add_note(
            case=case, kind=data["kind"], note=data["note"], by=request.user, expected_version=data.get("version")
        )
        response = self._respond(case)
        response.status_code = status.HTTP_201_CREATED
        return response

    @extend_schema(request=CaseCloseSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: Any = None) -> Response:
        """办结：选择处理结果并填写说明。"""
        case = self.get_object()
        data = self._data(CaseCloseSerializer)
        services.case_close(
            case=case, outcome=data["outcome"], note=data["note"], by=request.user, expected_version=data.get("version")
        )
        return self._respond(case)

    @extend_schema(request=CaseReopenSerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: Any = None) -> Response:
        """重新打开已办结的盲点（须填写原因）。"""
        case = self.get_object()
        data = self._data(CaseReopenSerializer)
        services.case_reopen(case=case, note=data["note"], by=request.user, expected_version=data.get("version"))
        return self._respond(case)


# --- Scan runs ---------------------------------------------------------------------------------


class ScanRunSerializer(serializers.ModelSerializer):
    org_unit_name = serializers.CharField(source="org_unit.name", read_only=True)
    by_name = serializers.CharField(source="by.display_name", read_only=True, default="")
    opened_total = serializers.IntegerField(read_only=True)

    class Meta:
        model = ScanRun
        fields = [
            "id",
            "org_unit",
            "org_unit_name",
            "as_of",
            "started_at",
            "finished_at",
            "members_scanned",
            "opened",
            "opened_total",
            "by",
            "by_name",
        ]
        read_only_fields = fields


class ScanStartSerializer(serializers.Serializer):
    unit = serializers.IntegerField(label="扫描范围（组织编号）")
    as_of = serializers.CharField(
        label="截止月份", required=False, allow_blank=True, help_text="如 2026-05；默认上个月。"
    )

    def validate_as_of(self, value: str) -> Any:
        if not value:
            return None
        month = parse_month(value)
        if month is None:
            raise serializers.ValidationError("请按“年-月”填写月份，如 2026-05。")
        return month


class ScanRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """盲点扫描记录；`POST` 对某一范围立即扫描（由后台任务执行，结果记入该次扫描）。"""

    scope_model = ScanRun
    queryset = ScanRun.objects.all()
    serializer_class = ScanRunSerializer
    read_cap = Cap.SCAN_RUN
    write_cap = Cap.SCAN_RUN

    def base_queryset(self):
        return ScanRun.objects.select_related("org_unit", "by").order_by("-started_at", "-pk")

    @extend_schema(request=ScanStartSerializer, responses={201: ScanRunSerializer})
    def create(self, request: Request) -> Response:
        data = ScanStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        unit = selectors.scan_units(user=request.user).filter(pk=data.validated_data["unit"]).first()
        if unit is None:
            raise serializers.ValidationError({"unit": ["所选组织不存在或不在您的权限范围内。"]})
        run = services.scan_start(unit=unit, as_of=data.validated_data.get("as_of"), by=request.user)
        run.refresh_from_db()
        return Response(ScanRunSerializer(run).data, status=status.HTTP_201_CREATED)


# --- Reminders ---------------------------------------------------------------------------------


class ReminderSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    org_unit_name = serializers.CharField(source="org_unit.name", read_only=True)

    class Meta:
        model = Reminder
        fields = [
            "id",
            "kind",
            "kind_display",
            "org_unit",
            "org_unit_name",
            "title",
            "url",
            "due_on",
            "created_at",
            "read_at",
        ]
        read_only_fields = fields


class ReminderFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=ReminderKind.choices, label="类型")
    unread = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull", label="仅未读")

    class Meta:
        model = Reminder
        fields = ["kind"]


class ReadAllSerializer(serializers.Serializer):
    seen_at = serializers.DateTimeField(
        label="截至时间", help_text="把此时间以前出现的未读提醒标为已读（通常为列表的读取时间），之后出现的仍为未读。"
    )


class ReminderViewSet(mixins.ListModelMixin, ScopedViewSet):
    """本人在当前授权下的提醒（从不显示他人的提醒）；`read` 标为已读，`read_all` 全部标为已读。"""

    scope_model = Reminder
    queryset = Reminder.objects.all()
    serializer_class = ReminderSerializer
    filterset_class = ReminderFilter
    # Every working role may read its own reminders; members and residents get none.
    read_cap = Cap.ORG_VIEW
    write_cap = Cap.ORG_VIEW

    def base_queryset(self):
        return (
            selectors.reminders(user=self.request.user)
            .select_related("org_unit")
            .order_by("-read_at", "due_on", "-created_at", "pk")
        )

    def get_queryset(self):
        # selectors.reminders has applied the scope and the caller's own rows already.
        return self.base_queryset()

    @extend_schema(request=None, responses=ReminderSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: Any = None) -> Response:
        """标为已读。"""
        reminder = services.reminder_mark_read(reminder=self.get_object())
        return Response(ReminderSerializer(reminder).data)

    @extend_schema(
        request=ReadAllSerializer,
        responses=inline_serializer("ReadAllResponse", {"marked": serializers.IntegerField()}),
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        """把截至 `seen_at` 出现的未读提醒全部标为已读。"""
        data = ReadAllSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        grant = scope.active_grant(request.user)
        marked = services.reminder_mark_all_read(
            user=request.user,
            org_unit=grant.org_unit if grant else None,
            seen_at=data.validated_data["seen_at"],
        )
        return Response({"marked": marked})


def register(router) -> None:
    """Add this module's viewsets to the API router."""
    router.register("cases", CaseViewSet, basename="case")
    router.register("scan-runs", ScanRunViewSet, basename="scan-run")
    router.register("reminders", ReminderViewSet, basename="reminder")
