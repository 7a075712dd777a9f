"""REST API of the core: org units, committees and their seats, the current user's grants."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Count, Q
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action, api_view, permission_classes, throttle_classes
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from dangjian.api.base import GRANT_HEADER, ScopedViewSet, apply_grant_header

from . import scope, services
from .access import scope_exempt
from .choices import OrgKind, OrgStatus, Position
from .models import BranchCommittee, CommitteeSeat, Grant, OrgUnit

Cap = scope.Cap


# --- Org units ---------------------------------------------------------------------------------


class OrgUnitSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    child_count = serializers.IntegerField(read_only=True, source="active_children")

    class Meta:
        model = OrgUnit
        fields = [
            "id",
            "kind",
            "kind_display",
            "code",
            "name",
            "parent",
            "depth",
            "status",
            "status_display",
            "established_on",
            "closed_on",
            "merged_into",
            "close_reason",
            "address",
            "sort_order",
            "child_count",
            "version",
        ]
        read_only_fields = ["depth", "status", "closed_on", "merged_into", "close_reason", "version"]


class OrgUnitCreateSerializer(serializers.Serializer):
    parent = serializers.IntegerField(label="上级组织")
    kind = serializers.ChoiceField(label="类型", choices=OrgKind.choices)
    code = serializers.CharField(label="编码", max_length=32)
    name = serializers.CharField(label="名称", max_length=100)
    established_on = serializers.DateField(label="成立日期", required=False, allow_null=True)
    address = serializers.CharField(label="办公地址", max_length=200, required=False, allow_blank=True)
    sort_order = serializers.IntegerField(label="排序", required=False, min_value=0)


class OrgUnitUpdateSerializer(serializers.Serializer):
    code = serializers.CharField(label="编码", max_length=32, required=False)
    name = serializers.CharField(label="名称", max_length=100, required=False)
    established_on = serializers.DateField(label="成立日期", required=False, allow_null=True)
    address = serializers.CharField(label="办公地址", max_length=200, required=False, allow_blank=True)
    sort_order = serializers.IntegerField(label="排序", required=False, min_value=0)
    version = serializers.IntegerField(label="版本", required=False, help_text="读取时的版本号；他人已修改时返回 400。")


class OrgUnitMoveSerializer(serializers.Serializer):
    new_parent = serializers.IntegerField(label="新的上级组织")
    version = serializers.IntegerField(label="版本", required=False)


class OrgUnitCloseSerializer(serializers.Serializer):
    status = serializers.ChoiceField(label="处理方式", choices=[OrgStatus.DISSOLVED, OrgStatus.MERGED])
    closed_on = serializers.DateField(label="撤销/合并日期")
    reason = serializers.CharField(label="原因", max_length=200, required=False, allow_blank=True)
    merged_into = serializers.IntegerField(label="并入组织", required=False, allow_null=True)
    version = serializers.IntegerField(label="版本", required=False)


class OrgUnitFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=OrgKind.choices, label="类型")
    status = django_filters.ChoiceFilter(choices=OrgStatus.choices, label="状态")
    parent = django_filters.NumberFilter(field_name="parent_id", label="上级组织")
    q = django_filters.CharFilter(method="search", label="名称或编码")

    class Meta:
        model = OrgUnit
        fields = ["kind", "status", "parent"]

    def search(self, queryset, name: str, value: str):
        return queryset.filter(Q(name__icontains=value) | Q(code__iexact=value))


def _unit_in_scope(request: Request, pk: Any, field: str) -> OrgUnit:
    try:
        return scope.units(request.user).get(pk=pk)
    except OrgUnit.DoesNotExist as exc:
        raise serializers.ValidationError({field: ["所选组织不存在或不在您的权限范围内。"]}) from exc


class OrgUnitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """组织单位：列表、详情、新增、修改、移动、撤销/合并。范围之外的组织返回 404。"""

    scope_model = OrgUnit
    queryset = OrgUnit.objects.all()
    serializer_class = OrgUnitSerializer
    filterset_class = OrgUnitFilter
    read_cap = Cap.ORG_VIEW
    write_cap = Cap.ORG_MANAGE

    def base_queryset(self):
        return OrgUnit.objects.annotate(
            active_children=Count("children", filter=Q(children__status=OrgStatus.ACTIVE))
        ).order_by("path")

    def _managed(self) -> OrgUnit:
        unit = self.get_object()
        if not scope.can_manage_unit(self.request.user, unit):
            raise PermissionDenied("您只能管理本级以下的组织。")
        return unit

    @extend_schema(request=OrgUnitCreateSerializer, responses={201: OrgUnitSerializer})
    def create(self, request: Request) -> Response:
        data = OrgUnitCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        parent = _unit_in_scope(request, values.pop("parent"), "parent")
        if not scope.can_add_child(request.user, parent):
            raise PermissionDenied("不能在该组织下新增下级组织。")
        unit = services.org_unit_create(parent=parent, by=request.user, **values)
        return self.respond(unit, status.HTTP_201_CREATED)

    @extend_schema(request=OrgUnitUpdateSerializer, responses=OrgUnitSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        unit = self._managed()
        data = OrgUnitUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        version = values.pop("version", None)
        unit = services.org_unit_update(unit=unit, by=request.user, expected_version=version, **values)
        return self.respond(unit)

    @extend_schema(request=OrgUnitMoveSerializer, responses=OrgUnitSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: Any = None) -> Response:
        """把组织（连同其下级）移到另一个上级组织之下。"""
        unit = self._managed()
        data = OrgUnitMoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        new_parent = _unit_in_scope(request, data.validated_data["new_parent"], "new_parent")
        unit = services.org_unit_move(
            unit=unit, new_parent=new_parent, by=request.user, expected_version=data.validated_data.get("version")
        )
        return self.respond(unit)

    @extend_schema(request=OrgUnitCloseSerializer, responses=OrgUnitSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: Any = None) -> Response:
        """撤销组织，或把它合并到另一个同类型的组织。"""
        unit = self._managed()
        data = OrgUnitCloseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        merged_into = values.pop("merged_into", None)
        target = _unit_in_scope(request, merged_into, "merged_into") if merged_into else None
        unit = services.org_unit_close(
            unit=unit,
            status=values["status"],
            closed_on=values["closed_on"],
            reason=values.get("reason", ""),
            merged_into=target,
            by=request.user,
            expected_version=values.get("version"),
        )
        return self.respond(unit)


# --- Committees --------------------------------------------------------------------------------


class CommitteeSeatSerializer(serializers.ModelSerializer):
    position_display = serializers.CharField(source="get_position_display", read_only=True)

    class Meta:
        model = CommitteeSeat
        fields = [
            "id",
            "committee",
            "person_name",
            "position",
            "position_display",
            "started_on",
            "left_on",
            "left_reason",
        ]
        read_only_fields = ["left_on", "left_reason"]


class BranchCommitteeSerializer(serializers.ModelSerializer):
    org_unit_name = serializers.CharField(source="org_unit.name", read_only=True)
    status_label = serializers.CharField(read_only=True)
    days_left = serializers.IntegerField(read_only=True)
    seats = CommitteeSeatSerializer(many=True, read_only=True)

    class Meta:
        model = BranchCommittee
        fields = [
            "id",
            "org_unit",
            "org_unit_name",
            "term_number",
            "term_start",
            "term_end",
            "ended_on",
            "status_label",
            "days_left",
            "notes",
            "seats",
            "version",
        ]
        read_only_fields = ["ended_on", "version"]


class CommitteeCreateSerializer(serializers.Serializer):
    org_unit = serializers.IntegerField(label="党组织")
    term_start = serializers.DateField(label="任期开始")
    term_end = serializers.DateField(label="任期届满", required=False, allow_null=True)
    term_number = serializers.IntegerField(label="届次", required=False, allow_null=True, min_value=1)
    notes = serializers.CharField(label="备注", required=False, allow_blank=True)


class CommitteeUpdateSerializer(serializers.Serializer):
    term_start = serializers.DateField(label="任期开始", required=False)
    term_end = serializers.DateField(label="任期届满", required=False)
    notes = serializers.CharField(label="备注", required=False, allow_blank=True)
    version = serializers.IntegerField(label="版本", required=False)


class CommitteeFilter(django_filters.FilterSet):
    org_unit = django_filters.NumberFilter(field_name="org_unit_id", label="党组织")
    ending_within = django_filters.NumberFilter(method="filter_ending", label="多少天内届满")

    class Meta:
        model = BranchCommittee
        fields = ["org_unit"]

    def filter_ending(self, queryset, name: str, value: Any):
        return queryset.ending_within(int(value))


class CommitteeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """支部委员会（届次）：列表、详情、换届登记、修改。"""

    scope_model = BranchCommittee
    queryset = BranchCommittee.objects.all()
    serializer_class = BranchCommitteeSerializer
    filterset_class = CommitteeFilter
    read_cap = Cap.COMMITTEE_VIEW
    write_cap = Cap.COMMITTEE_MANAGE

    def base_queryset(self):
        return (
            BranchCommittee.objects.select_related("org_unit")
            .prefetch_related("seats")
            .order_by("org_unit__path", "-term_number")
        )

    @extend_schema(request=CommitteeCreateSerializer, responses={201: BranchCommitteeSerializer})
    def create(self, request: Request) -> Response:
        data = CommitteeCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        unit = _unit_in_scope(request, values.pop("org_unit"), "org_unit")
        if not scope.can_manage_committee_of(request.user, unit):
            raise PermissionDenied("您不能管理该组织的委员会。")
        committee = services.committee_create(org_unit=unit, by=request.user, **values)
        return self.respond(committee, status.HTTP_201_CREATED)

    @extend_schema(request=CommitteeUpdateSerializer, responses=BranchCommitteeSerializer)
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        committee = self.get_object()
        if not scope.can_manage_committee_of(request.user, committee.org_unit):
            raise PermissionDenied("您不能管理该组织的委员会。")
        data = CommitteeUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        version = values.pop("version", None)
        committee = services.committee_update(committee=committee, by=request.user, expected_version=version, **values)
        return self.respond(committee)


class SeatCreateSerializer(serializers.Serializer):
    committee = serializers.IntegerField(label="委员会")
    person_name = serializers.CharField(label="姓名", max_length=50)
    position = serializers.ChoiceField(label="职务", choices=Position.choices)
    started_on = serializers.DateField(label="任职日期", required=False, allow_null=True)


class SeatEndSerializer(serializers.Serializer):
    left_on = serializers.DateField(label="离任日期")
    reason = serializers.CharField(label="离任原因", max_length=200)


class CommitteeSeatViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """委员职务：列表、增补、离任。"""

    scope_model = CommitteeSeat
    queryset = CommitteeSeat.objects.all()
    serializer_class = CommitteeSeatSerializer
    filterset_fields = ["committee", "position"]
    read_cap = Cap.COMMITTEE_VIEW
    write_cap = Cap.COMMITTEE_MANAGE

    def base_queryset(self):
        return CommitteeSeat.objects.select_related("committee__org_unit").order_by("committee_id", "pk")

    @extend_schema(request=SeatCreateSerializer, responses={201: CommitteeSeatSerializer})
    def create(self, request: Request) -> Response:
        data = SeatCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        committees = scope.restrict(BranchCommittee.objects.select_related("org_unit"), request.user)
        committee = committees.filter(pk=values.pop("committee")).first()
        if committee is None:
            raise serializers.ValidationError({"committee": ["所选委员会不存在或不在您的权限范围内。"]})
        if not scope.can_manage_committee_of(request.user, committee.org_unit):
            raise PermissionDenied("您不能管理该组织的委员会。")
        seat = services.seat_add(committee=committee, by=request.user, **values)
        return Response(CommitteeSeatSerializer(seat).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SeatEndSerializer, responses=CommitteeSeatSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: Any = None) -> Response:
        """办理委员离任。"""
        seat = self.get_object()
        if not scope.can_manage_committee_of(request.user, seat.committee.org_unit):
            raise PermissionDenied("您不能管理该组织的委员会。")
        data = SeatEndSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        seat = services.seat_end(seat=seat, by=request.user, **data.validated_data)
        return Response(CommitteeSeatSerializer(seat).data)


class LoginThrottle(AnonRateThrottle):
    rate = "10/min"


# --- The current user --------------------------------------------------------------------------


class GrantSerializer(serializers.ModelSerializer):
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    org_unit_name = serializers.CharField(source="org_unit.name", read_only=True)

    class Meta:
        model = Grant
        fields = ["id", "role", "role_display", "org_unit", "org_unit_name"]


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    display_name = serializers.CharField()
    active_grant = GrantSerializer(allow_null=True)
    grants = GrantSerializer(many=True)


@scope_exempt("当前用户本人的账号与授权")
class MeView(APIView):
    """当前用户及其授权；`active_grant` 是本次请求所用的授权。"""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer, parameters=[GRANT_HEADER])
    def get(self, request: Request) -> Response:
        apply_grant_header(request)
        user = request.user
        return Response(
            MeSerializer(
                {
                    "username": user.username,
                    "display_name": user.display_name,
                    "active_grant": scope.active_grant(user),
                    "grants": scope.user_grants(user),
                }
            ).data
        )


@scope_exempt("以用户名、密码（和动态验证码）换取接口令牌；撤销本人的令牌")
@extend_schema(
    methods=["POST"],
    request=inline_serializer(
        "TokenRequest",
        {
            "username": serializers.CharField(),
            "password": serializers.CharField(),
            "otp_token": serializers.CharField(required=False, help_text="已启用双重验证时必填"),
        },
    ),
    responses=inline_serializer("TokenResponse", {"token": serializers.CharField()}),
    auth=[],
)
@extend_schema(methods=["DELETE"], request=None, responses={204: None})
@api_view(["POST", "DELETE"])
@permission_classes([AllowAny])
@throttle_classes([LoginThrottle])
def token_view(request: Request) -> Response:
    """POST：用用户名和密码换取接口令牌，已启用双重验证的账号还须提供动态验证码。
    DELETE：撤销当前用户的令牌（之后须重新换取）。"""
    from django.contrib.auth import authenticate
    from django_otp import devices_for_user, match_token

    from .middleware import requires_two_factor

    if request.method == "DELETE":
        if not request.user.is_authenticated:
            return Response({"detail": "请先登录。"}, status=status.HTTP_401_UNAUTHORIZED)
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
    username = request.data.get("username", "")
    password = request.data.get("password", "")
    if not username or not password:
        return Response({"detail": "请提供用户名（username）和密码（password）。"}, status=status.HTTP_400_BAD_REQUEST)
    user = authenticate(request._request, username=username, password=password)
    if user is None or not user.is_active:
        return Response({"detail": "用户名或密码不正确。"}, status=status.HTTP_400_BAD_REQUEST)
    if any(devices_for_user(user, confirmed=True)):
        if match_token(user, str(request.data.get("otp_token", ""))) is None:
            return Response({"otp_token": ["动态验证码不正确或缺失。"]}, status=status.HTTP_400_BAD_REQUEST)
    elif requires_two_factor(user):
        return Response({"detail": "您的角色需要先在页面上启用双重验证。"}, status=status.HTTP_403_FORBIDDEN)
    token, _ = Token.objects.get_or_create(user=user)
    return Response({"token": token.key})
