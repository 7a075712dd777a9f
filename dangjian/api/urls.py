"""The REST API at /api/v1/, its OpenAPI description and its browsable reference."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import APIRootView, DefaultRouter

from dangjian.core import api as core_api
from dangjian.core.access import scope_exempt
from dangjian.members import api as members_api
from dangjian.members import care_api, dues_api, transfer_api
from dangjian.orglife import api as orglife_api
from dangjian.oversight import api as oversight_api
from dangjian.research import api as research_api


@scope_exempt("接口目录，只列出接口地址")
class ApiRoot(APIRootView):
    """社区党建工作平台 REST 接口目录。"""


class Router(DefaultRouter):
    APIRootView = ApiRoot
    include_format_suffixes = False


router = Router()
router.register("org-units", core_api.OrgUnitViewSet, basename="org-unit")
router.register("committees", core_api.CommitteeViewSet, basename="committee")
router.register("committee-seats", core_api.CommitteeSeatViewSet, basename="committee-seat")
router.register("members", members_api.MemberViewSet, basename="member")
router.register("development", members_api.DevelopmentViewSet, basename="development")
for module in (transfer_api, dues_api, care_api, orglife_api, oversight_api, research_api):
    module.register(router)

schema_view = scope_exempt("接口描述文件，不含数据")(SpectacularAPIView.as_view())
docs_view = scope_exempt("接口参考页面，不含数据")(SpectacularSwaggerSplitView.as_view(url_name="api-schema"))

urlpatterns = [
    path("api/v1/", include(router.urls)),
    path("api/v1/me/", core_api.MeView.as_view(), name="api-me"),
    path("api/v1/auth/token/", core_api.token_view, name="api-token"),
    path("api/schema/", schema_view, name="api-schema"),
    path("api/docs/", docs_view, name="api-docs"),
]
