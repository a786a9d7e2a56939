"""Blocklists read by their real consumers: txt and hosts by the Pi-hole/pfBlockerNG parser ports,
the RPZ zone by BIND's named-checkzone (``../shared/validators/validate_blocklist.py``)."""

import pytest

from iocs.feeds.renderers.rpz import rpz_ip
from tests.access import make_callers
from tests.feeds_helpers import make_ioc, text
from tests.validators import assert_valid

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("feeds_env"), pytest.mark.shared]


@pytest.fixture
def data(db):
    for name in ("evil.example.com", "xn--80ak6aa92e.example.net", "host.under_score.example.org",
                 "a.b.c.d.example.io", "_dmarc.example.com"):
        make_ioc(name)
    make_ioc("198.51.100.7", "ipv4")
    make_ioc("2001:db8::7", "ipv6")
    make_ioc("http://evil.example.com/x", "url")


def test_public_txt_domains_pass_pihole_and_pfblockerng(client, data):
    listing = text(client.get("/api/iocs/public/feed.txt", data={"types": "domain"}))
    names = [line for line in listing.splitlines() if not line.startswith("#")]
    assert len(names) == 4 and "# Rows: 4\n" in listing  # "_dmarc…" is a DNS name, not a host name
    assert_valid("validate_blocklist.py", "--format", "domains", data=listing)


def test_hosts_file(client, data):
    callers = make_callers()
    response = callers["researcher_token"].get(client, "/api/iocs/feed", data={"format": "hosts"})
    hosts = text(response)
    data_lines = [line for line in hosts.splitlines() if not line.startswith("#")]
    assert len(data_lines) == 4 and all(line.startswith("0.0.0.0 ") for line in data_lines)
    assert_valid("validate_blocklist.py", "--format", "hosts", data=hosts)


def test_rpz_zone_loads_in_named_checkzone(client, data):
    callers = make_callers()
    response = callers["researcher_token"].get(client, "/api/iocs/feed", data={"format": "rpz"})
    assert response["Content-Type"] == "text/dns; charset=utf-8"
    zone = text(response)
    assert "evil.example.com CNAME .\n*.evil.example.com CNAME .\n" in zone
    assert "32.7.100.51.198.rpz-ip CNAME .\n" in zone and "128.7.zz.db8.2001.rpz-ip CNAME .\n" in zone
    assert "/x CNAME" not in zone and "_dmarc.example.com CNAME .\n" in zone  # no URLs in a zone
    assert_valid("validate_blocklist.py", "--format", "rpz", data=zone)


def test_rpz_ip_owner_names():
    assert rpz_ip("198.51.100.7") == "32.7.100.51.198.rpz-ip"
    assert rpz_ip("2001:db8::7") == "128.7.zz.db8.2001.rpz-ip"
    assert rpz_ip("::1") == "128.1.zz.rpz-ip"
    assert rpz_ip("2001:db8:0:0:1::") == "128.zz.1.0.0.db8.2001.rpz-ip"
    assert rpz_ip("not an ip") is None
