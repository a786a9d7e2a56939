from django.apps import AppConfig


class IocsConfig(AppConfig):
    name = "iocs"
    verbose_name = "Indicators of compromise"
