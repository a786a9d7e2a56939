from django.apps import AppConfig


class ThreatsConfig(AppConfig):
    name = "threats"
    verbose_name = "Threats, sources and articles"

    def ready(self) -> None:
        from . import withdrawals  # noqa: F401  (connects the withdrawal log to Threat deletes)
