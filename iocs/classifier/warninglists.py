"""The MISP warninglists shipped offline by ``pymispwarninglists``, indexed once per process.

Each list is read straight from its ``list.json`` in the package (``WarningLists()`` builds every
list, 1M-entry ones included, and takes tens of seconds); only the lists named in :data:`USES` are
loaded, each for what it means:

- ``reserved``, ``benign_hash``, ``resolver``, ``sinkhole``, ``scanner``, ``infrastructure``,
  ``vendor``: the value is benign by itself -> false positive;
- ``top``: a bare top site (Tranco/Umbrella/Majestic/...) -> false positive, but a URL with a path
  on it (a pastebin raw link) or a sub-domain (someone's host on a platform) is only less sure;
- ``shortener``, ``dyndns``, ``hosting``: the service's own domain is benign; a link or host on it
  is a real IOC on legitimate infrastructure (lower confidence for shorteners and hosting);
- ``cloud``: cloud, CDN, datacenter and VPN ranges -> lower confidence, never cleared.

IP ranges become sorted integer intervals searched with ``bisect`` (O(log n) per category).
"""

from __future__ import annotations

import importlib.util
import ipaddress
import json
import socket
import threading
from bisect import bisect_right
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path


def _lists_dir() -> Path:
    """The lists shipped inside the pymispwarninglists package, found without importing it (its
    import pulls jsonschema and takes seconds; only its data files are needed)."""
    spec = importlib.util.find_spec("pymispwarninglists")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("pymispwarninglists is not installed (see requirements.txt)")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "misp-warninglists" / "lists"


LISTS_DIR = _lists_dir()

_SCANNERS = (
    "alphastrike-research-nt-scanning", "alphastrike-scanning", "bufferover-nt-scanning", "censys-scanning",
    "coalition-signals-intelligence-nt-scanning", "cybergreen-nt-scanning", "cyberresilience-nt-scanning",
    "cypex-nt-scanning", "f6-nt-scanning", "internet-census-nt-scanning", "intrinsec-nt-scanning",
    "ipinfo-nt-scanning", "ipip-nt-scanning", "modat-nt-scanning", "modat-scanner", "netsecscan-nt-scanning",
    "netsecscan-scanning", "onyphe-nt-scanning", "onyphe-scanner", "probethenet-nt-scanning",
    "rapid7-nt-scanning", "research-scanner-nt-scanning", "shadowforce-nt-scanning", "shadowforce-scanning",
    "shadowserver", "shadowserver-nt-scanning", "shodan-nt-scanning", "shodan-scanning", "skipa-nt-scanning",
)
_CLOUD = (
    "akamai", "amazon-aws", "apple", "cloudflare", "fastly", "google-gcp", "github", "google-gmail-sending-ips",
    "googlebot", "microsoft-azure", "microsoft-azure-china", "microsoft-azure-germany", "microsoft-azure-us-gov",
    "microsoft-office365-ip", "microsoft-office365-cn", "ovh-cluster", "stackpath", "wikimedia", "zscaler",
    "smtp-sending-ips", "smtp-receiving-ips", "tenable-cloud-ipv4", "tenable-cloud-ipv6", "openai-gptbot",
    "check-host-net", "vpn-ipv4", "vpn-ipv6", "parking-domain",
)

# category -> list folders. Lists left out on purpose: Tranco top 1M and Chrome CrUX 1M (they
# carry real malicious hosts, and cost ~100 MB), TLD lists (extraction checks suffixes), phone
# numbers, Azure app ids, COVID-era lists.
USES: dict[str, tuple[str, ...]] = {
    "reserved": ("rfc1918", "rfc5735", "rfc3849", "rfc6598", "multicast", "ipv6-linklocal", "rfc6761"),
    "benign_hash": ("empty-hashes", "eicar.com", "ti-falsepositives", "nioc-filehash", "common-ioc-false-positive",
                    "mozilla-CA", "mozilla-IntermediateCA"),
    "resolver": ("public-dns-v4", "public-dns-v6", "public-dns-hostname"),
    "sinkhole": ("sinkholes",),
    "scanner": _SCANNERS,
    "infrastructure": ("whats-my-ip", "findip-host", "captive-portals", "crl-hostname", "crl-ip",
                       "microsoft-win10-connection-endpoints", "umbrella-blockpage-hostname", "umbrella-blockpage-v4",
                       "umbrella-blockpage-v6"),
    "vendor": ("security-provider-blogpost", "automated-malware-analysis"),
    "top": ("tranco10k", "cisco_top20k", "majestic_million", "alexa", "moz-top500", "google", "microsoft",
            "microsoft-office365", "university_domains", "bank-website"),
    "shortener": ("url-shortener", "link-in-bio"),
    "dyndns": ("dynamic-dns",),
    "hosting": ("lots-project", "digitalside", "public-ipfs-gateways"),
    "cloud": _CLOUD,
}


@dataclass
class _Intervals:
    """Sorted IP intervals of one category, each with the name of its list."""

    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    max_end: list[int] = field(default_factory=list)  # running maximum of ends, for nested ranges

    def build(self, items: list[tuple[int, int, str]]) -> None:
        items.sort()
        running = -1
        for start, end, name in items:
            running = max(running, end)
            self.starts.append(start)
            self.ends.append(end)
            self.names.append(name)
            self.max_end.append(running)

    def find(self, ip: int) -> str | None:
        i = bisect_right(self.starts, ip) - 1
        while i >= 0 and self.max_end[i] >= ip:
            if self.ends[i] >= ip:
                return self.names[i]
            i -= 1
        return None


@dataclass
class _Names:
    """Host names and strings of one category: exact entries and suffix (".example.com") entries."""

    exact: dict[str, str] = field(default_factory=dict)
    suffix: dict[str, str] = field(default_factory=dict)
    substrings: list[tuple[str, str]] = field(default_factory=list)

    def find_exact(self, value: str) -> str | None:
        return self.exact.get(value)

    def find_host(self, host: str) -> str | None:
        """The list naming ``host`` or one of its parent domains (MISP "hostname" semantics)."""
        name = self.exact.get(host)
        if name is not None:
            return name
        suffix = self.suffix
        parent = host
        while True:
            name = suffix.get(parent)
            if name is not None:
                return name
            dot = parent.find(".")
            if dot < 0:
                break
            parent = parent[dot + 1:]
        for needle, name in self.substrings:
            if needle in host:
                return name
        return None


@dataclass(eq=False)  # hashed by identity: memoised verdicts key on it
class Warninglists:
    """The loaded categories; build with :func:`get_warninglists`."""

    ips: dict[tuple[str, int], _Intervals] = field(default_factory=dict)  # (category, ip version)
    names: dict[str, _Names] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)  # list folder -> list version
    _memo: dict[tuple[str, str], str | None] = field(default_factory=dict)  # (category, host) -> list

    def ip(self, category: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
        index = self.ips.get((category, address.version))
        return index.find(int(address)) if index else None

    def host(self, category: str, host: str) -> str | None:
        key = (category, host)
        try:
            return self._memo[key]
        except KeyError:
            pass
        index = self.names.get(category)
        name = index.find_host(host) if index else None
        if len(self._memo) > 200_000:  # bounded: a long-running worker sees endless hosts
            self._memo.clear()
        self._memo[key] = name
        return name

    def exact(self, category: str, value: str) -> str | None:
        index = self.names.get(category)
        return index.find_exact(value) if index else None

    def entry(self, category: str, host: str) -> str | None:
        """The list naming ``host`` itself (an exact entry, or the base of a ".host" entry)."""
        index = self.names.get(category)
        return (index.exact.get(host) or index.suffix.get(host)) if index else None


def _parse_cidr(entry: str) -> tuple[int, int, int] | None:
    """``(version, first, last)`` of an address or CIDR block. IPv4 goes through ``inet_aton``
    (the resolver and VPN lists hold 100k entries; ``ipaddress`` would take seconds)."""
    addr, _, bits = entry.partition("/")
    if ":" not in addr:
        try:
            value = int.from_bytes(socket.inet_aton(addr), "big")
        except OSError:
            return None
        prefix = int(bits) if bits.isdigit() and int(bits) <= 32 else 32
        host_mask = (1 << (32 - prefix)) - 1
        return 4, value & ~host_mask, value | host_mask
    try:
        net = ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return None
    return net.version, int(net.network_address), int(net.broadcast_address)


def _merge_first_wins(target: dict[str, str], keys: list[str], name: str) -> dict[str, str]:
    """``target`` plus ``keys`` -> ``name``; an entry already named by an earlier list keeps its name."""
    added = dict.fromkeys(keys, name)
    added.update(target)
    return added


def _add_list(wl: Warninglists, category: str, folder: str, ip_items: dict[int, list]) -> None:
    path = LISTS_DIR / folder / "list.json"
    if not path.exists():
        return
    data = json.loads(path.read_text(encoding="utf-8"))
    name, kind = data.get("name", folder), data.get("type", "string")
    wl.versions[folder] = str(data.get("version", ""))
    names = wl.names.setdefault(category, _Names())
    entries = [e for e in (str(raw).strip().lower() for raw in data.get("list", [])) if e]
    if kind == "cidr":
        for entry in entries:
            parsed = _parse_cidr(entry)
            if parsed is not None:
                ip_items[parsed[0]].append((parsed[1], parsed[2], name))
    elif kind == "substring":
        names.substrings.extend((entry, name) for entry in entries)
    else:  # exact for "string" semantics; a host entry also covers its sub-domains
        plain = [e for e in entries if not e.startswith(".")]
        names.exact = _merge_first_wins(names.exact, plain, name)
        if category != "benign_hash":
            names.suffix = _merge_first_wins(names.suffix, plain + [e[1:] for e in entries if e.startswith(".")], name)


def load() -> Warninglists:
    wl = Warninglists()
    for category, folders in USES.items():
        ip_items: dict[int, list] = {4: [], 6: []}
        for folder in folders:
            _add_list(wl, category, folder, ip_items)
        for ip_version, items in ip_items.items():
            if items:
                index = _Intervals()
                index.build(items)
                wl.ips[(category, ip_version)] = index
    return wl


_LOCK = threading.Lock()
_INSTANCE: Warninglists | None = None


def get_warninglists() -> Warninglists:
    """The process-wide index, built on first use (about a second) and kept; threads that ask
    while it is being built wait for that one build."""
    global _INSTANCE
    if _INSTANCE is None:
        with _LOCK:
            if _INSTANCE is None:
                _INSTANCE = load()
    return _INSTANCE


def package_version() -> str:
    try:
        return version("pymispwarninglists")
    except Exception:
        return "unknown"
