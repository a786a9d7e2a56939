from django.apps import AppConfig


class ApikeysConfig(AppConfig):
    name = "apikeys"
    verbose_name = "Tiers and credentials"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (creates a Profile for every new user)
