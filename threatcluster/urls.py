"""Root URL configuration: each app mounts its own routes.

| prefix | routes |
|---|---|
| ``api/iocs/`` | bulk feeds and exports (``iocs.feeds.urls``), reverse lookup (``iocs.lookup.urls``) |
| ``api/threats/`` | one incident in every format (``threats.api.urls``) |
| ``api/public/v1/`` | the API-key twins of the above (``*.urls_v1``) |
| ``misp/``, ``api/misp/`` | the public MISP mirror and the token MISP feed |
| ``taxii2/`` | the read-only TAXII 2.1 server (``threats.taxii.urls``) |
| ``iocs``, ``threats/``, ``account/``, ``login`` | the server-rendered pages (``*.pages``) |
"""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apikeys.sign_in_limits import limit_sign_in

from . import views

admin.site.site_header = "ThreatCluster administration"
admin.site.site_title = "ThreatCluster"
admin.site.login = limit_sign_in(admin.site.login)  # password guessing: as /login (apikeys.sign_in_limits)

urlpatterns = [
    # The reverse lookup is the hottest route (SIEM enrichment): matched first, before the ~40
    # patterns above it would otherwise be tried (5% of a lookup worker's time under load, py-spy).
    path("api/iocs/", include("iocs.lookup.urls")),
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("livez", views.livez, name="livez"),
    path("", include("iocs.pages.urls")),
    path("", include("threats.pages.urls")),
    path("", include("apikeys.pages_urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/iocs/", include("iocs.feeds.urls")),
    path("api/threats/", include("threats.api.urls")),
    path("api/public/v1/", include("iocs.feeds.urls_v1")),
    path("api/public/v1/", include("threats.api.urls_v1")),
    path("misp/", include("misp_feed.urls_public")),
    path("api/misp/", include("misp_feed.urls_token")),
    path("api/account/", include("apikeys.urls")),
    path("taxii2/", include("threats.taxii.urls")),
]

handler400 = "threatcluster.views.bad_request"
handler404 = "threatcluster.views.not_found"
handler500 = "threatcluster.views.server_error"
