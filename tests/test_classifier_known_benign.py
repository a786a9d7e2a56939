"""Known-benign values become false positives with the reason naming why; legitimate services
hosting a real IOC do not clear it (they only lower confidence)."""

import pytest

from iocs.classifier import classify

LISTED = {"sightings": 1, "listed": 1, "standalone": 1, "ioc_section": 1}
DEFANGED = {**LISTED, "defanged": 1}


@pytest.mark.parametrize(
    ("ioc_type", "value", "reason_part"),
    [
        ("ipv4", "10.1.2.3", "reserved"),
        ("ipv4", "192.168.0.10", "reserved"),
        ("ipv4", "127.0.0.1", "reserved"),
        ("ipv4", "198.51.100.7", "reserved"),  # RFC 5737 documentation
        ("ipv4", "100.64.1.1", "reserved"),  # RFC 6598 shared space
        ("ipv4", "224.0.0.251", "reserved"),  # multicast
        ("ipv6", "2001:db8::1", "reserved"),  # RFC 3849 documentation
        ("ipv6", "fe80::1:2:3", "reserved"),
        ("ipv4", "8.8.8.8", "public DNS resolver"),
        ("ipv4", "1.1.1.1", "public DNS resolver"),
        ("domain", "example.com", "special-use domain"),
        ("domain", "c2.test", "special-use domain"),
        ("url", "http://intranet.local/x", "special-use domain"),
        ("md5", "d41d8cd98f00b204e9800998ecf8427e", "known benign hash"),  # empty file
        ("sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709", "known benign hash"),
        ("sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "known benign hash"),
        ("domain", "api.ipify.org", "Internet infrastructure"),
        ("domain", "google.com", "top site"),
        ("domain", "www.youtube.com", "top site"),
        ("url", "https://www.amazon.com/", "top site"),
        ("url", "https://www.first.org/cvss/v3.1/specification-document", "reference"),
        ("domain", "www.google.com", "connectivity check"),
        ("domain", "bit.ly", "shortener"),
        ("domain", "duckdns.org", "dynamic DNS provider"),
        ("url", "https://www.welivesecurity.com/2019/10/17/x/", "security vendor"),
        ("url", "https://attack.mitre.org/techniques/T1059/", "vendor"),
        ("url", "https://nvd.nist.gov/vuln/detail/CVE-2021-44228", "vendor"),
    ],
)
def test_known_benign_values_are_false_positives(ioc_type, value, reason_part):
    verdict = classify(ioc_type, value, LISTED, 1)
    assert verdict.status == "false_positive"
    assert verdict.confidence == ""
    assert reason_part in verdict.reason


def test_value_rules_hold_even_when_defanged():
    assert classify("ipv4", "10.0.0.1", DEFANGED, 3).status == "false_positive"
    assert classify("md5", "d41d8cd98f00b204e9800998ecf8427e", DEFANGED, 3).status == "false_positive"


@pytest.mark.parametrize(
    ("ioc_type", "value"),
    [
        ("url", "https://pastebin.com/raw/AbCdEf12"),  # a paste on a top site
        ("url", "https://bit.ly/3xYzAbc"),  # a link on a shortener
        ("domain", "evil-host.duckdns.org"),  # a dynamic-DNS host
        ("url", "https://raw.githubusercontent.com/evil/repo/main/p.ps1"),
        ("url", "http://iplogger.org/1aMC97"),  # an IP-logger link made by the attacker
    ],
)
def test_real_iocs_on_legitimate_infrastructure_stay_confirmed(ioc_type, value):
    verdict = classify(ioc_type, value, DEFANGED, 1)
    assert verdict.status == "confirmed", verdict.reason


def test_a_top_site_the_author_presents_as_an_ioc_is_kept_with_less_confidence():
    abused = {**LISTED, "keywords": ["abused", "legitimate"]}
    verdict = classify("domain", "api.telegram.org", abused, 1)
    assert verdict.status == "confirmed" and verdict.confidence == "low"
    assert classify("domain", "crl.microsoft.com", DEFANGED, 1).status == "confirmed"
    assert classify("domain", "api.telegram.org", LISTED, 1).status == "false_positive"


def test_a_datacenter_range_lowers_confidence_but_does_not_clear():
    on_cloud = classify("ipv4", "52.95.110.1", LISTED, 1)  # Amazon AWS
    elsewhere = classify("ipv4", "45.124.132.127", LISTED, 1)
    assert on_cloud.status == elsewhere.status == "confirmed"
    assert "cloud/datacenter" in on_cloud.reason
    order = ["low", "medium", "high"]
    assert order.index(on_cloud.confidence) < order.index(elsewhere.confidence)
