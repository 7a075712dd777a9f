from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "dangjian.demo"
    label = "demo"
    verbose_name = "演示数据"
    default_auto_field = "django.db.models.BigAutoField"
