"""The threat pages, included at the site root by threatcluster/urls.py."""

from django.urls import path

from . import views

app_name = "threats-pages"

urlpatterns = [
    path("threats/", views.threat_list, name="list"),
    path("threats/<str:public_id>", views.threat_detail, name="detail"),
]
