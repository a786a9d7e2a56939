"""Routes mounted by threatcluster/urls.py under ``api/iocs/``: ``lookup`` (GET one, POST a batch)."""

from django.urls import path

from .views import LookupView

urlpatterns = [
    path("lookup", LookupView.as_view(), name="ioc-lookup"),
]
