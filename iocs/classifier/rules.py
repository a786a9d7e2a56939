"""The offline classifier's rules: one IOC row in (type, value, evidence, source_count), a verdict out.

A verdict is ``false_positive`` with the first rule below that applies, else ``confirmed`` with a
confidence from the evidence score. Every verdict carries a human-readable reason and
:data:`RULES_VERSION`. The rules use each warninglist for what it means (see warninglists.py):

False positive, whatever the report said (the value is benign by itself):
  F1  reserved addresses (RFC 1918, 5735, 6598, 3849, multicast, link-local, loopback) and
      special-use domains (RFC 2606/6761: example, test, invalid, localhost, local, ...);
  F2  known-benign hashes (empty files, EICAR, NSRL-style benign files, common IOC-list mistakes,
      CA certificate fingerprints);
  F3  public DNS resolvers, sinkholes, research scanners, IP-lookup / connectivity-check / CRL
      hosts;
False positive, from how the report presented it:
  F4  a password, certificate thumbprint, key or other non-indicator value (its table column, label
      or heading); a hash the report describes as benign / not malicious;
  F5  a security vendor's or reference site (MISP vendor lists, MITRE/NIST/...), or the publisher's
      own site;
  F6  only ever cited as a reference: every sighting a hyperlink, in a References section, or left
      plain in an article that defangs its IOCs, or in prose next to "blog post"/"available at", or
      described as legitimate/benign, with no threat word; never defanged, never in an IOC block;
  F7  a bare top site (exact entry of Tranco/Umbrella/Majestic/... top lists, or www. + entry), or
      the own domain of a URL shortener, dynamic-DNS provider or hosting platform, unless the author
      defanged it or listed it as an IOC with a threat word (C2, payload, "abused" ...). A URL with
      a path on such a site, or a host under it, is *not* cleared (pastebin raw links, bit.ly links,
      dynamic-DNS hosts are real IOCs on legitimate infrastructure); it only loses confidence.

Confirmed, confidence from a score (high >= 3, medium = 2, low <= 1):
  +2 defanged by an author      +1 in a code block/table/list      +1 under an IOC heading
  +1 a threat word in its context (C2, payload, dropper, phishing, exfiltration, download, malicious)
  +1 seen in 2 independent sources, +2 in 3 or more
  +1 a hash or checksummed wallet address (specific by construction)
  -1 in a cloud/CDN/datacenter/VPN/parking range  -1 a link on a shortener or hosting platform, or
  a host under a top site (network IOCs)  -1 only mentioned in prose, never defanged
  -1 described as legitimate nearby
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any, NamedTuple

from iocs.evidence import host_of
from iocs.extraction import LISTED_BLOCKS, ExtractedIOC
from iocs.extraction.hosts import is_private_suffix_host, registered_domain

from .warninglists import Warninglists, get_warninglists, package_version

RULES_VERSION = "1.0"
THREAT_WORDS = frozenset({"c2", "payload", "phishing", "exfiltration", "delivery", "malicious", "abused"})
STRONG_THREAT_WORDS = frozenset({"c2", "payload", "phishing", "exfiltration", "delivery", "abused"})
SPECIAL_TLDS = frozenset({"example", "test", "invalid", "localhost", "local", "internal", "lan", "home", "corp",
                          "localdomain", "arpa"})
# Documentation and authority sites cited by reports, beyond the MISP vendor lists.
REFERENCE_SITES = frozenset({
    "mitre.org", "attack.mitre.org", "cve.mitre.org", "cwe.mitre.org", "capec.mitre.org", "nvd.nist.gov",
    "nist.gov", "cve.org", "www.cve.org", "first.org", "www.first.org", "misp-project.org", "www.misp-project.org",
    "cisa.gov", "www.cisa.gov", "us-cert.gov", "www.us-cert.gov", "cert.org", "exploit-db.com",
    "www.exploit-db.com", "wikipedia.org", "learn.microsoft.com", "docs.microsoft.com", "msrc.microsoft.com",
    "support.microsoft.com", "developer.android.com", "schemas.microsoft.com", "www.w3.org", "w3.org",
    "www.iana.org", "iana.org", "www.rfc-editor.org", "datatracker.ietf.org", "tools.ietf.org",
})
NETWORK = frozenset({"ipv4", "ipv6", "domain", "url", "email"})
_HASHES = frozenset({"md5", "sha1", "sha256"})
_WALLETS = frozenset({"btc", "eth", "xmr"})
HOSTS = frozenset({"domain", "url", "email"})


@lru_cache(maxsize=1)
def classifier_version() -> str:
    """Rules version plus the warninglists' package version (fits IOC.classifier_version)."""
    return f"{RULES_VERSION}+mwl{package_version()}"[:32]


class Verdict(NamedTuple):
    status: str  # "confirmed" | "false_positive"
    confidence: str  # "high" | "medium" | "low" | "" (false positives)
    reason: str
    version: str

    @property
    def published(self) -> bool:
        return self.status == "confirmed"


class _Evidence(NamedTuple):
    """The evidence dict read once, defensively (it is JSON from the database)."""

    sightings: int
    defanged: int
    listed: int
    standalone: int
    ioc_section: int
    cited: int  # sightings that were citations (a link, a References entry, plain in a defanging article)
    self_reference: int
    keywords: frozenset[str]
    roles: tuple[str, ...]  # set only when every sighting gave the value such a role
    publishers: int

    @classmethod
    def read(cls, ev: dict[str, Any]) -> _Evidence:
        def n(key: str) -> int:
            value = ev.get(key, 0)
            return value if type(value) is int else 0

        def strings(key: str) -> list[str]:
            value = ev.get(key)
            return [x for x in value if isinstance(x, str)] if isinstance(value, list | tuple) else []

        words = strings("keywords")
        sightings = n("sightings")
        roles = strings("roles") if sightings and n("role_sightings") >= sightings else ()
        pubs = strings("publishers")
        return cls(sightings, n("defanged"), n("listed"), n("standalone"), n("ioc_section"),
                   n("cited"), n("self_reference"),
                   frozenset(words), tuple(roles), len(pubs))


def _fp(reason: str) -> Verdict:
    return Verdict("false_positive", "", reason[:500], classifier_version())


def _ip_of(ioc_type: str, value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = value if ioc_type in ("ipv4", "ipv6") else host_of(ioc_type, value).strip("[]")
    if not text or not (text[0].isdigit() or ":" in text):
        return None
    return _parse_ip(text)


@lru_cache(maxsize=65536)
def _is_global(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return ip.is_global


@lru_cache(maxsize=65536)
def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _bare(ioc_type: str, value: str) -> bool:
    """A domain, or a URL that is only a host (no path, query or port)."""
    if ioc_type == "domain":
        return True
    if ioc_type != "url":
        return False
    rest = value.split("://", 1)[-1]
    return rest.endswith("/") and rest.count("/") == 1 and "?" not in rest and ":" not in rest


def _value_rules(wl: Warninglists, ioc_type: str, value: str) -> Verdict | None:
    """F1-F3: benign whatever the report said."""
    if ioc_type in _HASHES:
        name = wl.exact("benign_hash", value)
        return _fp(f"known benign hash ({name})") if name else None
    if ioc_type in _WALLETS:
        return None
    ip = _ip_of(ioc_type, value)
    if ip is not None:
        name = wl.ip("reserved", ip)
        if name or not _is_global(ip):
            return _fp(f"reserved or non-routable address ({name or 'IANA special-purpose registry'})")
        for category, what in (("resolver", "public DNS resolver"), ("sinkhole", "sinkhole"),
                               ("scanner", "known research scanner"), ("infrastructure", "Internet infrastructure")):
            name = wl.ip(category, ip)
            if name:
                return _fp(f"{what} ({name})")
        return None
    host = host_of(ioc_type, value)
    if not host:
        return None
    if host.rsplit(".", 1)[-1] in SPECIAL_TLDS or wl.host("reserved", host):
        return _fp("special-use domain name (RFC 2606 / RFC 6761)")
    if not _bare(ioc_type, value):
        return None  # a link on such a service can be the attacker's (an IP-logger link)
    for category, what in (("resolver", "public DNS resolver"), ("infrastructure", "Internet infrastructure "
                                                                "(IP lookup, connectivity check, CRL/OCSP)")):
        name = wl.exact(category, host)
        if name:
            return _fp(f"{what} ({name})")
    return None


def _presentation_rules(wl: Warninglists, ioc_type: str, value: str, ev: _Evidence) -> Verdict | None:
    """F4-F7: what the way reports presented it says."""
    if ev.roles and not ev.defanged:
        return _fp(f"presented as a {ev.roles[0].replace('_', ' ')} in the report, not as an indicator")
    if ioc_type not in NETWORK:
        if "benign" in ev.keywords and not ev.keywords & STRONG_THREAT_WORDS:
            return _fp("described as benign (not malicious, harmless) in the report")
        return None
    host = host_of(ioc_type, value)
    if host and ioc_type != "email":
        verdict = _site_rules(wl, ioc_type, value, host, ev)
        if verdict:
            return verdict
    if ev.sightings and not ev.defanged and not ev.listed:
        if ev.cited >= ev.sightings:
            return _fp("only cited as a reference (a link or an undefanged mention), never presented as an IOC")
        strong = ev.keywords & STRONG_THREAT_WORDS
        if "reference" in ev.keywords and not strong:
            return _fp("mentioned as a source or reference in the article text, with no threat context")
        if ev.keywords & {"legitimate", "benign"} and not strong:
            return _fp("described as legitimate or benign in the article text")
    return None


def _site_rules(wl: Warninglists, ioc_type: str, value: str, host: str, ev: _Evidence) -> Verdict | None:
    bare_host = host.removeprefix("www.")
    vendor = wl.host("vendor", host)
    if vendor and not wl.host("hosting", host):  # github.com is in the vendor list, and hosts payloads
        return _fp(f"security vendor or research site ({vendor})")
    if host in REFERENCE_SITES or registered_domain(host) in REFERENCE_SITES:
        return _fp("reference or documentation site")
    if ev.sightings and ev.self_reference >= ev.sightings:
        return _fp("the publisher's own site")
    if not _bare(ioc_type, value):
        return None
    if ev.defanged or (ev.standalone and ev.ioc_section and ev.keywords & STRONG_THREAT_WORDS):
        return None  # the author presented it as an IOC: a service abused by the attackers
    for category, what in (("shortener", "URL shortener's own domain"),
                           ("dyndns", "dynamic DNS provider's own domain"), ("top", "top site"),
                           ("hosting", "hosting platform's own domain")):
        name = wl.entry(category, host) or wl.entry(category, bare_host)
        if name and (category != "top" or host == bare_host or wl.exact("top", bare_host)):
            return _fp(f"{what} ({name})")
    return None


def _score(wl: Warninglists, ioc_type: str, value: str, ev: _Evidence, source_count: int) -> Verdict:
    score, why = 0, []
    if ev.defanged:
        score += 2
        why.append("defanged by the author")
    if ev.listed:
        score += 1
        why.append("listed in an IOC block (code, table or list)")
    if ev.ioc_section:
        score += 1
        why.append("under an indicators heading")
    threat = ev.keywords & THREAT_WORDS
    if threat:
        score += 1
        why.append("near threat words (" + ", ".join(sorted(threat)) + ")")
    sources = max(source_count, ev.publishers)
    if sources >= 2:
        score += 2 if sources >= 3 else 1
        why.append(f"seen in {sources} sources")
    if ioc_type in _HASHES or ioc_type in _WALLETS:
        score += 1
        why.append("specific value (hash or checksummed address)")
    else:
        score -= _penalties(wl, ioc_type, value, why)
    if ev.sightings and not ev.defanged and not ev.listed:
        score -= 1
        why.append("lower: only mentioned in prose")
    if "legitimate" in ev.keywords:
        score -= 1
        why.append("lower: described as legitimate nearby")
    confidence = "high" if score >= 3 else "medium" if score == 2 else "low"
    reason = "; ".join(why) if why else "found in a report, no further evidence"
    return Verdict("confirmed", confidence, reason[:500], classifier_version())


def _penalties(wl: Warninglists, ioc_type: str, value: str, why: list[str]) -> int:
    """Network IOCs on shared or legitimate infrastructure lose one point."""
    ip = _ip_of(ioc_type, value) if ioc_type in NETWORK else None
    if ip is not None:
        name = wl.ip("cloud", ip)
        if name:
            why.append(f"lower: shared cloud/datacenter range ({name})")
            return 1
        return 0
    host = host_of(ioc_type, value) if ioc_type in ("domain", "url") else ""
    if not host:
        return 0
    name = wl.host("shortener", host) or wl.host("hosting", host)
    if name:
        why.append(f"lower: on a legitimate service ({name})")
        return 1
    reg = registered_domain(host)
    if reg != host and not is_private_suffix_host(host) and wl.exact("top", reg):
        why.append(f"lower: a host under the top site {reg}")
        return 1
    return 0


def classify(ioc_type: str, value: str, evidence: dict[str, Any] | None = None, source_count: int = 0,
             *, warninglists: Warninglists | None = None) -> Verdict:
    """The verdict for one IOC row. ``evidence`` follows iocs.evidence; None or {} is allowed
    (a value typed by hand: only the value rules and the score apply)."""
    ev = _Evidence.read(evidence if isinstance(evidence, dict) else {})
    return _judge(warninglists or get_warninglists(), ioc_type, value, ev, source_count)


def classify_found(found: ExtractedIOC, *, warninglists: Warninglists | None = None) -> Verdict:
    """The verdict for one value extracted from an article whose publisher is unknown; the same as
    ``classify(found.type, found.value, observation(found), 1)``, without building the dict."""
    listed = found.block in LISTED_BLOCKS or found.standalone
    defanged = int(found.defanged)
    cited = int(bool((found.link and not defanged) or found.in_reference_section
                     or (not defanged and found.article_defangs and found.type in NETWORK)))
    ev = _Evidence(1, defanged, int(listed), int(found.standalone), int(found.in_ioc_section), cited, 0,
                   found.keywords, tuple(sorted(found.roles)), 0)
    return _judge(warninglists or get_warninglists(), found.type, found.value, ev, 1)


def classify_found_all(found: list[ExtractedIOC], *, warninglists: Warninglists | None = None) -> list[Verdict]:
    """``[classify_found(x) for x in found]``, faster: past the benign-hash check a hash's verdict
    depends only on how it was presented, and reports present thousands of hashes alike."""
    wl = warninglists or get_warninglists()
    benign = wl.names["benign_hash"].exact if "benign_hash" in wl.names else {}
    memo: dict[tuple, Verdict] = {}
    out = []
    for item in found:
        ioc_type = item.type
        if ioc_type in _HASHES and item.value not in benign:
            key = (item.block, item.standalone, item.defanged, item.in_ioc_section, item.link,
                   item.in_reference_section, item.keywords, item.roles)
            verdict = memo.get(key)
            if verdict is None:
                verdict = memo[key] = classify_found(item, warninglists=wl)
            out.append(verdict)
        else:
            out.append(classify_found(item, warninglists=wl))
    return out


def _judge(wl: Warninglists, ioc_type: str, value: str, ev: _Evidence, source_count: int) -> Verdict:
    verdict = _value_rules(wl, ioc_type, value)
    if verdict is not None:
        return verdict
    if ioc_type in _HASHES or ioc_type in _WALLETS:  # past the value rules, only the evidence decides
        return _judge_by_evidence(wl, ioc_type in _HASHES, ev, source_count)
    return _presentation_rules(wl, ioc_type, value, ev) or _score(wl, ioc_type, value, ev, source_count)


@lru_cache(maxsize=4096)
def _judge_by_evidence(wl: Warninglists, is_hash: bool, ev: _Evidence, source_count: int) -> Verdict:
    """Hashes and wallets: the same evidence always gives the same verdict (memoised: reports list
    thousands of hashes presented alike)."""
    ioc_type = "sha256" if is_hash else "btc"
    return _presentation_rules(wl, ioc_type, "", ev) or _score(wl, ioc_type, "", ev, source_count)
