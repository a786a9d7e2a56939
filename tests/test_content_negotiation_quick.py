"""QuickNegotiation answers exactly what DRF's negotiation answers, for every Accept and format."""

import itertools

import pytest
from django.http import Http404
from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from apikeys.negotiation import QuickNegotiation
from iocs.feeds.renderers import CsvRenderer, TxtRenderer
from threats.api.views import CSVRenderer, TextRenderer

RENDERER_SETS = [[JSONRenderer()], [TxtRenderer(), CsvRenderer(), JSONRenderer()],
                 [TextRenderer(), CSVRenderer(), JSONRenderer()]]
ACCEPTS = [None, "*/*", "application/json", "text/csv", "text/plain", "text/*", "application/xml",
           "text/csv;q=0.5, application/json", "*/*;q=0.8, text/plain", ""]
QUERIES = ["", "format=json", "format=csv", "format=txt", "format=xml", "other=1"]


def answer(negotiation, request, renderers, suffix):
    try:
        renderer, media_type = negotiation.select_renderer(request, renderers, suffix)
    except (exceptions.APIException, Http404) as exc:  # an unknown format is DRF's 404 (TCAPIView: a 400)
        return type(exc).__name__
    return type(renderer).__name__, media_type


@pytest.mark.parametrize(("renderers", "accept", "query", "suffix"),
                         list(itertools.product(RENDERER_SETS, ACCEPTS, QUERIES, [None, "csv"])))
def test_the_quick_answer_is_drfs(renderers, accept, query, suffix):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(APIRequestFactory().get(f"/api/x?{query}", **headers))
    assert answer(QuickNegotiation(), request, renderers, suffix) == \
        answer(DefaultContentNegotiation(), request, renderers, suffix)


@pytest.mark.django_db
def test_it_is_the_apis_negotiation(client):
    from rest_framework.settings import api_settings

    assert api_settings.DEFAULT_CONTENT_NEGOTIATION_CLASS is QuickNegotiation
    response = client.get("/api/iocs/lookup", {"value": "198.51.100.7"})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert client.get("/api/iocs/lookup", {"value": "198.51.100.7", "format": "xml"}).status_code == 400
