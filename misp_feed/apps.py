from django.apps import AppConfig


class MispFeedConfig(AppConfig):
    name = "misp_feed"
    verbose_name = "MISP feeds"
