from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "社区党建工作平台 · 管理后台"
admin.site.site_title = "社区党建工作平台"
admin.site.index_title = "数据管理"

urlpatterns = [
    path("", include("dangjian.core.urls")),
    path("", include("dangjian.api.urls")),
    path("admin/", admin.site.urls),
]

handler403 = "dangjian.core.errors.permission_denied"
handler404 = "dangjian.core.errors.page_not_found"
