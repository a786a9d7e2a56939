"""The classifier review queue in the admin: filters, normalised search, bulk verdicts, sightings."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apikeys.tlp import TLP
from iocs import admin as ioc_admin
from iocs.models import IOC, Confidence, Status
from iocs.stats import pending_count
from threats.models import Article, Sighting, Threat

pytestmark = pytest.mark.django_db
URL = "/admin/iocs/ioc/"


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser("rev", "rev@example.org", "pw")
    client.force_login(user)
    return user


@pytest.fixture
def iocs(db):
    threat = Threat.objects.create(title="Lazarus <script>alert(1)</script> wave", tlp=TLP.GREEN)
    art_a = Article.objects.create(url="https://a.example.org/1", title="Report A", publisher="a.example.org",
                                   threat=threat)
    art_b = Article.objects.create(url="https://b.example.org/1", title="Report B", publisher="b.example.org",
                                   threat=threat)
    old = timezone.now() - timedelta(days=200)
    made = {
        "evil": IOC.objects.create(type="url", value="http://evil.example.com/gate.php"),
        "dom": IOC.objects.create(type="domain", value="c2.example.net", status=Status.CONFIRMED,
                                  confidence=Confidence.LOW, first_seen=old),
        "hash": IOC.objects.create(type="md5", value="d41d8cd98f00b204e9800998ecf8427e"),
        "ip": IOC.objects.create(type="ipv4", value="203.0.113.5", status=Status.FALSE_POSITIVE, tlp=TLP.AMBER),
    }
    Sighting.objects.create(ioc=made["evil"], article=art_a, threat=threat, context="C2 at <b>evil</b>")
    Sighting.objects.create(ioc=made["dom"], article=art_b, threat=threat, context="beacon")
    Sighting.objects.create(ioc=made["evil"], article=art_b, threat=threat, context="again")
    return made


def listed(response) -> set[str]:
    return {obj.value for obj in response.context["cl"].result_list}


def act(client, action: str, iocs_: list[IOC], **extra):
    return client.post(URL, {"action": action, "_selected_action": [i.pk for i in iocs_], "index": 0, **extra})


def test_changelist_and_filters(client, staff, iocs):
    assert listed(client.get(URL)) == {i.value for i in iocs.values()}
    assert listed(client.get(URL, {"status__exact": "pending"})) == {iocs["evil"].value, iocs["hash"].value}
    assert listed(client.get(URL, {"confidence__exact": "low"})) == {"c2.example.net"}
    assert listed(client.get(URL, {"type__exact": "md5"})) == {iocs["hash"].value}
    assert listed(client.get(URL, {"tlp__exact": TLP.AMBER})) == {"203.0.113.5"}
    assert listed(client.get(URL, {"publisher": "a.example.org"})) == {iocs["evil"].value}
    assert listed(client.get(URL, {"publisher": "b.example.org"})) == {iocs["evil"].value, "c2.example.net"}
    assert listed(client.get(URL, {"age": "old"})) == {"c2.example.net"}
    assert "c2.example.net" not in listed(client.get(URL, {"age": "7d"}))
    assert listed(client.get(URL, {"reviewed": "no"})) == {i.value for i in iocs.values()}
    page = client.get(URL).content.decode()
    assert "a.example.org" in page and "age (first seen)" in page


@pytest.mark.parametrize(("typed", "expected"), [
    ("hxxp://evil[.]example[.]com/gate.php", "http://evil.example.com/gate.php"),
    ("  D41D8CD98F00B204E9800998ECF8427E ", "d41d8cd98f00b204e9800998ecf8427e"),
    ("c2[.]example[.]net", "c2.example.net"),
    ("203.0.113[.]5", "203.0.113.5"),
    ("http://evil.example.com/gate.php", "http://evil.example.com/gate.php"),
])
def test_search_normalises_what_is_pasted(client, staff, iocs, typed, expected):
    assert listed(client.get(URL, {"q": typed})) == {expected}


def test_search_is_exact(client, staff, iocs):
    assert listed(client.get(URL, {"q": "example"})) == set()


def test_changelist_never_counts_the_whole_table(client, staff, iocs):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, {"status__exact": "pending"})
    assert response.status_code == 200
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts and all("LIMIT" in sql.upper() for sql in counts), counts
    assert len(ctx.captured_queries) <= 8  # session, user, count, page (reviewed_by joined), publishers


def test_confirm_actions(client, staff, iocs):
    cache.set("iocs:pending-count", 99)
    for action, level in (("confirm_high", "high"), ("confirm_medium", "medium"), ("confirm_low", "low")):
        before = IOC.objects.get(pk=iocs["evil"].pk).updated_at
        response = act(client, action, [iocs["evil"], iocs["hash"]])
        assert response.status_code == 302
        for i in IOC.objects.filter(pk__in=[iocs["evil"].pk, iocs["hash"].pk]):
            assert (i.status, i.confidence, i.reviewed_by) == (Status.CONFIRMED, level, staff)
            assert i.reviewed_at is not None and "manual review" in i.reason
        assert IOC.objects.get(pk=iocs["evil"].pk).updated_at > before
    assert pending_count() == 0  # the cached count was dropped
    assert IOC.objects.get(pk=iocs["dom"].pk).confidence == Confidence.LOW  # not selected, untouched
    assert LogEntry.objects.filter(object_id=str(iocs["evil"].pk)).count() == 3


def test_mark_false_positive_asks_for_a_reason(client, staff, iocs):
    response = act(client, "mark_false_positive", [iocs["dom"]])
    assert response.status_code == 200 and b"Mark as false positive" in response.content
    assert b"c2.example.net" in response.content
    assert IOC.objects.get(pk=iocs["dom"].pk).status == Status.CONFIRMED  # nothing yet
    response = act(client, "mark_false_positive", [iocs["dom"]], apply="1", reason="   ")
    assert response.status_code == 200 and b"This field is required" in response.content
    response = act(client, "mark_false_positive", [iocs["dom"]], apply="1", reason="Sinkhole run by the vendor")
    assert response.status_code == 302
    dom = IOC.objects.get(pk=iocs["dom"].pk)
    assert (dom.status, dom.confidence, dom.reason) == (Status.FALSE_POSITIVE, "", "Sinkhole run by the vendor")
    assert dom.reviewed_by == staff and dom.reviewed_at is not None


def test_mark_false_positive_across_all_filtered_rows(client, staff, iocs):
    url = f"{URL}?status__exact=pending"
    response = client.post(url, {"action": "mark_false_positive", "_selected_action": [iocs["evil"].pk],
                                 "select_across": "1", "index": 0, "apply": "1", "reason": "test data"})
    assert response.status_code == 302
    assert set(IOC.objects.filter(status=Status.FALSE_POSITIVE).values_list("value", flat=True)) == {
        iocs["evil"].value, iocs["hash"].value, "203.0.113.5"}


def test_send_back_to_pending_clears_the_review(client, staff, iocs):
    act(client, "confirm_high", [iocs["dom"]])
    response = act(client, "send_back_to_pending", [iocs["dom"], iocs["ip"]])
    assert response.status_code == 302
    for i in IOC.objects.filter(pk__in=[iocs["dom"].pk, iocs["ip"].pk]):
        assert (i.status, i.confidence, i.reviewed_at, i.reviewed_by, i.classifier_version) == (
            Status.PENDING, "", None, None, "")


def test_bulk_actions_refuse_huge_selections(client, staff, iocs, monkeypatch):
    monkeypatch.setattr(ioc_admin, "MAX_BULK", 2)
    response = client.post(URL, {"action": "confirm_high", "_selected_action": [iocs["evil"].pk],
                                 "select_across": "1", "index": 0}, follow=True)
    assert b"narrow the filters" in response.content
    assert not IOC.objects.filter(confidence=Confidence.HIGH).exists()


def test_no_delete_action_and_no_add(client, staff, iocs):
    response = client.get(URL)
    assert "delete_selected" not in response.context["action_form"].fields["action"].choices.__str__()
    assert client.get(f"{URL}add/").status_code == 403


def test_change_page_shows_sightings_and_records_the_review(client, staff, iocs):
    evil = iocs["evil"]
    page = client.get(f"{URL}{evil.pk}/change/").content.decode()
    threat = Threat.objects.get()
    assert f"/admin/threats/threat/{threat.pk}/change/" in page and threat.public_id in page
    assert "C2 at &lt;b&gt;evil&lt;/b&gt;" in page and "<b>evil</b>" not in page  # context is escaped
    assert "&lt;script&gt;" in page and "<script>alert(1)" not in page
    assert "a.example.org" in page and "Report B" in page

    response = client.post(f"{URL}{evil.pk}/change/", {"status": "confirmed", "confidence": "", "reason": "x"})
    assert response.status_code == 200 and b"needs a confidence" in response.content
    response = client.post(f"{URL}{evil.pk}/change/", {"status": "confirmed", "confidence": "medium",
                                                       "reason": "seen in our honeypot"})
    assert response.status_code == 302
    evil.refresh_from_db()
    assert (evil.status, evil.confidence, evil.reviewed_by) == (Status.CONFIRMED, "medium", staff)
    response = client.post(f"{URL}{evil.pk}/change/", {"status": "false_positive", "confidence": "high",
                                                       "reason": "benign"})
    evil.refresh_from_db()
    assert (evil.status, evil.confidence) == (Status.FALSE_POSITIVE, "")


def test_paginator_reports_a_lower_bound(client, staff, iocs, monkeypatch):
    monkeypatch.setattr(ioc_admin.IOCAdmin, "list_per_page", 1)
    monkeypatch.setattr(ioc_admin.IOCAdmin, "count_look_ahead", 1)
    response = client.get(URL)
    cl = response.context["cl"]
    assert str(cl.result_count) == "2+" and cl.paginator.num_pages == 2
    assert "2+ IOCs" in response.content.decode()
    assert client.get(URL, {"p": 2}).context["cl"].paginator.num_pages == 3
    assert client.get(URL, {"p": 4}).context["cl"].result_count == 4
