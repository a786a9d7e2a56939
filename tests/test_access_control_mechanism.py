"""The access layer itself, on views built only for this test: tiers, scopes, 401 vs 403, JSON errors."""

import base64

import pytest
from django.test import override_settings
from django.urls import path
from rest_framework.response import Response

from apikeys.api import TCAPIView
from apikeys.tiers import Tier
from tests.access import assert_matrix, make_callers


class PublicView(TCAPIView):
    def get(self, request):
        return Response({"clearance": int(self.clearance), "tier": int(self.tier)})


class ResearcherView(PublicView):
    required_tier = Tier.RESEARCHER


class V1View(PublicView):
    api_key_only = True
    required_tier = Tier.BUSINESS
    required_scope = "iocs:read"


urlpatterns = [
    path("t/public", PublicView.as_view()),
    path("t/researcher", ResearcherView.as_view()),
    path("t/v1", V1View.as_view()),
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture
def callers(db):
    return make_callers()


def test_public_view(client, callers):
    ok = ("anonymous", "researcher_token", "researcher_session", "business_key", "business_key_noscope", "staff")
    expected = dict.fromkeys(ok, 200)
    expected.update({"revoked_key": 401, "expired_key": 401, "wrong_key": 401})
    assert_matrix(client, callers, "/t/public", expected)


def test_researcher_view(client, callers):
    assert_matrix(client, callers, "/t/researcher", {
        "anonymous": 401, "researcher_token": 200, "researcher_session": 200, "business_key": 200,
        "business_key_noscope": 200, "revoked_key": 401, "expired_key": 401, "wrong_key": 401, "staff": 200,
    })


def test_v1_view(client, callers):
    assert_matrix(client, callers, "/t/v1", {
        "anonymous": 401, "researcher_token": 401, "researcher_session": 401, "business_key": 200,
        "business_key_noscope": 403, "revoked_key": 401, "expired_key": 401, "wrong_key": 401, "staff": 401,
    })


def test_errors_say_why(client, callers):
    body = callers["revoked_key"].get(client, "/t/public").json()
    assert body == {"error": "authentication_failed", "detail": "API key revoked."}
    body = callers["expired_key"].get(client, "/t/public").json()
    assert body["detail"] == "API key expired."
    body = callers["business_key_noscope"].get(client, "/t/v1").json()
    assert body["error"] == "permission_denied" and "iocs:read" in body["detail"]
    response = callers["anonymous"].get(client, "/t/researcher")
    assert response.status_code == 401 and "Researcher" in response.json()["detail"]


def test_clearance_by_caller(client, callers):
    assert callers["anonymous"].get(client, "/t/public").json()["clearance"] == 0
    assert callers["researcher_token"].get(client, "/t/public").json()["clearance"] == 1
    assert callers["business_key"].get(client, "/t/public").json()["clearance"] == 2
    assert callers["staff"].get(client, "/t/public").json()["clearance"] == 4


def test_token_in_authorization_header_and_basic(client, callers):
    token = callers["researcher_token"].query["token"]
    assert client.get("/t/researcher", headers={"Authorization": f"Token {token}"}).status_code == 200

    basic = base64.b64encode(f"misp:{token}".encode()).decode()
    assert client.get("/t/researcher", headers={"Authorization": f"Basic {basic}"}).status_code == 200
    assert client.get("/t/researcher", headers={"Authorization": "Token tcf_wrong"}).status_code == 401


def test_unknown_format_is_a_400(client, callers):
    response = client.get("/t/public", {"format": "xml"})
    assert response.status_code == 400
    assert response.json()["errors"]["format"]


@override_settings(RATE_LIMITS={"default": {"public": "3/h", "researcher": "5/h", "business": "5/h",
                                            "enterprise": "5/h"}})  # hourly: no window rollover mid-test
def test_rate_limit_headers_and_429(client, callers):
    from django.core.cache import cache
    cache.clear()
    statuses = []
    for _ in range(4):
        response = client.get("/t/public", REMOTE_ADDR="203.0.113.9")
        statuses.append(response.status_code)
        assert response["X-RateLimit-Limit"] == "3"
        assert int(response["X-RateLimit-Reset"]) > 0
    assert statuses == [200, 200, 200, 429]
    assert response["X-RateLimit-Remaining"] == "0"
    assert int(response["Retry-After"]) >= 1
    assert response.json()["error"] == "throttled"
    # another client IP has its own bucket
    assert client.get("/t/public", REMOTE_ADDR="203.0.113.10").status_code == 200
