"""API-key twins of the per-threat routes, mounted at ``api/public/v1/`` by threatcluster/urls.py."""

from django.urls import path

from . import views

app_name = "threats-api-v1"

urlpatterns = [
    path("threats/<str:public_id>/iocs", views.V1ThreatIOCListView.as_view(), name="iocs"),
    path("threats/<str:public_id>/stix", views.V1ThreatSTIXView.as_view(), name="stix"),
]
