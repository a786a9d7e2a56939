"""The "Add feed" instructions give MISP exactly what it needs: the URL without a trailing slash,
source format "MISP Feed", and for the token feed one header line whose value has no colon."""

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from apikeys.models import FeedToken
from misp_feed.setup import add_feed_forms, header_line
from tests.access import make_user

pytestmark = pytest.mark.django_db


def fields(form) -> dict:
    return {f.label: f.value for f in form.fields}


def test_public_and_token_forms(settings):
    settings.SITE_URL = "https://cti.example.org/"
    public, token = add_feed_forms()
    assert fields(public)["URL"] == "https://cti.example.org/misp"
    assert fields(token)["URL"] == "https://cti.example.org/api/misp"
    for form in (public, token):
        assert fields(form)["Source Format"] == "MISP Feed" and fields(form)["Input Source"] == "Network"
        assert not fields(form)["URL"].endswith("/")
    assert fields(public)["Any headers to be passed with requests"] == "leave empty"
    assert "https://cti.example.org/api/misp/days/90" in token.summary


def test_the_header_line_survives_misps_parsing(client):
    """MISP splits each header line at ':' and keeps the second piece only: the token must come through."""
    user = make_user("analyst", 10)
    _, token = FeedToken.issue(user)
    line = fields(add_feed_forms(token=token)[1])["Any headers to be passed with requests"]
    assert line == f"Authorization: Token {token}"
    name, value = (part.strip() for part in line.split(":")[:2])  # what Feed.php does
    assert value == f"Token {token}"
    response = client.get("/api/misp/manifest.json", headers={name: value})
    assert response.status_code == 200
    with pytest.raises(ValueError, match="':'"):
        header_line("tcf_with:colon")


def test_the_partial_renders_from_the_request(rf: RequestFactory, settings):
    settings.SITE_URL, settings.ALLOWED_HOSTS = "", ["intel.example.net"]
    request = rf.get("/iocs", HTTP_HOST="intel.example.net", secure=True)
    html = render_to_string("misp_feed/_add_feed.html", {"forms": add_feed_forms(request)})
    assert "<code>https://intel.example.net/misp</code>" in html
    assert "<code>Authorization: Token &lt;your feed token&gt;</code>" in html
    assert html.count("<code>MISP Feed</code>") == 2
