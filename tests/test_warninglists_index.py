"""The MISP warninglists are loaded once per process and matched efficiently and correctly."""

import ipaddress

from iocs.classifier.warninglists import USES, _Intervals, get_warninglists


def test_loaded_once_and_cached():
    assert get_warninglists() is get_warninglists()


def test_every_configured_list_is_shipped():
    wl = get_warninglists()
    configured = {folder for folders in USES.values() for folder in folders}
    missing = configured - set(wl.versions)
    assert not missing, f"lists missing from pymispwarninglists: {sorted(missing)}"


def test_cidr_matching_handles_nested_and_adjacent_ranges():
    index = _Intervals()
    index.build([(0, 255, "outer"), (10, 20, "inner"), (256, 511, "next"), (1000, 1000, "single")])
    assert index.find(15) in ("outer", "inner")
    assert index.find(200) == "outer"
    assert index.find(300) == "next"
    assert index.find(1000) == "single"
    assert index.find(999) is None and index.find(5000) is None


def test_ip_categories():
    wl = get_warninglists()
    assert wl.ip("reserved", ipaddress.ip_address("172.16.5.4"))
    assert wl.ip("resolver", ipaddress.ip_address("9.9.9.9"))
    assert wl.ip("cloud", ipaddress.ip_address("52.95.110.1"))
    assert wl.ip("resolver", ipaddress.ip_address("45.124.132.127")) is None


def test_host_semantics_cover_sub_domains_but_exact_checks_do_not():
    wl = get_warninglists()
    assert wl.host("dyndns", "anything.duckdns.org")
    assert wl.exact("top", "google.com") and not wl.exact("top", "evil.sites-google-lookalike.com")
