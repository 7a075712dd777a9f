from django.apps import AppConfig


class ResearchConfig(AppConfig):
    name = "dangjian.research"
    label = "research"
    verbose_name = "调研"
    default_auto_field = "django.db.models.BigAutoField"
