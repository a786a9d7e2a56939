"""The token MISP feed, mounted at ``api/misp/``: the URL to give MISP is ``<site>/api/misp``.

The same three files under a backfill prefix (``days/<N>/``, ``since/<YYYY-MM-DD>/``) make a
backfill feed MISP itself can poll, since it cannot keep a query string (it appends the file name).
"""

from django.urls import include, path

from .views import TokenEventView, TokenHashesView, TokenManifestView

files = [
    path("manifest.json", TokenManifestView.as_view()),
    path("hashes.csv", TokenHashesView.as_view()),
    path("<str:event_id>.json", TokenEventView.as_view()),
]

urlpatterns = [
    path("manifest.json", TokenManifestView.as_view(), name="misp-token-manifest"),
    path("hashes.csv", TokenHashesView.as_view(), name="misp-token-hashes"),
    path("<str:event_id>.json", TokenEventView.as_view(), name="misp-token-event"),
    path("days/<str:days>/", include(files)),
    path("since/<str:since>/", include(files)),
]
