"""Cache keys: generations and artifacts are keyed by parameters, clearance and tier, never by
credential; within the 15-minute period a poll costs no query on the IOC table."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apikeys.tiers import Tier
from apikeys.tlp import TLP
from iocs.feeds import params as fp
from iocs.feeds.query import Dataset
from tests.access import make_callers, make_user
from tests.feeds_helpers import lines, make_ioc

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("feeds_env")]


def key(query=None, clearance=TLP.GREEN, tier=Tier.RESEARCHER, profile=fp.FEED, **kwargs) -> str:
    return Dataset(fp.parse_params(query or {}, profile, tier=tier), clearance, tier, **kwargs).key


def test_keys_differ_by_tier_clearance_and_parameters():
    since = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%d")
    keys = [
        key(), key(clearance=TLP.AMBER, tier=Tier.BUSINESS), key(clearance=TLP.AMBER, tier=Tier.ENTERPRISE),
        key(clearance=TLP.CLEAR), key({"days": "30"}), key({"hours": "719"}), key({"types": "domain"}),
        key({"confidence": "high"}), key({"since": since}), key(hostnames_only=True), key(profile=fp.EXPORT),
    ]
    assert len(set(keys)) == len(keys)
    assert key() == key()  # the same request, the same key
    assert key({"days": "90"}) == key() and key({"confidence": "confirmed"}) == key()  # defaults spelt out
    assert key({"hours": "720"}) == key({"days": "30"})  # the same window, the same data


def test_key_is_not_the_credential(client):
    make_ioc("k.example.com")
    callers = make_callers()
    other = make_user("researcher2", Tier.RESEARCHER)
    client.force_login(other)
    mine = client.get("/api/iocs/feed")
    theirs = callers["researcher_token"].get(client, "/api/iocs/feed")
    assert mine["ETag"] == theirs["ETag"]


def test_tiers_get_their_own_bodies(client):
    make_ioc("clear.example.com")
    make_ioc("amber.example.com", tlp=TLP.AMBER)
    callers = make_callers()
    researcher = callers["researcher_token"].get(client, "/api/iocs/feed")
    business = callers["business_key"].get(client, "/api/iocs/feed")
    assert researcher["ETag"] != business["ETag"]
    assert set(lines(researcher)) == {"clear.example.com"}
    assert set(lines(business)) == {"clear.example.com", "amber.example.com"}
    again = callers["researcher_token"].get(client, "/api/iocs/feed")  # served from the researcher's artifact
    assert set(lines(again)) == {"clear.example.com"}


def test_within_the_period_no_ioc_query(client):
    make_ioc("q.example.com")
    first = client.get("/api/iocs/public/feed.txt")
    lines(first)
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/api/iocs/public/feed.txt")
        assert lines(again) == ["q.example.com"]  # from the artifact
        assert client.get("/api/iocs/public/feed.txt", headers={"If-None-Match": first["ETag"]}).status_code == 304
    assert not [q for q in queries.captured_queries if "iocs_ioc" in q["sql"]]
