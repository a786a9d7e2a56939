"""Suricata rules parsed by OISF's idstools: DNS and IP rules, unique sids stable across downloads."""

import pytest
from idstools import rule as idsrule

from iocs.feeds.renderers.suricata import SID_BASE
from iocs.models import IOC
from tests.access import make_callers
from tests.feeds_helpers import lines, make_ioc

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("feeds_env")]


def rules(client, caller, **params) -> dict[str, idsrule.Rule]:
    response = caller.get(client, "/api/iocs/feed", data={"format": "suricata", **params})
    parsed = [idsrule.parse(line) for line in lines(response)]
    assert all(parsed), "every line must parse as a rule"
    return {r.msg.rsplit(" ", 1)[-1]: r for r in parsed}


def test_rules_parse_with_unique_stable_sids(client):
    callers = make_callers()
    make_ioc("evil.example.com")
    make_ioc("198.51.100.7", "ipv4")
    make_ioc("2001:db8::7", "ipv6")
    make_ioc("http://evil.example.com/x", "url")
    first = rules(client, callers["researcher_token"])
    assert set(first) == {"evil.example.com", "198.51.100.7", "2001:db8::7"}
    dns = first["evil.example.com"]
    assert dns.proto == "dns" and 'content:".evil.example.com"' in dns.raw and "dns.query" in dns.raw
    assert first["198.51.100.7"].proto == "ip" and first["198.51.100.7"].dest_addr == "198.51.100.7"
    assert len({r.sid for r in first.values()}) == 3
    assert first["evil.example.com"].sid == SID_BASE + IOC.objects.get(value="evil.example.com").pk
    make_ioc("new.example.com")
    again = rules(client, callers["researcher_token"], days="89")  # a new download, more IOCs
    assert {k: r.sid for k, r in again.items() if k in first} == {k: r.sid for k, r in first.items()}
