from django.apps import AppConfig


class ApikeysConfig(AppConfig):
    name = "apikeys"
    verbose_name = "Tiers and credentials"

    def ready(self) -> None:
        from . import schema, signals  # noqa: F401  (OpenAPI auth schemes; a Profile for every new user)
