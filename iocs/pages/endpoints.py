"""What the landing page says about each way to get the data: the question an endpoint answers,
its formats, who may call it, and a ``curl`` line built from the site's own URL.

Kept beside the views (not in a template) so that a test can check every path here resolves to a
real route and appears in the OpenAPI schema: the page cannot drift from the API.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

SCOPES = (
    ("iocs:read", "the bulk IOC feed and export under /api/public/v1/iocs/ and batch lookups"),
    ("threats:read", "one incident's IOC list and STIX bundle under /api/public/v1/threats/"),
    ("misp:read", "the token MISP feed (/api/misp) with an API key instead of a feed token"),
)


@dataclass(frozen=True)
class Endpoint:
    question: str
    path: str  # as routed, placeholders in <>; the first of a group
    formats: str
    access: str
    default: str
    curl: str  # the command, with {base} for the site URL

    def example(self, base: str) -> str:
        return self.curl.format(base=base)


def endpoints() -> list[Endpoint]:
    caps = settings.FEED_WINDOW_CAPS_DAYS
    return [
        Endpoint("What should I block today? (no account)", "/api/iocs/public/feed.txt", "txt, csv, json",
                 "anyone (Public)", f"confirmed high, domains and IPs, last {caps['public']} days, TLP:CLEAR",
                 "curl -sS {base}/api/iocs/public/feed.txt"),
        Endpoint("Have you seen this value, and where?", "/api/iocs/lookup", "json",
                 "anyone (GET); Researcher+ for a POST batch of up to 100",
                 "pending and confirmed IOCs, never false positives",
                 'curl -sS "{base}/api/iocs/lookup?value=hxxp://evil[.]example/x"'),
        Endpoint("Every confirmed IOC for my SIEM or firewall", "/api/iocs/feed",
                 "txt, csv, json, stix, hosts, rpz, suricata", "feed token or session, Researcher+",
                 f"confirmed high, medium and low, last {caps['researcher']} days, up to your TLP",
                 'curl -sS -H "Authorization: Token $TC_TOKEN" "{base}/api/iocs/feed?format=csv&days=7"'),
        Endpoint("A dated file to archive or share", "/api/iocs/export", "txt, csv, json",
                 "feed token or session, Researcher+", "as the feed",
                 'curl -sS -OJ -H "Authorization: Token $TC_TOKEN" "{base}/api/iocs/export?format=json"'),
        Endpoint("What should I delete from my copy?", "/api/iocs/feed/removed.txt", "txt",
                 "feed token or session, Researcher+", "removals since your last download",
                 'curl -sS -H "Authorization: Token $TC_TOKEN" "{base}/api/iocs/feed/removed.txt?since=2026-01-01"'),
        Endpoint("The same from a server, with an API key", "/api/public/v1/iocs/feed", "as the feed",
                 "X-API-Key, Business+, scope iocs:read", "as the feed (your tier's window)",
                 'curl -sS -H "X-API-Key: $TC_API_KEY" "{base}/api/public/v1/iocs/feed?format=stix"'),
        Endpoint("Everything about one incident", "/api/threats/<id>/stix", "STIX 2.1, Navigator layer, txt/csv/json",
                 "anyone for TLP:CLEAR; your tier's TLP otherwise (v1 twin: scope threats:read)",
                 "the incident's confirmed and pending IOCs",
                 "curl -sS {base}/api/threats/0a1b2c3d/stix"),
        Endpoint("Feed my MISP (public)", "/misp/manifest.json", "MISP feed", "anyone (Public)",
                 "latest TLP:CLEAR incidents with confirmed IOCs", "curl -sS {base}/misp/manifest.json"),
        Endpoint("Feed my MISP (my TLP)", "/api/misp/manifest.json", "MISP feed",
                 "feed token (Researcher+) or API key with misp:read", "latest incidents up to your TLP (never RED)",
                 'curl -sS -H "Authorization: Token $TC_TOKEN" {base}/api/misp/manifest.json'),
    ]
