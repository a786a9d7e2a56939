"""TAXII 2.1 routes, mounted at ``taxii2/`` by threatcluster/urls.py; one API root, ``api/``."""

from django.urls import path

from . import views

app_name = "taxii"

COLLECTION = "api/collections/<str:collection_id>/"
urlpatterns = [
    path("", views.DiscoveryView.as_view(), name="discovery"),
    path("api/", views.ApiRootView.as_view(), name="api-root"),
    path("api/collections/", views.CollectionsView.as_view(), name="collections"),
    path(COLLECTION, views.CollectionView.as_view(), name="collection"),
    path(f"{COLLECTION}objects/", views.ObjectsView.as_view(), name="objects"),
    path(f"{COLLECTION}objects/<str:object_id>/", views.ObjectView.as_view(), name="object"),
    path(f"{COLLECTION}objects/<str:object_id>/versions/", views.VersionsView.as_view(), name="versions"),
    path(f"{COLLECTION}manifest/", views.ManifestView.as_view(), name="manifest"),
]
