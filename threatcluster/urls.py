"""Root URL configuration: each app mounts its own routes."""

from django.contrib import admin
from django.urls import path

from . import views

admin.site.site_header = "ThreatCluster administration"
admin.site.site_title = "ThreatCluster"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]

handler400 = "threatcluster.views.bad_request"
handler404 = "threatcluster.views.not_found"
handler500 = "threatcluster.views.server_error"
