"""The analysts' pages, included at the site root by threatcluster/urls.py."""

from django.urls import path

from . import views

app_name = "iocs-pages"

urlpatterns = [
    path("iocs", views.landing, name="landing"),
    path("iocs/lookup", views.lookup_page, name="lookup"),
]
