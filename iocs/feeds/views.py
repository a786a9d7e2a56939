"""Feed endpoints: thin views that validate parameters, pick a dataset and hand it to the HTTP layer.

- ``api/iocs/public/feed.txt`` / ``.json`` / ``.csv``: anyone (json with CORS ``*``); confirmed high
  confidence domains and IPs seen in the last 30 days, TLP:CLEAR.
- ``api/iocs/feed``: feed token or session, Researcher+; every confirmed IOC of every type, 90 days
  by default, up to the caller's TLP; txt, csv, json, stix, hosts, rpz, suricata.
- ``api/iocs/export``: the same as a dated download; txt, csv, json.
- ``api/iocs/feed/removed.txt?since=``: the values to delete from a copy taken at ``since``.
- ``api/iocs/feed/status.json``: anyone; per feed, generated at, rows, stale.
- ``api/public/v1/iocs/feed`` and ``export``: as above with ``X-API-Key``, Business+, ``iocs:read``.
"""

from __future__ import annotations

from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from apikeys.api import TCAPIView
from apikeys.tiers import Tier
from apikeys.tlp import TLP
from iocs.stats import PendingCountHeaderMixin

from . import params as feed_params
from .http import FeedResponseSpec, feed_response
from .params import parse_params
from .pipeline import meta_factory, public_url, rows_for, site_base
from .query import Dataset
from .renderers import EXPORT_RENDERERS, FEED_RENDERERS, CsvRenderer, JsonRenderer, RemovedTxtRenderer, TxtRenderer
from .schema import feed_schema, status_schema
from .specs import FEED_SPEC, PUBLIC_SPEC, REMOVED_SPEC, export_spec, variant
from .status import feed_status


class FeedView(PendingCountHeaderMixin, TCAPIView):
    """The token feed; the other feeds change the profile, the audience or the response spec."""

    profile = feed_params.FEED
    renderer_classes = FEED_RENDERERS
    required_tier = Tier.RESEARCHER
    rate_group = "feeds"
    public_audience = False  # True: the data is the TLP:CLEAR public set, whoever asks
    since_ok = True
    removals_only = False
    spec = FEED_SPEC

    def audience(self) -> tuple[Tier, TLP]:
        return (Tier.PUBLIC, TLP.CLEAR) if self.public_audience else (self.tier, self.clearance)

    def response_spec(self, renderer) -> FeedResponseSpec:
        return self.spec

    @feed_schema("IOC feed", "Every confirmed IOC up to the caller's TLP; txt, csv, json, stix, hosts, rpz, suricata.")
    def get(self, request, format=None):
        return self.feed(request)

    def feed(self, request):
        renderer = request.accepted_renderer
        tier, clearance = self.audience()
        query = request.query_params
        if not self.since_ok and "since" in query:
            raise ValidationError({"since": ["not available on this blocklist (it cannot say 'remove'); "
                                             "use feed.json or feed.csv with since, or fetch the full list."]})
        params = parse_params(query, self.profile, tier=tier, fmt=renderer.format, format_types=renderer.types,
                              defang_ok=renderer.defang_ok)
        dataset = Dataset(params, clearance=clearance, tier=tier, hostnames_only=renderer.hostnames_only)
        base = site_base(request)
        url = public_url(base, request.path, query)
        meta_for = meta_factory(dataset, title=self.profile.title, url=url, base=base)
        return feed_response(request, dataset=dataset, renderer=renderer, spec=self.response_spec(renderer),
                             meta_for=meta_for, rows=rows_for(dataset, renderer, removals_only=self.removals_only),
                             variant=variant(params.defang))


class ExportView(FeedView):
    profile = feed_params.EXPORT
    renderer_classes = EXPORT_RENDERERS
    rate_group = "exports"

    @feed_schema("IOC export", "The feed's data as a dated file download; txt, csv, json.")
    def get(self, request, format=None):
        return self.feed(request)

    def response_spec(self, renderer) -> FeedResponseSpec:
        return export_spec(renderer.extension)


class RemovedView(FeedView):
    profile = feed_params.REMOVED
    renderer_classes = (RemovedTxtRenderer,)
    removals_only = True
    spec = REMOVED_SPEC

    @feed_schema("Removed IOCs", "Values to delete from a copy taken at `since`.", required_since=True)
    def get(self, request, format=None):
        return self.feed(request)


class PublicFeedView(FeedView):
    profile = feed_params.PUBLIC
    required_tier = Tier.PUBLIC
    public_audience = True
    spec = PUBLIC_SPEC

    @feed_schema("Public blocklist", "Confirmed high-confidence domains and IPs of the last 30 days, TLP:CLEAR.")
    def get(self, request, format=None):
        return self.feed(request)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"  # errors too, so a browser client can read why
        return response


class PublicTxtView(PublicFeedView):
    renderer_classes = (TxtRenderer,)
    since_ok = False


class PublicJsonView(PublicFeedView):
    renderer_classes = (JsonRenderer,)


class PublicCsvView(PublicFeedView):
    renderer_classes = (CsvRenderer,)


class V1FeedView(FeedView):
    api_key_only = True
    required_tier = Tier.BUSINESS
    required_scope = "iocs:read"


class V1ExportView(ExportView):
    api_key_only = True
    required_tier = Tier.BUSINESS
    required_scope = "iocs:read"


class FeedStatusView(PendingCountHeaderMixin, TCAPIView):
    """Per feed: when it was generated, how many rows, whether it is stale ("empty" is not "broken")."""

    renderer_classes = (JSONRenderer,)
    rate_group = "default"

    @status_schema
    def get(self, request, format=None):
        response = Response(feed_status(site_base(request), tier=self.tier, clearance=self.clearance))
        response["Cache-Control"] = "no-cache"
        return response
