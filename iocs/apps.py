from django.apps import AppConfig
from django.db.models.signals import post_migrate


class IocsConfig(AppConfig):
    name = "iocs"
    verbose_name = "Indicators of compromise"

    def ready(self) -> None:
        from .lookup.triggers import install_after_migrate

        # After every migrate: the lookup memo's notifications (iocs/lookup/triggers.py).
        post_migrate.connect(install_after_migrate, dispatch_uid="iocs.install_lookup_triggers")
