"""The IOC.evidence schema: one observation per sighting, merged as counts, never saved by itself."""

import pytest

from iocs.evidence import COUNTERS, SCHEMA_VERSION, host_of, merge, observation, record_observation
from iocs.extraction import extract_iocs
from iocs.models import IOC


def _found(text: str, value: str):
    return next(x for x in extract_iocs(text) if x.value == value)


def test_an_observation_records_how_the_report_presented_it():
    found = _found("== C2 servers\n\n----\nevil-c2[.]com\n----\n", "evil-c2.com")
    obs = observation(found, publisher="www.welivesecurity.com")
    assert obs["v"] == SCHEMA_VERSION
    assert (obs["sightings"], obs["defanged"], obs["listed"], obs["standalone"], obs["ioc_section"]) == (1, 1, 1, 1, 1)
    assert obs["keywords"] == ["c2"] and obs["publishers"] == ["welivesecurity.com"]
    assert obs["contexts"] == ["evil-c2[.]com"] and obs["self_reference"] == 0


def test_the_publishers_own_links_are_self_references():
    found = _found("Read https://www.welivesecurity.com/2024/x/ for details.", "https://www.welivesecurity.com/2024/x/")
    assert observation(found, publisher="welivesecurity.com")["self_reference"] == 1


def test_merge_adds_counts_and_caps_lists():
    ev = {}
    for i in range(25):
        obs = {"sightings": 1, "defanged": i % 2, "keywords": ["c2"] if i else ["payload"],
               "publishers": [f"p{i}.example.org"], "contexts": [f"ctx {i}"]}
        ev = merge(ev, obs)
    assert ev["sightings"] == 25 and ev["defanged"] == 12
    assert ev["keywords"] == ["c2", "payload"]
    assert len(ev["publishers"]) == 20 and len(ev["contexts"]) == 3
    assert set(COUNTERS) <= set(ev)


def test_merge_does_not_mutate_its_inputs():
    base = {"sightings": 1, "keywords": ["c2"]}
    merge(base, {"sightings": 1, "keywords": ["payload"]})
    assert base == {"sightings": 1, "keywords": ["c2"]}


@pytest.mark.django_db
def test_record_observation_merges_without_saving():
    ioc = IOC.objects.create(type="domain", value="evil-c2.com")
    found = _found("C2: evil-c2[.]com", "evil-c2.com")
    record_observation(ioc, found, publisher=None)
    record_observation(ioc, found, publisher="blog.example-vendor.com")
    assert ioc.evidence["sightings"] == 2 and ioc.evidence["defanged"] == 2
    assert IOC.objects.get(pk=ioc.pk).evidence == {}


@pytest.mark.parametrize(
    ("ioc_type", "value", "host"),
    [("domain", "a.example.org", "a.example.org"), ("email", "x@m.example.org", "m.example.org"),
     ("url", "http://u:p@h.example.org:8080/x", "h.example.org"), ("url", "http://[2001:db8::1]/x", "[2001:db8::1]"),
     ("md5", "d41d8cd98f00b204e9800998ecf8427e", "")],
)
def test_host_of(ioc_type, value, host):
    assert host_of(ioc_type, value) == host
