"""Suricata rules: a DNS rule per domain (the name and its sub-domains) and an IP rule per address.

Each rule's ``sid`` is ``SID_BASE + the IOC's id``: stable for as long as the IOC exists (the id of a
(type, value) pair never changes), so alert history, thresholds and suppressions keep working across
downloads. A hash of the value would be stable across databases too, but 32-bit sids cannot hold a
million hashed values without collisions (~116 expected), and Suricata drops a duplicate sid, which
would silently lose IOCs. ``SID_BASE`` keeps clear of the ranges public rulesets use (ET: 2,000,000-
2,999,999; local rules: 1,000,000-1,999,999). ``rev`` stays 1: a rule's logic depends only on the value.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator

from .base import FeedMeta, FeedRenderer, header_lines, is_dns_name, tlp_slug

SID_BASE = 1_000_000_000
CLASSTYPE = "trojan-activity"


def sid(ioc_id: int) -> int:
    return SID_BASE + int(ioc_id)


def _metadata(row: dict) -> str:
    return f"metadata:threatcluster_confidence {row.get('confidence') or 'none'}, tlp {tlp_slug(row.get('tlp'))};"


def dns_rule(row: dict) -> str:
    name = row["value"]
    return (f'alert dns $HOME_NET any -> any any (msg:"ThreatCluster IOC DNS query for {name}"; dns.query; '
            f'dotprefix; content:".{name}"; nocase; endswith; classtype:{CLASSTYPE}; sid:{sid(row["id"])}; rev:1; '
            f"{_metadata(row)})")


def ip_rule(row: dict) -> str:
    ip = ipaddress.ip_address(row["value"])
    return (f'alert ip $HOME_NET any <> {ip} any (msg:"ThreatCluster IOC traffic with {ip}"; '
            f"classtype:{CLASSTYPE}; sid:{sid(row['id'])}; rev:1; {_metadata(row)})")


class SuricataRenderer(FeedRenderer):
    media_type = "text/plain"
    format = "suricata"
    extension = "rules"
    fields = ("id", "type", "value", "confidence", "tlp")
    types = ("domain", "ipv4", "ipv6")
    defang_ok = False

    def stream(self, rows: Iterable[dict], meta: FeedMeta) -> Iterator[str]:
        yield from header_lines(meta, self.rows_in_body(meta))
        for row in rows:
            if row.get("action") == "remove":
                continue
            if row["type"] == "domain":
                if is_dns_name(row["value"]):
                    yield dns_rule(row) + "\n"
            else:
                try:
                    yield ip_rule(row) + "\n"
                except ValueError:
                    continue
