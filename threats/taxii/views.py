"""TAXII 2.1 endpoints (read-only): thin views over :mod:`.collections`, :mod:`.indicators` and
:mod:`.threat_graphs`.

Authentication, tiers, rate limits and TLP clearance come from :class:`apikeys.api.TCAPIView`: a feed
token as the password of HTTP Basic (or ``Authorization: Token``), an API key in ``X-API-Key`` (its
scopes pick the readable collections), or a staff session. Discovery answers anyone and says what
the caller can reach; everything under the API root needs the Researcher tier. Every response, errors
included, is ``application/taxii+json;version=2.1``; an ``Accept`` without it is a 406.
"""

from __future__ import annotations

import json

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import BaseRenderer

from apikeys.api import TCAPIView
from apikeys.authentication import APIKeyAuthentication, BasicFeedTokenAuthentication, QuietSessionAuthentication
from apikeys.tiers import Tier

from .collections import Collection, find_collection, visible_collections
from .indicators import indicator_page
from .pages import Page
from .params import STIX_ID, ObjectQuery, encode_next, parse_query, version_of
from .protocol import (
    STIX_MEDIA_TYPE,
    TAXII_MEDIA_TYPE,
    TaxiiError,
    accepts_taxii,
    error_response,
    taxii_response,
    taxii_time,
)
from .threat_graphs import threat_page

MAX_CONTENT_LENGTH = 10 * 1024 * 1024
TITLES = {400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
          406: "Not acceptable", 429: "Too many requests"}


class TaxiiRenderer(BaseRenderer):
    media_type, format, charset = TAXII_MEDIA_TYPE, "taxii", None

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return json.dumps(data).encode("utf-8")


class TaxiiNegotiation(BaseContentNegotiation):
    """One representation; an ``Accept`` that excludes it is a 406 (before authentication, like medallion)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        if not accepts_taxii(request.META.get("HTTP_ACCEPT", "")):
            raise exceptions.NotAcceptable(f"This server answers {TAXII_MEDIA_TYPE} only; send it in Accept.")
        return renderers[0], renderers[0].media_type


ERRORS = {code: OpenApiResponse(OpenApiTypes.OBJECT, description=text) for code, text in (
    (400, "A malformed parameter (added_after, limit, next, match[…]): TAXII error message."),
    (401, "No or invalid credentials (HTTP Basic with the feed token as password, or X-API-Key)."),
    (403, "Tier, API-key scope or TLP clearance too low for this collection."),
    (404, "No such collection or object."),
    (406, f"Accept does not allow {TAXII_MEDIA_TYPE}."),
)}
ROOT_ERRORS = {code: ERRORS[code] for code in (401, 403, 406)}
TAXII_RESPONSE = {(200, TAXII_MEDIA_TYPE): OpenApiTypes.OBJECT}
COLLECTION_PARAM = OpenApiParameter("collection_id", str, OpenApiParameter.PATH,
                                    description="A collection id (or its alias: indicators, threats, tlp-clear…).")
OBJECT_PARAM = OpenApiParameter("object_id", str, OpenApiParameter.PATH, description="A STIX id.")
QUERY_PARAMS = [
    OpenApiParameter("added_after", OpenApiTypes.DATETIME,
                     description="Only objects added after this time (exclusive): send X-TAXII-Date-Added-Last."),
    OpenApiParameter("limit", int, description="Objects per page (default 1000, at most 5000)."),
    OpenApiParameter("next", str, description="The `next` of the previous page, with the same filters."),
    OpenApiParameter("match[id]", str, description="STIX ids, comma-separated."),
    OpenApiParameter("match[type]", str, description="STIX types, comma-separated."),
    OpenApiParameter("match[version]", str, description="last (default), first, all or STIX timestamps."),
    OpenApiParameter("match[spec_version]", str, description="2.1 (every object here is STIX 2.1)."),
]


class TaxiiView(TCAPIView):
    required_tier = Tier.RESEARCHER
    rate_group = "misp"  # the pollers' budget (MISP and TAXII)
    authentication_classes = [BasicFeedTokenAuthentication, APIKeyAuthentication, QuietSessionAuthentication]
    renderer_classes = [TaxiiRenderer]
    content_negotiation_class = TaxiiNegotiation

    def handle_exception(self, exc):
        """Every error as a TAXII error message, with DRF's status and challenge headers."""
        if isinstance(exc, TaxiiError):
            return error_response(exc.status, exc.title, exc.description, exc.headers)
        response = super().handle_exception(exc)
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else str(response.data)
        headers = {h: response[h] for h in ("WWW-Authenticate", "Retry-After") if response.has_header(h)}
        return error_response(response.status_code, TITLES.get(response.status_code, "Error"), str(detail), headers)

    def root_url(self) -> str:
        base = settings.SITE_URL or self.request.build_absolute_uri("/").rstrip("/")
        return f"{base}/taxii2/api/"

    def collection(self, collection_id: str) -> Collection:
        """The collection if the caller may read it: 404 unknown, 403 scope or TLP too low."""
        collection = find_collection(collection_id)
        if collection is None:
            raise TaxiiError(404, "Unknown collection", f"No collection {collection_id[:80]!r} in this API root.")
        if not collection.visible_at(self.clearance):
            raise TaxiiError(403, "Above your clearance",
                             f"{collection.title} needs TLP clearance {collection.tlp.label}; "
                             f"yours is {self.clearance.label}.")
        if not self.can_read(collection):
            raise TaxiiError(403, "Missing scope", f"This API key lacks the scope {collection.scope}.")
        return collection

    def can_read(self, collection: Collection) -> bool:
        return self.api_key is None or collection.scope in self.api_key.scopes

    def describe(self, collection: Collection) -> dict:
        return {"id": collection.id, "title": collection.title, "description": collection.description,
                "alias": collection.alias, "can_read": self.can_read(collection), "can_write": False,
                "media_types": [STIX_MEDIA_TYPE]}

    def page(self, collection: Collection, query: ObjectQuery) -> Page:
        if collection.kind == "threats":
            return threat_page(self.clearance, query, self.root_url().removesuffix("/taxii2/api/"))
        return indicator_page(collection, self.clearance, query)

    @staticmethod
    def added_headers(page: Page) -> dict[str, str]:
        if not page.entries:
            return {}
        return {"X-TAXII-Date-Added-First": taxii_time(page.entries[0].date_added),
                "X-TAXII-Date-Added-Last": taxii_time(page.entries[-1].date_added)}

    @staticmethod
    def forbid_write(what: str):
        raise TaxiiError(403, "Read-only collection", f"This server is read-only: {what} is not allowed "
                                                       "(can_write is false for every collection).")


class DiscoveryView(TaxiiView):
    """``GET /taxii2/``: the server, and the API root if the caller may use it."""

    required_tier = Tier.PUBLIC

    @extend_schema(summary="TAXII 2.1 discovery", tags=["taxii"], operation_id="taxii_discovery",
                   auth=[{"feedTokenBasic": []}, {"apiKey": []}, {"cookieAuth": []}, {}],
                   responses={**TAXII_RESPONSE, 401: ERRORS[401], 406: ERRORS[406]})
    def get(self, request):
        readable = self.tier >= Tier.RESEARCHER
        names = ", ".join(c.alias for c in visible_collections(self.clearance) if self.can_read(c))
        if readable:
            reach = (f"You are {self.tier.label} with TLP clearance {self.clearance.label}; "
                     f"readable collections: {names or 'none'}.")
        else:
            reach = ("Authenticate to reach the API root (Researcher tier and above): HTTP Basic with any user "
                     "name and your feed token as password, or an API key in X-API-Key.")
        body = {"title": f"{settings.ORG_NAME} TAXII 2.1",
                "description": f"Confirmed IOCs and incident reports as STIX 2.1. {reach}",
                "api_roots": [self.root_url()] if readable else []}
        if readable:
            body["default"] = self.root_url()
        return taxii_response(body)


class ApiRootView(TaxiiView):
    @extend_schema(summary="TAXII 2.1 API root", tags=["taxii"], operation_id="taxii_api_root",
                   responses={**TAXII_RESPONSE, **ROOT_ERRORS})
    def get(self, request):
        return taxii_response({"title": f"{settings.ORG_NAME} feeds",
                               "description": "Read-only collections of STIX 2.1 objects.",
                               "versions": [TAXII_MEDIA_TYPE], "max_content_length": MAX_CONTENT_LENGTH})


class CollectionsView(TaxiiView):
    @extend_schema(summary="TAXII 2.1 collections", tags=["taxii"], operation_id="taxii_collections",
                   responses={**TAXII_RESPONSE, **ROOT_ERRORS})
    def get(self, request):
        return taxii_response({"collections": [self.describe(c) for c in visible_collections(self.clearance)]})


class CollectionView(TaxiiView):
    @extend_schema(summary="One TAXII collection", tags=["taxii"], operation_id="taxii_collection",
                   parameters=[COLLECTION_PARAM], responses={**TAXII_RESPONSE, **ERRORS})
    def get(self, request, collection_id: str):
        return taxii_response(self.describe(self.collection(collection_id)))


class _EnvelopeView(TaxiiView):
    def envelope(self, request, collection_id: str, object_id: str | None = None):
        collection = self.collection(collection_id)
        if object_id is not None and not STIX_ID.fullmatch(object_id):
            raise TaxiiError(404, "Unknown object", f"{object_id[:80]!r} is not a STIX id.")
        query = parse_query(request.query_params, collection.id, object_id)
        page = self.page(collection, query)
        if object_id is not None and not page.entries and query.after is None:
            raise TaxiiError(404, "Unknown object", f"No object {object_id} in this collection for you.")
        body: dict = {"more": page.more}
        if page.more:
            body["next"] = encode_next(page.resume, query.fingerprint)
        body["objects"] = [entry.obj for entry in page.entries]
        return taxii_response(body, headers=self.added_headers(page))


class ObjectsView(_EnvelopeView):
    @extend_schema(summary="Objects of a TAXII collection (envelope)", tags=["taxii"], operation_id="taxii_objects",
                   parameters=[COLLECTION_PARAM, *QUERY_PARAMS], responses={**TAXII_RESPONSE, **ERRORS})
    def get(self, request, collection_id: str):
        return self.envelope(request, collection_id)

    @extend_schema(summary="Add objects: refused, every collection is read-only", tags=["taxii"],
                   operation_id="taxii_add_objects", parameters=[COLLECTION_PARAM], request=None,
                   responses={403: ERRORS[403], 404: ERRORS[404]})
    def post(self, request, collection_id: str):
        self.collection(collection_id)
        self.forbid_write("adding objects")


class ObjectView(_EnvelopeView):
    @extend_schema(summary="One object of a TAXII collection (envelope)", tags=["taxii"], operation_id="taxii_object",
                   parameters=[COLLECTION_PARAM, OBJECT_PARAM, *QUERY_PARAMS[:3], *QUERY_PARAMS[5:]],
                   responses={**TAXII_RESPONSE, **ERRORS})
    def get(self, request, collection_id: str, object_id: str):
        return self.envelope(request, collection_id, object_id)

    @extend_schema(summary="Delete an object: refused, every collection is read-only", tags=["taxii"],
                   operation_id="taxii_delete_object", parameters=[COLLECTION_PARAM, OBJECT_PARAM],
                   responses={403: ERRORS[403], 404: ERRORS[404]})
    def delete(self, request, collection_id: str, object_id: str):
        self.collection(collection_id)
        self.forbid_write("deleting objects")


class VersionsView(TaxiiView):
    @extend_schema(summary="Versions of one object (one: the current)", tags=["taxii"], operation_id="taxii_versions",
                   parameters=[COLLECTION_PARAM, OBJECT_PARAM], responses={**TAXII_RESPONSE, **ERRORS})
    def get(self, request, collection_id: str, object_id: str):
        collection = self.collection(collection_id)
        if not STIX_ID.fullmatch(object_id):
            raise TaxiiError(404, "Unknown object", f"{object_id[:80]!r} is not a STIX id.")
        query = parse_query(request.query_params, collection.id, object_id)
        page = self.page(collection, query)
        if not page.entries and query.after is None:
            raise TaxiiError(404, "Unknown object", f"No object {object_id} in this collection for you.")
        return taxii_response({"more": False, "versions": [version_of(e.obj) for e in page.entries]},
                              headers=self.added_headers(page))


class ManifestView(TaxiiView):
    @extend_schema(summary="Manifest of a TAXII collection", tags=["taxii"], operation_id="taxii_manifest",
                   parameters=[COLLECTION_PARAM, *QUERY_PARAMS], responses={**TAXII_RESPONSE, **ERRORS})
    def get(self, request, collection_id: str):
        collection = self.collection(collection_id)
        query = parse_query(request.query_params, collection.id)
        page = self.page(collection, query)
        body: dict = {"more": page.more}
        if page.more:
            body["next"] = encode_next(page.resume, query.fingerprint)
        body["objects"] = [{"id": e.obj["id"], "date_added": taxii_time(e.date_added), "version": version_of(e.obj),
                            "media_type": STIX_MEDIA_TYPE} for e in page.entries]
        return taxii_response(body, headers=self.added_headers(page))
