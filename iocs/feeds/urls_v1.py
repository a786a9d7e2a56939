"""The v1 API-key twins under ``api/public/v1/``: ``X-API-Key``, Business+, scope ``iocs:read``."""

from django.urls import path

from . import views

app_name = "feeds_v1"

urlpatterns = [
    path("iocs/feed", views.V1FeedView.as_view(), name="feed"),
    path("iocs/export", views.V1ExportView.as_view(), name="export"),
]
