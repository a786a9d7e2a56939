"""The documented confidence rules: how a report presented an IOC decides its verdict."""

import pytest

from iocs.classifier import RULES_VERSION, classifier_version, classify, classify_extracted
from iocs.extraction import extract_iocs


def _verdict(text: str, value: str):
    for item, verdict in classify_extracted(extract_iocs(text)):
        if item.value == value:
            return verdict
    raise AssertionError(f"{value} not extracted")


def test_defanged_in_an_ioc_list_near_c2_is_high():
    text = "== C&C servers\n\n----\nupdate-check[.]evil-c2.net\n----\n"
    verdict = _verdict(text, "update-check.evil-c2.net")
    assert (verdict.status, verdict.confidence) == ("confirmed", "high")
    assert "defanged" in verdict.reason and "c2" in verdict.reason


def test_plain_prose_mention_is_low():
    verdict = _verdict("During the analysis we noticed requests to tracker-stats.net every hour.", "tracker-stats.net")
    assert (verdict.status, verdict.confidence) == ("confirmed", "low")
    assert "only mentioned in prose" in verdict.reason


def test_more_independent_sources_raise_confidence():
    evidence = {"sightings": 1, "listed": 1}
    assert classify("domain", "tracker-stats.net", evidence, 1).confidence == "low"
    assert classify("domain", "tracker-stats.net", evidence, 2).confidence == "medium"
    assert classify("domain", "tracker-stats.net", evidence, 3).confidence == "high"
    many = {**evidence, "publishers": ["a.com", "b.org", "c.net"]}
    assert classify("domain", "tracker-stats.net", many, 0).confidence == "high"


def test_reference_links_are_false_positives():
    text = ("IoCs for our research; more technical information at <https://research.example-vendor.com/post/x/>.\n\n"
            "== C2\n\n----\nhxxp://evil-c2[.]com/gate\n----\n")
    verdict = _verdict(text, "https://research.example-vendor.com/post/x/")
    assert verdict.status == "false_positive" and "reference" in verdict.reason
    assert _verdict(text, "http://evil-c2.com/gate").status == "confirmed"


def test_undefanged_mentions_in_a_defanging_article_are_references():
    text = "The paper is at https://papers.example-univ.edu/p.pdf.\n\nC2: evil-c2[.]com\n"
    assert _verdict(text, "https://papers.example-univ.edu/p.pdf").status == "false_positive"


def test_a_value_only_ever_in_a_password_column_is_not_an_indicator():
    text = "|===\n|SHA-1 |Backdoor password\n|3f1ffb5ee5dd6712999ca82371bf8b755c8a873f |www.not-a-c2.com\n|===\n"
    verdict = _verdict(text, "www.not-a-c2.com")
    assert verdict.status == "false_positive" and "password" in verdict.reason


def test_certificate_thumbprints_are_not_file_hashes():
    text = "=== Code signing certificate\n\n.Thumbprint\n- SHA-1: DB3614DAF58D041F96A5B916281EA0DC97AA0C29\n"
    verdict = _verdict(text, "db3614daf58d041f96a5b916281ea0dc97aa0c29")
    assert verdict.status == "false_positive" and "certificate" in verdict.reason


def test_hashes_described_as_not_malicious_are_false_positives():
    sha256 = "1b5e7860c517ad4c70eb750e0f0eecd43a1cf90df3adc4b5195242ef8944e9e1"
    verdict = _verdict(f"=== Interpreters (not malicious)\n\n----\n{sha256}\n----\n", sha256)
    assert verdict.status == "false_positive" and "benign" in verdict.reason


def test_the_publishers_own_site_is_a_false_positive():
    evidence = {"sightings": 2, "listed": 1, "self_reference": 2}
    verdict = classify("url", "https://blog.somevendor-labs.com/a/", evidence, 1)
    assert verdict.status == "false_positive" and "publisher" in verdict.reason


@pytest.mark.parametrize(
    "evidence", [None, {}, {"sightings": "x", "keywords": 5, "roles": [1, None]}, {"defanged": []}])
def test_missing_or_malformed_evidence_is_tolerated(evidence):
    verdict = classify("domain", "tracker-stats.net", evidence, 0)
    assert verdict.status == "confirmed" and verdict.confidence in ("high", "medium", "low")


def test_every_verdict_carries_a_reason_and_the_version():
    version = classifier_version()
    assert version.startswith(RULES_VERSION) and len(version) <= 32
    for _item, verdict in classify_extracted(extract_iocs("C2 hxxp://evil-c2[.]com/x and 10.0.0.1 and CVE-2021-44228")):
        assert verdict.reason and verdict.version == version
        assert (verdict.status == "confirmed") == (verdict.confidence != "")


def test_a_citation_in_one_article_does_not_clear_a_mention_with_threat_context_in_another():
    evidence = {"sightings": 2, "prose": 2, "link": 1, "plain_in_defanging": 1, "cited": 1, "keywords": ["payload"]}
    assert classify("url", "https://files.some-share.example-host.org/p.zip", evidence, 2).status == "confirmed"
    only_cited = {**evidence, "cited": 2}
    assert classify("url", "https://files.some-share.example-host.org/p.zip", only_cited, 2).status == "false_positive"


def test_the_article_fast_path_agrees_with_classifying_the_evidence_dict():
    from iocs.evidence import observation

    text = ("# Report\n\nMore at <https://blog.example-vendor.com/x/>. The dropper fetched hxxp://evil-c2[.]com/p.\n\n"
            "## IoCs\n\n| SHA-1 | Note |\n|---|---|\n| 3f1ffb5ee5dd6712999ca82371bf8b755c8a873f | loader |\n"
            "| d41d8cd98f00b204e9800998ecf8427e | empty |\n\n- 10.0.0.1\n- 45.124.132.127\n- tracker-stats.net\n")
    for item, verdict in classify_extracted(extract_iocs(text)):
        if item.type not in ("cve", "attack-pattern"):
            assert verdict == classify(item.type, item.value, observation(item), 1), item.value
