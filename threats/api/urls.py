"""Per-threat routes, mounted at ``api/threats/`` by threatcluster/urls.py."""

from django.urls import path

from . import views

app_name = "threats-api"

urlpatterns = [
    path("<str:public_id>/iocs", views.ThreatIOCListView.as_view(), name="iocs"),
    path("<str:public_id>/stix", views.ThreatSTIXView.as_view(), name="stix"),
    path("<str:public_id>/attack-navigator", views.ThreatNavigatorView.as_view(), name="attack-navigator"),
]
