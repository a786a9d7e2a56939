"""MISP feed views: thin, they pick a :class:`~misp_feed.feed.FeedScope` and serve a built file.

Public mirror (``/misp/``): anyone, the latest 10 TLP:CLEAR events. Token feed (``/api/misp/``):
Researcher+ with a feed token (``?token=``, ``Authorization: Token …``, Basic) or an API key with
the ``misp:read`` scope; the latest 50 events at the caller's clearance, or a backfill window.
Every file answers conditional GETs (``If-None-Match``, ``If-Modified-Since`` → 304).
"""

from __future__ import annotations

from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer

from apikeys.api import TCAPIView
from apikeys.tiers import Tier

from . import feed, params
from .artifacts import Artifact, cache_seconds


class FileNegotiation(BaseContentNegotiation):
    """Feed files have one representation whatever ``Accept`` says (MISP sends several kinds)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class MispFileView(TCAPIView):
    rate_group = "misp"
    renderer_classes = [JSONRenderer]  # errors only; files are served as they were built
    content_negotiation_class = FileNegotiation
    cache_scope = "public"

    def scope(self) -> feed.FeedScope:
        return feed.public_scope()

    def serve(self, artifact: Artifact | feed.Stream | None) -> HttpResponseBase:
        if artifact is None:
            raise NotFound("No such event in this feed.")
        if isinstance(artifact, feed.Stream):
            response = StreamingHttpResponse(artifact.chunks, content_type=artifact.content_type)
        else:
            response = HttpResponse(artifact.body, content_type=artifact.content_type)
        response["ETag"] = artifact.etag
        response["Last-Modified"] = http_date(artifact.last_modified)
        response["Cache-Control"] = f"{self.cache_scope}, max-age={cache_seconds()}"
        return get_conditional_response(self.request, etag=artifact.etag, last_modified=artifact.last_modified,
                                        response=response)


class ManifestView(MispFileView):
    @extend_schema(summary="MISP feed manifest.json", responses={200: OpenApiTypes.OBJECT, 304: None})
    def get(self, request, **kwargs):
        return self.serve(feed.manifest(self.scope()))


class EventView(MispFileView):
    @extend_schema(summary="One MISP event (PyMISP feed format)", responses={200: OpenApiTypes.OBJECT, 304: None,
                                                                              404: OpenApiTypes.OBJECT})
    def get(self, request, event_id: str, **kwargs):
        return self.serve(feed.event(self.scope(), event_id))


class HashesView(MispFileView):
    @extend_schema(summary="MISP feed hashes.csv (md5 of each value, event uuid)",
                   responses={(200, "text/csv"): OpenApiTypes.STR, 304: None})
    def get(self, request, **kwargs):
        return self.serve(feed.hashes(self.scope()))


class TokenFeedMixin:
    """The authenticated feed: Researcher+, API keys need ``misp:read``, TLP by clearance."""

    required_tier = Tier.RESEARCHER
    required_scope = "misp:read"
    cache_scope = "private"

    def scope(self) -> feed.FeedScope:
        win = params.window(self.request.query_params, self.kwargs, self.tier)
        return feed.token_scope(self.clearance, win.since, win.key, win.horizon)


class TokenManifestView(TokenFeedMixin, ManifestView):
    pass


class TokenEventView(TokenFeedMixin, EventView):
    pass


class TokenHashesView(TokenFeedMixin, HashesView):
    pass
