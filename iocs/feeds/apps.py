from django.apps import AppConfig
from django.db.models.signals import post_migrate


class FeedsConfig(AppConfig):
    """The bulk feeds (``iocs.feeds``): an app of its own for its tables (removal log, stored CSV
    blocks) and their triggers."""

    name = "iocs.feeds"
    label = "feeds"
    verbose_name = "IOC feeds"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .segments.triggers import install_after_migrate as install_segment_triggers
        from .triggers import install_after_migrate

        # After every migrate, not only ours: on SQLite, altering the IOC table rebuilds it and drops
        # its triggers, so they are put back whichever app's migration touched it.
        post_migrate.connect(install_after_migrate, dispatch_uid="feeds.install_removal_triggers")
        # The stored CSV blocks' change log (iocs/feeds/segments/triggers.py), PostgreSQL only.
        post_migrate.connect(install_segment_triggers, dispatch_uid="feeds.install_segment_triggers")
