from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "dangjian.core"
    label = "core"
    verbose_name = "组织与权限"
    default_auto_field = "django.db.models.BigAutoField"
