"""DNS Response Policy Zone for BIND, Unbound, Knot, PowerDNS (FORMATS.md 5).

A complete zone file: ``$TTL``, SOA and NS at the apex, then ``CNAME .`` (answer NXDOMAIN) for each
domain and its sub-domains (``*.name``), and response-IP triggers for addresses
(``32.<reversed octets>.rpz-ip``; IPv6 with ``zz`` for ``::``). Owner names are relative, so the
file loads under whatever zone name the resolver gives it. The SOA serial is the generation time in
seconds, so it grows with every new generation. Names too long to fit under a zone origin are
skipped (a domain near 253 characters cannot become ``*.name.<origin>``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator

from .base import FeedMeta, FeedRenderer, header_lines, is_dns_name

MAX_NAME = 200  # leaves room for "*." and a zone origin within DNS's 255 octets
TTL = 300


def rpz_ip(value: str) -> str | None:
    """Response-IP trigger owner name for an address, None if it is not one."""
    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        return None
    if ip.version == 4:
        return f"32.{'.'.join(reversed(str(ip).split('.')))}.rpz-ip"
    head, sep, tail = ip.compressed.partition("::")
    groups = (head.split(":") if head else []) + (["zz"] if sep else []) + (tail.split(":") if tail else [])
    return f"128.{'.'.join(reversed(groups))}.rpz-ip"


class RpzRenderer(FeedRenderer):
    media_type = "text/dns"
    format = "rpz"
    extension = "rpz"
    types = ("domain", "ipv4", "ipv6")
    defang_ok = False

    def stream(self, rows: Iterable[dict], meta: FeedMeta) -> Iterator[str]:
        yield from header_lines(meta, self.rows_in_body(meta), prefix=";")
        serial = int(meta.generated_at.timestamp()) % (1 << 32)
        yield f"$TTL {TTL}\n"
        yield f"@ IN SOA localhost. hostmaster.localhost. ( {serial} 3600 600 604800 {TTL} )\n"
        yield "@ IN NS localhost.\n"
        for row in rows:
            if row.get("action") == "remove":
                continue
            value = row["value"]
            if row["type"] == "domain":
                if is_dns_name(value, MAX_NAME):
                    yield f"{value} CNAME .\n*.{value} CNAME .\n"
            elif owner := rpz_ip(value):
                yield f"{owner} CNAME .\n"
