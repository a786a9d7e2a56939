"""The access matrix for every feed route, and X-IOC-Pending-Count on every response."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.access import CALLERS, assert_matrix, make_callers
from tests.feeds_helpers import make_ioc

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("feeds_env")]

BAD_CREDENTIALS = {"revoked_key": 401, "expired_key": 401, "wrong_key": 401}
ANYONE = {**dict.fromkeys(CALLERS, 200), **BAD_CREDENTIALS}
RESEARCHER = {**dict.fromkeys(CALLERS, 200), "anonymous": 401, **BAD_CREDENTIALS}
V1 = {**dict.fromkeys(CALLERS, 401), "business_key": 200, "business_key_noscope": 403}


def since() -> str:
    return (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


ROUTES = [
    ("/api/iocs/public/feed.txt", ANYONE),
    ("/api/iocs/public/feed.json", ANYONE),
    ("/api/iocs/public/feed.csv", ANYONE),
    ("/api/iocs/feed/status.json", ANYONE),
    ("/api/iocs/feed", RESEARCHER),
    ("/api/iocs/feed?format=json", RESEARCHER),
    ("/api/iocs/export?format=csv", RESEARCHER),
    ("/api/iocs/feed/removed.txt?since={since}", RESEARCHER),
    ("/api/public/v1/iocs/feed", V1),
    ("/api/public/v1/iocs/feed?format=rpz", V1),
    ("/api/public/v1/iocs/export?format=json", V1),
]


@pytest.mark.parametrize(("url", "expected"), ROUTES)
def test_matrix(client, url, expected):
    make_ioc("matrix.example.com")
    callers = make_callers()
    url = url.format(since=since())
    assert_matrix(client, callers, url, expected)
    for name in CALLERS:
        response = callers[name].get(client, url)
        assert response.has_header("X-IOC-Pending-Count"), (url, name, response.status_code)


def test_v1_routes_only_answer_api_keys(client):
    callers = make_callers()
    response = callers["researcher_token"].get(client, "/api/public/v1/iocs/feed")
    assert response.status_code == 401 and "X-API-Key" in response.json()["detail"]
