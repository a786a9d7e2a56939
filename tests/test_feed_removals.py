"""Retractions: ``?since=`` returns additions and removals, ``removed.txt`` the values to delete.

One test per removal cause, plus the two rules that make removals trustworthy: no removal is
missed between two polls (the overlap), and no removal reveals an IOC the caller could never see.
"""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from apikeys.tlp import TLP
from iocs.feeds import triggers
from iocs.feeds.models import Removal
from iocs.feeds.query import delta_overlap, prune_removals
from iocs.models import IOC
from tests.access import make_callers
from tests.feeds_helpers import body, lines, make_ioc

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("feeds_env")]


@pytest.fixture
def callers(db):
    return make_callers()


def iso(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def an_hour_ago() -> str:
    return iso(timezone.now() - timedelta(hours=1))


def delta(client, caller, **params) -> dict:
    response = caller.get(client, "/api/iocs/feed", data={"format": "json", "since": an_hour_ago(), **params})
    assert response.status_code == 200, response.content
    doc = json.loads(body(response))
    return {(item["action"], item["value"]): item for item in doc["items"]} | {("count", None): doc["count"]}


def removed(client, caller, **params) -> set[str]:
    response = caller.get(client, "/api/iocs/feed/removed.txt", data={"since": an_hour_ago(), **params})
    assert response.status_code == 200, response.content
    return set(lines(response))


def old(value: str, **kwargs) -> IOC:
    """An IOC published before the consumer's last poll (updated two hours ago)."""
    ioc = make_ioc(value, **kwargs)
    IOC.objects.filter(pk=ioc.pk).update(updated_at=timezone.now() - timedelta(hours=2))
    return ioc


def test_false_positive(client, callers):
    ioc = old("fp.example.com")
    IOC.objects.filter(pk=ioc.pk).update(status="false_positive", confidence="")
    items = delta(client, callers["researcher_token"])
    assert items[("remove", "fp.example.com")]["cause"] == "false_positive"
    assert removed(client, callers["researcher_token"]) == {"fp.example.com"}
    public = json.loads(body(client.get("/api/iocs/public/feed.json", data={"since": an_hour_ago()})))
    assert [(i["action"], i["value"]) for i in public["items"]] == [("remove", "fp.example.com")]


def test_sent_back_to_review(client, callers):
    ioc = old("review.example.com")
    ioc.status, ioc.confidence = "pending", ""
    ioc.save()  # a single save, not update(): the trigger sees every path
    assert delta(client, callers["researcher_token"])[("remove", "review.example.com")]["cause"] == "pending"


def test_stricter_tlp(client, callers):
    ioc = old("tlp.example.com")
    IOC.objects.filter(pk=ioc.pk).update(tlp=TLP.RED)
    assert delta(client, callers["researcher_token"])[("remove", "tlp.example.com")]["cause"] == "tlp"
    assert "tlp.example.com" in removed(client, callers["business_key"])
    staff = delta(client, callers["staff"])  # staff still see it: an update, not a removal
    assert ("remove", "tlp.example.com") not in staff and ("add", "tlp.example.com") in staff


def test_never_reveals_what_the_caller_could_not_see(client, callers):
    ioc = old("secret.example.com", tlp=TLP.RED)
    IOC.objects.filter(pk=ioc.pk).update(status="false_positive", confidence="")
    assert removed(client, callers["researcher_token"]) == set()
    assert removed(client, callers["business_key"]) == set()
    assert removed(client, callers["staff"]) == {"secret.example.com"}
    public = json.loads(body(client.get("/api/iocs/public/feed.json", data={"since": an_hour_ago()})))
    assert public["items"] == []


def test_aged_out(client, callers):
    old("expiring.example.com", age_days=10 + 0.5 / 24)  # left a 10-day window half an hour ago
    old("expired-long-ago.example.com", age_days=10 + 3 / 24)  # had left it before the last poll
    old("fresh.example.com", age_days=9)
    items = delta(client, callers["researcher_token"], days="10")
    assert items[("remove", "expiring.example.com")]["cause"] == "expired"
    assert ("remove", "expired-long-ago.example.com") not in items
    assert ("remove", "fresh.example.com") not in items and ("add", "fresh.example.com") not in items
    assert removed(client, callers["researcher_token"], days="10") == {"expiring.example.com"}


def test_deleted(client, callers):
    old("deleted.example.com").delete()
    assert delta(client, callers["researcher_token"])[("remove", "deleted.example.com")]["cause"] == "deleted"


def test_confidence_change(client, callers):
    ioc = old("lowered.example.com")
    IOC.objects.filter(pk=ioc.pk).update(confidence="low")
    high_only = delta(client, callers["researcher_token"], confidence="high")
    assert high_only[("remove", "lowered.example.com")]["cause"] == "confidence"
    everything = delta(client, callers["researcher_token"])
    assert ("remove", "lowered.example.com") not in everything and ("add", "lowered.example.com") in everything


def test_published_again_is_an_add(client, callers):
    ioc = old("back.example.com")
    IOC.objects.filter(pk=ioc.pk).update(status="false_positive", confidence="")
    IOC.objects.filter(pk=ioc.pk).update(status="confirmed", confidence="high")
    items = delta(client, callers["researcher_token"])
    assert ("add", "back.example.com") in items and ("remove", "back.example.com") not in items


def test_additions_are_changes_since(client, callers):
    old("unchanged.example.com")
    make_ioc("new.example.com")
    items = delta(client, callers["researcher_token"])
    assert ("add", "new.example.com") in items and ("add", "unchanged.example.com") not in items
    assert items[("add", "new.example.com")]["confidence"] == "high"


def test_no_removal_missed_between_polls(client, callers):
    """A change written before a poll but committed after it carries an older timestamp: the
    overlap re-reads that far back, so the next poll still reports it."""
    since = timezone.now() - timedelta(hours=1)
    row = {"ioc_id": 10**9, "type": "domain", "tlp": TLP.CLEAR, "confidence": "high", "cause": "false_positive",
           "last_seen": since - timedelta(days=1), "first_seen": since - timedelta(days=2),
           "created_at": since - timedelta(days=2)}
    Removal.objects.create(value="late-commit.example.com", at=since - delta_overlap() + timedelta(minutes=1), **row)
    Removal.objects.create(value="older.example.com", at=since - delta_overlap() - timedelta(minutes=1), **row)
    got = set(lines(callers["researcher_token"].get(client, "/api/iocs/feed/removed.txt",
                                                   data={"since": iso(since)})))
    assert got == {"late-commit.example.com"}


def test_csv_and_txt_deltas(client, callers):
    ioc = old("gone.example.com")
    make_ioc("came.example.com")
    IOC.objects.filter(pk=ioc.pk).update(status="false_positive", confidence="")
    caller = callers["researcher_token"]
    response = caller.get(client, "/api/iocs/feed", data={"format": "csv", "since": an_hour_ago()})
    assert response["X-Feed-Additions"] == "1" and response["X-Feed-Removals"] == "1"
    rows = list(csv.DictReader(io.StringIO(body(response).decode())))
    assert {(r["action"], r["value"], r["cause"]) for r in rows} == {
        ("add", "came.example.com", ""), ("remove", "gone.example.com", "false_positive")}
    txt = caller.get(client, "/api/iocs/feed", data={"since": an_hour_ago()})
    content = body(txt).decode()
    assert set(lines_of(content)) == {"came.example.com"}  # a plain list only adds ...
    assert "/api/iocs/feed/removed.txt?since=" in content  # ... and says where the removals are


def lines_of(content: str) -> list[str]:
    return [line for line in content.splitlines() if line and not line.startswith("#")]


def test_triggers_installed_and_reinstallable():
    assert triggers.installed() == set(triggers.TRIGGER_NAMES)
    assert triggers.install() is True
    assert triggers.installed() == set(triggers.TRIGGER_NAMES)


def test_unpublished_changes_are_not_logged():
    pending = make_ioc("p.example.com", status="pending")
    IOC.objects.filter(pk=pending.pk).update(status="false_positive")
    confirmed = make_ioc("c.example.com", tlp=TLP.AMBER)
    IOC.objects.filter(pk=confirmed.pk).update(tlp=TLP.GREEN, last_seen=timezone.now())  # looser TLP, new sighting
    assert not Removal.objects.exists()


def test_prune_keeps_what_a_since_can_reach():
    row = {"ioc_id": 1, "type": "domain", "value": "x.example.com", "tlp": 0, "confidence": "high",
           "cause": "deleted", "last_seen": timezone.now(), "first_seen": timezone.now(),
           "created_at": timezone.now()}
    Removal.objects.create(at=timezone.now() - timedelta(days=3651), **row)
    Removal.objects.create(at=timezone.now() - timedelta(days=3000), **row)
    assert prune_removals() == 1 and Removal.objects.count() == 1
