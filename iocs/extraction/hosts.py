"""Is this dotted token a host name? Public suffixes offline, and the usual impostors.

The public suffix list comes from the snapshot bundled with ``tldextract``; the extractors here
are built with ``suffix_list_urls=()`` and no cache directory, so nothing is ever fetched or
written. Results are memoised: reports repeat the same names many times.

Impostors that sit on real TLDs and fool every regex-only extractor, rejected here in general:

- file and library names: ``libc.so``, ``loader.zip``, ``setup.py``, ``install.sh`` — a name on a
  TLD that is also a common file extension (:data:`FILE_LIKE_TLDS`) needs a network cue
  (defanged, inside a URL, in a network section or column) before it is a domain;
- Java/Android package names: ``com.example.app``, ``android.permission.CAMERA``;
- antivirus detection names: ``Linux/SSHDoor.AC``, ``Win32/Agent.AB`` (the slash is handled by
  the caller; here: a mixed-case name whose last label is upper-case, or a platform label such as
  ``Win32`` or ``MSIL`` inside the name);
- glued markup: ``www.example.orgText`` (AsciiDoc ``url[text]`` with the brackets stripped) is
  cut back to ``www.example.org`` at the case change.
"""

from __future__ import annotations

from functools import lru_cache

import tldextract

# Offline: no URL to fetch, no cache directory to write; the bundled snapshot is used. Only the
# rule lists are taken from tldextract; matching is done here (a set lookup per label).
_ICANN = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True,
                               include_psl_private_domains=False)
_WITH_PRIVATE = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True,
                                      include_psl_private_domains=True)


def _punycode(rule: str) -> str:
    labels = []
    for label in rule.split("."):
        prefix = label[0] if label[:1] in ("*", "!") else ""
        body = label[len(prefix):]
        try:
            labels.append(prefix + (body.encode("idna").decode("ascii") if not body.isascii() else body))
        except UnicodeError:
            labels.append(label)
    return ".".join(labels)


def _rules(raw: list[str]) -> frozenset[str]:
    return frozenset(raw) | frozenset(_punycode(rule) for rule in raw if not rule.isascii())


# The public-suffix rules ("co.uk", "*.ck", "!www.ck"; also in punycode, as hosts are stored),
# ICANN section alone and with the private section (blogspot.com, duckdns.org, github.io, ...).
_SUFFIX_RULES: frozenset[str] = _rules(_ICANN.tlds)
_ALL_RULES: frozenset[str] = _rules(_WITH_PRIVATE.tlds)
_PRIVATE_RULES: frozenset[str] = _ALL_RULES - _SUFFIX_RULES
TLDS: frozenset[str] = frozenset(rule.rsplit(".", 1)[-1].lstrip("*!") for rule in _SUFFIX_RULES)


def _suffix_start(labels: list[str], rules: frozenset[str]) -> tuple[int, str]:
    """Index of the first label of the public suffix of ``labels`` (the PSL algorithm: longest
    matching rule, wildcards, exceptions, implicit "*") and the rule that matched."""
    for i in range(len(labels)):
        candidate = ".".join(labels[i:])
        if "!" + candidate in rules:
            return i + 1, "!" + candidate
        if candidate in rules:
            return i, candidate
        if i + 1 < len(labels) and "*." + ".".join(labels[i + 1:]) in rules:
            return i, "*." + ".".join(labels[i + 1:])
    return len(labels) - 1, "*"

# TLDs that are also file extensions seen in reports (archives, scripts, libraries, sources,
# documents, macOS bundles). ".in"/".ac" are left out: they are busy ccTLDs.
FILE_LIKE_TLDS = frozenset({
    "zip", "mov", "so", "py", "sh", "pl", "pm", "rs", "md", "mk", "ps", "cc", "cab", "ai", "run",
    "sc", "bz", "one", "tf", "ml", "am", "la", "cat", "fish", "pub", "app", "csv", "jar",
})

# First labels of Java/Android package and class names (reverse-DNS identifiers).
JAVA_ROOTS = frozenset({"com", "org", "net", "android", "androidx", "java", "javax", "kotlin", "dalvik",
                        })

# Platform/type labels of antivirus detection names (ESET, Kaspersky, Microsoft styles).
DETECTION_LABELS = frozenset({
    "win32", "win64", "w32", "w64", "msil", "linux", "osx", "macos", "android", "ios", "unix", "multi",
    "html", "js", "vbs", "vba", "java", "python", "perl", "php", "bat", "powershell", "doc", "docx",
    "trojan", "backdoor", "exploit", "trojandropper", "trojandownloader", "trojanspy", "hacktool",
    "riskware", "adware", "pua", "heur", "generic", "genkryptik", "kryptik", "agent", "spy", "filecoder",
})


@lru_cache(maxsize=65536)
def registered_domain(host: str) -> str:
    """The registrable domain, private suffixes included (``x.duckdns.org`` is its own owner)."""
    labels = host.split(".")
    start, _ = _suffix_start(labels, _ALL_RULES)
    return ".".join(labels[start - 1:]) if start > 0 else host


@lru_cache(maxsize=65536)
def is_private_suffix_host(host: str) -> bool:
    """True for a name registered under a private suffix (``a.github.io``, ``b.duckdns.org``)."""
    labels = host.split(".")
    start, rule = _suffix_start(labels, _ALL_RULES)
    return start > 0 and rule in _PRIVATE_RULES


def is_public_host(host: str) -> bool:
    """A lower-case dotted name that can exist on the Internet: a known TLD, and not itself a
    public suffix (``co.uk``, ``com.br``), so that someone can have registered it."""
    if host.rsplit(".", 1)[-1] not in TLDS or host in _SUFFIX_RULES:
        return False
    parent = host.split(".", 1)[1]
    return f"*.{parent}" not in _SUFFIX_RULES or f"!{host}" in _SUFFIX_RULES


def unglue(token: str) -> str | None:
    """``www.example.orgText`` -> ``www.example.org`` when the last label only becomes a TLD
    by cutting at a lower-to-upper case change; None when there is no such cut."""
    head, _, last = token.rpartition(".")
    if not head:
        return None
    for i in range(2, len(last)):
        if last[i].isupper() and last[i - 1].islower():
            tld = last[:i]
            if tld.islower() and tld in TLDS:
                return f"{head}.{tld}"
            return None
    return None


_COMMON_UPPER_TLDS = frozenset({"COM", "NET", "ORG", "INFO", "BIZ", "TOP", "XYZ", "ONLINE", "SITE", "CLUB"})


def looks_like_detection_name(token: str) -> bool:
    """``SSHDoor.AC``, ``Agent.AB``, ``Win32.Agent.xyz``: malware names, not hosts."""
    labels = token.split(".")
    last = labels[-1]
    if last.isupper() and last not in _COMMON_UPPER_TLDS and any(c.islower() for c in token[: -len(last)]):
        return True  # variant letters: SSHDoor.AC, Agent.ABC (but Example-Mal.COM is a host)
    inner = {label.lower() for label in labels[:-1]}
    return bool(inner & DETECTION_LABELS) and any(c.isupper() for c in token)


def looks_like_package_name(host: str) -> bool:
    """``com.example.app``, ``android.permission.camera``: reverse-DNS identifiers."""
    first = host.split(".", 1)[0]
    return first in JAVA_ROOTS and host.count(".") >= 1 and not host.startswith(("www.",))


def looks_like_library(host: str) -> bool:
    """``libc.so``, ``libcurl.so``, ``mod_env.so``: shared objects, whatever the context."""
    return host.endswith(".so") and (host.startswith(("lib", "mod_")) or (host.count(".") == 1 and "_" in host))


def looks_like_file_name(host: str) -> bool:
    """A name on a file-extension TLD (``loader.zip``, ``libc.so``): only a domain with a network cue."""
    return host.rsplit(".", 1)[-1] in FILE_LIKE_TLDS
