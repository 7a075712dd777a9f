"""What every API viewset shares: the active grant, capability checks and the scope rule."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from dangjian.core import scope

GRANT_HEADER = OpenApiParameter(
    name="X-Grant",
    type=OpenApiTypes.INT,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "以哪一项授权访问（授权编号，见 /api/v1/me/）；不填时，会话使用页面上选择的授权，令牌使用权限最大的一项。"
    ),
)

SAFE_ACTIONS = frozenset({"list", "retrieve", "metadata"})


def require_second_factor(request: Request) -> None:
    """Organizers who must sign in with a second factor cannot use a token that predates it."""
    from django_otp import devices_for_user

    from dangjian.core.middleware import requires_two_factor

    user = request.user
    if requires_two_factor(user) and not any(devices_for_user(user, confirmed=True)):
        raise exceptions.PermissionDenied("您的角色需要先在页面上启用双重验证。")


def apply_grant_header(request: Request) -> None:
    header = request.headers.get("X-Grant")
    if not header:
        return
    try:
        grant_id = int(header)
    except ValueError as exc:
        raise exceptions.ValidationError({"X-Grant": ["授权编号必须是整数。"]}) from exc
    if not any(grant.pk == grant_id for grant in scope.user_grants(request.user)):
        raise exceptions.PermissionDenied("您没有这项授权。")
    scope.set_active_grant(request.user, grant_id)


@extend_schema(parameters=[GRANT_HEADER])
class ScopedViewSet(viewsets.GenericViewSet):
    """A viewset whose queryset always passes through `core.scope.restrict`.

    `read_cap` guards reading actions, `write_cap` every other action; `action_caps` may name
    a capability per action.
    """

    read_cap: scope.Cap
    write_cap: scope.Cap
    action_caps: dict[str, scope.Cap] = {}

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        require_second_factor(request)
        apply_grant_header(request)
        cap = self.action_caps.get(self.action or "")
        if cap is None:
            cap = (
                self.read_cap
                if (self.action in SAFE_ACTIONS or request.method in ("GET", "HEAD", "OPTIONS"))
                else self.write_cap
            )
        if not scope.can(request.user, cap):
            raise exceptions.PermissionDenied("您当前的角色不能使用此接口。")

    # What a write answers with: the object read back through the scope, in this serializer
    # (the viewset's `serializer_class` unless a richer one is named).
    response_serializer_class: type | None = None

    def base_queryset(self) -> QuerySet:
        raise NotImplementedError

    def respond(self, obj: Any, code: int = 200) -> Response:
        fresh = self.get_queryset().get(pk=obj.pk)
        serializer_class = self.response_serializer_class or self.serializer_class
        return Response(serializer_class(fresh, context=self.get_serializer_context()).data, status=code)

    def get_queryset(self) -> QuerySet:
        return scope.restrict(self.base_queryset(), self.request.user)
