"""The public MISP mirror, mounted at ``misp/``: the URL to give MISP is ``<site>/misp``.

MISP appends ``/manifest.json``, ``/<event uuid>.json`` and ``/hashes.csv`` to it.
"""

from django.urls import path

from .views import EventView, HashesView, ManifestView

urlpatterns = [
    path("manifest.json", ManifestView.as_view(), name="misp-public-manifest"),
    path("hashes.csv", HashesView.as_view(), name="misp-public-hashes"),
    path("<str:event_id>.json", EventView.as_view(), name="misp-public-event"),
]
