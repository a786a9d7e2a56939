"""Threats in the admin: edit title/summary/TLP (visibility follows), merge, split an article out, delete."""

import pytest
from django.contrib.auth import get_user_model

from apikeys.tlp import TLP
from iocs.models import IOC
from threats.models import Article, Sighting, Threat, ThreatActor

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser("admin2", "b@example.org", "pw")
    client.force_login(user)
    return user


@pytest.fixture
def world(db):
    a = Threat.objects.create(title="Campaign A", tlp=TLP.CLEAR)
    b = Threat.objects.create(title="Campaign B", tlp=TLP.AMBER)
    a.actors.add(ThreatActor.objects.create(name="APT-X"))
    arts = [Article.objects.create(url=f"https://r.example.org/{n}", title=f"Report {n}", publisher="r.example.org",
                                   threat=t) for n, t in enumerate((a, a, b))]
    iocs = [IOC.objects.create(type="domain", value=f"d{n}.example.com", tlp=t.tlp)
            for n, t in enumerate((a, a, b))]
    for ioc, art in zip(iocs, arts, strict=True):
        Sighting.objects.create(ioc=ioc, article=art, threat=art.threat, context="ctx")
    return {"a": a, "b": b, "articles": arts, "iocs": iocs}


def threat_form(t: Threat, **changes) -> dict:
    return {"title": t.title, "summary": t.summary, "tlp": str(t.tlp),
            "actors": [str(pk) for pk in t.actors.values_list("pk", flat=True)], **changes}


def test_edit_title_summary_and_tlp_recomputes_visibility(client, staff, world):
    a = world["a"]
    response = client.post(f"/admin/threats/threat/{a.pk}/change/",
                           threat_form(a, title="Renamed", summary="New summary", tlp=str(TLP.RED)), follow=True)
    assert response.status_code == 200 and b"visibility of 2 IOC(s) recomputed" in response.content
    a.refresh_from_db()
    assert (a.title, a.summary, a.tlp) == ("Renamed", "New summary", TLP.RED)
    assert [IOC.objects.get(pk=i.pk).tlp for i in world["iocs"]] == [TLP.RED, TLP.RED, TLP.AMBER]
    assert list(a.actors.values_list("name", flat=True)) == ["APT-X"]  # entities untouched by the edit


def test_change_page_lists_articles_with_split_links(client, staff, world):
    a = world["a"]
    page = client.get(f"/admin/threats/threat/{a.pk}/change/").content.decode()
    assert "Report 0" in page and f"/admin/threats/threat/{a.pk}/split/{world['articles'][1].pk}/" in page
    assert "2 IOC(s) cited" in page
    page = client.get(f"/admin/threats/threat/{world['b'].pk}/change/").content.decode()
    assert "/split/" not in page  # a single article cannot be split out


def test_merge_action(client, staff, world):
    a, b = world["a"], world["b"]
    data = {"action": "merge_threats", "_selected_action": [a.pk, b.pk], "index": 0}
    response = client.post("/admin/threats/threat/", data)
    assert response.status_code == 200 and b"Campaign A" in response.content and b"Campaign B" in response.content
    assert response.context["form"].initial["tlp"] == TLP.AMBER  # most restrictive proposed
    response = client.post("/admin/threats/threat/", {**data, "apply": "1", "survivor": a.pk, "tlp": str(TLP.AMBER)})
    assert response.status_code == 302 and response["Location"].endswith(f"/admin/threats/threat/{a.pk}/change/")
    assert list(Threat.objects.values_list("pk", flat=True)) == [a.pk]
    assert Article.objects.filter(threat=a).count() == 3 and Sighting.objects.filter(threat=a).count() == 3
    assert set(IOC.objects.values_list("tlp", flat=True)) == {TLP.AMBER}
    assert Threat.objects.get(pk=a.pk).tlp == TLP.AMBER
    # The merged-away part is in the withdrawal log, read-only, linked to its survivor.
    log = client.get("/admin/threats/threatwithdrawal/").content.decode()
    assert b.public_id in log and f'<a href="/admin/threats/threat/{a.pk}/change/">{a.public_id}</a>' in log
    assert client.get("/admin/threats/threatwithdrawal/add/").status_code == 403


def test_merge_needs_two_threats(client, staff, world):
    response = client.post("/admin/threats/threat/", {"action": "merge_threats", "_selected_action": [world["a"].pk],
                                                      "index": 0}, follow=True)
    assert b"Select between 2 and" in response.content and Threat.objects.count() == 2


def test_split_view(client, staff, world):
    a, art = world["a"], world["articles"][1]
    url = f"/admin/threats/threat/{a.pk}/split/{art.pk}/"
    page = client.get(url)
    assert page.status_code == 200 and b"Report 1" in page.content
    response = client.post(url, {"title": "Separate intrusion", "tlp": str(TLP.GREEN)})
    new = Threat.objects.get(title="Separate intrusion")
    assert response.status_code == 302 and response["Location"].endswith(f"/admin/threats/threat/{new.pk}/change/")
    assert Article.objects.get(pk=art.pk).threat == new
    assert Sighting.objects.get(article=art).threat == new
    assert IOC.objects.get(pk=world["iocs"][1].pk).tlp == TLP.GREEN
    # the article is no longer in threat A: 404, and a lone article cannot be split
    assert client.get(url).status_code == 404
    response = client.post(f"/admin/threats/threat/{new.pk}/split/{art.pk}/", {"title": "x", "tlp": "0"},
                           follow=True)
    assert b"only article" in response.content


def test_delete_recomputes_visibility(client, staff, world):
    a, b = world["a"], world["b"]
    shared = world["iocs"][2]  # cited by B (AMBER); add a citation by A (CLEAR)
    Sighting.objects.create(ioc=shared, article=world["articles"][0], threat=a, context="also here")
    from threats.services import recompute_ioc_visibility
    recompute_ioc_visibility([shared.pk])
    assert IOC.objects.get(pk=shared.pk).tlp == TLP.CLEAR
    response = client.post(f"/admin/threats/threat/{a.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert IOC.objects.get(pk=shared.pk).tlp == TLP.AMBER  # only B cites it now
    assert Threat.objects.filter(pk=b.pk).exists()


def test_sightings_are_read_only_and_articles_keep_their_threat(client, staff, world):
    sighting = Sighting.objects.first()
    assert client.get(f"/admin/threats/sighting/{sighting.pk}/change/").status_code == 200
    response = client.post(f"/admin/threats/sighting/{sighting.pk}/change/", {"context": "edited"})
    assert response.status_code == 403
    art = world["articles"][0]
    client.post(f"/admin/threats/article/{art.pk}/change/", {"url": art.url, "title": "T", "publisher": "p",
                                                             "threat": world["b"].pk, "text": ""})
    art.refresh_from_db()
    assert art.threat == world["a"]
