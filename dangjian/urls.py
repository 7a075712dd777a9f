from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("dangjian.core.urls")),
    path("members/", include("dangjian.members.urls")),
    path("life/", include("dangjian.orglife.urls")),
    path("oversight/", include("dangjian.oversight.urls")),
    path("research/", include("dangjian.research.urls")),
    path("", include("dangjian.api.urls")),
    path("admin/", admin.site.urls),
]

handler403 = "dangjian.core.errors.permission_denied"
handler404 = "dangjian.core.errors.page_not_found"
