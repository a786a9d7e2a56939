"""Feed routes under ``api/iocs/`` (see ``views`` for what each serves)."""

from django.urls import path

from . import views

app_name = "feeds"

urlpatterns = [
    path("public/feed.txt", views.PublicTxtView.as_view(), name="public-txt"),
    path("public/feed.json", views.PublicJsonView.as_view(), name="public-json"),
    path("public/feed.csv", views.PublicCsvView.as_view(), name="public-csv"),
    path("feed", views.FeedView.as_view(), name="feed"),
    path("feed/removed.txt", views.RemovedView.as_view(), name="removed"),
    path("feed/status.json", views.FeedStatusView.as_view(), name="status"),
    path("export", views.ExportView.as_view(), name="export"),
]
