"""django.contrib.admin, installed with the platform's admin site (see admin_site.py)."""

from django.contrib.admin.apps import AdminConfig


class PlatformAdminConfig(AdminConfig):
    default_site = "dangjian.core.admin_site.PlatformAdminSite"
