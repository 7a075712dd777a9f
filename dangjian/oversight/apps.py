from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "dangjian.oversight"
    label = "oversight"
    verbose_name = "盲点与提醒"
    default_auto_field = "django.db.models.BigAutoField"
