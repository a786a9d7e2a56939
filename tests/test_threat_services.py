"""Merging threats, splitting an article out, and IOC visibility (least restrictive TLP of citing threats)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apikeys.tlp import TLP
from iocs.models import IOC
from threats import services
from threats.models import Article, Malware, Sighting, Threat, ThreatActor

pytestmark = pytest.mark.django_db

T0 = timezone.now() - timedelta(days=10)


def threat(title: str, tlp: TLP, **kwargs) -> Threat:
    return Threat.objects.create(title=title, tlp=tlp, first_seen=T0, last_seen=T0, **kwargs)


def article(t: Threat, n: int, *, days: int = 0) -> Article:
    return Article.objects.create(url=f"https://pub{n}.example.org/{t.public_id}/{n}", title=f"{t.title} #{n}",
                                  publisher=f"pub{n}.example.org", threat=t, published_at=T0 + timedelta(days=days))


def ioc(value: str, tlp: TLP = TLP.CLEAR) -> IOC:
    return IOC.objects.create(type="domain", value=value, tlp=tlp)


def sight(i: IOC, a: Article) -> Sighting:
    return Sighting.objects.create(ioc=i, article=a, threat=a.threat, context=f"{i.value} seen")


def test_visibility_is_the_least_restrictive_citing_threat():
    red, green = threat("red", TLP.RED), threat("green", TLP.GREEN)
    both, only_red, orphan = ioc("both.example.com", TLP.RED), ioc("red.example.com"), ioc("orphan.example.com",
                                                                                              TLP.AMBER)
    sight(both, article(red, 1))
    sight(both, article(green, 2))
    sight(only_red, Article.objects.get(threat=red))
    before = IOC.objects.get(pk=both.pk).updated_at
    assert services.recompute_ioc_visibility([both.pk, only_red.pk, orphan.pk]) == 2
    assert IOC.objects.get(pk=both.pk).tlp == TLP.GREEN
    assert IOC.objects.get(pk=only_red.pk).tlp == TLP.RED
    assert IOC.objects.get(pk=orphan.pk).tlp == TLP.AMBER  # no citing threat: unchanged
    assert IOC.objects.get(pk=both.pk).updated_at > before  # feed deltas see the change
    unchanged = IOC.objects.get(pk=both.pk).updated_at
    assert services.recompute_ioc_visibility([both.pk, only_red.pk]) == 0
    assert IOC.objects.get(pk=both.pk).updated_at == unchanged  # nothing rewritten when nothing changes


def test_set_threat_tlp_moves_visibility():
    t = threat("t", TLP.CLEAR)
    i = ioc("a.example.com")
    sight(i, article(t, 1))
    assert services.set_threat_tlp(t, TLP.AMBER) == 1
    assert IOC.objects.get(pk=i.pk).tlp == TLP.AMBER and Threat.objects.get(pk=t.pk).tlp == TLP.AMBER


def test_merge_moves_everything_and_keeps_the_most_restrictive_tlp():
    keep = threat("keep", TLP.CLEAR, threat_score=40)
    gone = threat("gone", TLP.AMBER, threat_score=70)
    keep.actors.add(ThreatActor.objects.create(name="APT-A"))
    gone.actors.add(ThreatActor.objects.create(name="APT-B"))
    gone.malware.add(Malware.objects.create(name="Evil"))
    a1, a2 = article(keep, 1), article(gone, 2, days=5)
    shared, public = ioc("shared.example.com"), ioc("public.example.com")
    sight(shared, a1)
    sight(shared, a2)
    sight(public, a1)
    Threat.objects.filter(pk=gone.pk).update(last_seen=T0 + timedelta(days=5))

    merged = services.merge_threats(keep, [gone])
    assert not Threat.objects.filter(pk=gone.pk).exists()
    assert set(merged.articles.values_list("pk", flat=True)) == {a1.pk, a2.pk}
    assert set(Sighting.objects.values_list("threat_id", flat=True)) == {keep.pk}
    assert set(merged.actors.values_list("name", flat=True)) == {"APT-A", "APT-B"}
    assert list(merged.malware.values_list("name", flat=True)) == ["Evil"]
    merged.refresh_from_db()
    assert merged.tlp == TLP.AMBER and merged.threat_score == 70
    assert merged.last_seen == T0 + timedelta(days=5)
    # nothing the merged threat cites stays more visible than the threat itself
    assert set(IOC.objects.values_list("tlp", flat=True)) == {TLP.AMBER}


def test_merge_with_an_explicit_tlp_and_errors():
    a, b = threat("a", TLP.RED), threat("b", TLP.CLEAR)
    i = ioc("x.example.com", TLP.RED)
    sight(i, article(a, 1))
    services.merge_threats(b, [a], tlp=TLP.GREEN)
    assert Threat.objects.get(pk=b.pk).tlp == TLP.GREEN and IOC.objects.get(pk=i.pk).tlp == TLP.GREEN
    with pytest.raises(services.ThreatEditError, match="two different"):
        services.merge_threats(b, [b])


def test_split_moves_the_article_and_its_sightings():
    old = threat("old", TLP.GREEN)
    stay, leave = article(old, 1, days=1), article(old, 2, days=3)
    kept, moved, both = ioc("kept.example.com"), ioc("moved.example.com"), ioc("both.example.com")
    sight(kept, stay)
    sight(moved, leave)
    sight(both, stay)
    sight(both, leave)
    new = services.split_article(leave, title="Separate incident", tlp=TLP.RED)
    assert new.pk != old.pk and new.title == "Separate incident" and new.tlp == TLP.RED
    assert Article.objects.get(pk=leave.pk).threat_id == new.pk
    assert set(Sighting.objects.filter(threat=new).values_list("ioc__value", flat=True)) == {
        "moved.example.com", "both.example.com"}
    assert set(Sighting.objects.filter(threat=old).values_list("ioc__value", flat=True)) == {
        "kept.example.com", "both.example.com"}
    assert IOC.objects.get(pk=moved.pk).tlp == TLP.RED  # only the RED threat cites it now
    assert IOC.objects.get(pk=both.pk).tlp == TLP.GREEN  # still cited by the GREEN one
    old.refresh_from_db()
    assert old.first_seen == old.last_seen == T0 + timedelta(days=1)
    assert new.first_seen == T0 + timedelta(days=3)


def test_split_defaults_and_refusals():
    old = threat("old", TLP.AMBER)
    only = article(old, 1)
    with pytest.raises(services.ThreatEditError, match="only article"):
        services.split_article(only)
    second = article(old, 2)
    new = services.split_article(second)
    assert new.tlp == TLP.AMBER and new.title == second.title and old.public_id in new.summary
    loose = Article.objects.create(url="https://x.example.org/loose")
    with pytest.raises(services.ThreatEditError, match="no threat"):
        services.split_article(loose)
