"""The extraction passes, in order. Each finds candidates with a pattern, validates them, and
records the survivors; URL and e-mail matches are blanked out before the later passes.

What is *not* an IOC, decided here because it is not even a value of the type:

- a dotted token right after ``/`` or ``\\`` is a path component or a detection name
  (``/usr/lib/libc.so``, ``Linux/SSHDoor.AC``), never a host on its own;
- a name on a file-extension TLD (``loader.zip``, ``libpw3.so``) without a network cue;
- Java/Android package names (``com.example.app``) and detection names (``Win32.Agent.AB``);
- IPv4-looking versions: more than four numeric labels, or right after "version"/"v"/"build";
- IPv6-looking times and counters (``12:30::``): all groups short decimals, or fewer than three;
- a hash inside a URL (blanked), glued to a word (``file_<md5>``), all digits, or a line of a longer
  hex blob (a key or modulus wrapped over several lines);
- wallet addresses whose checksum fails.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from . import hosts, patterns
from .document import DocumentState, Hit, blank


def run_passes(state: DocumentState) -> None:
    text = state.doc.text
    spans = _urls(state, text) + _magnets(text)
    text = blank(text, sorted(spans))
    spans = _emails(state, text)
    text = blank(text, spans)
    _dotted(state, text)
    if not text.isascii():
        _idn(state, text)
    _ipv6(state, text)
    _long_runs(state, text)
    _entities(state, text)


#
# URLs
#
def _trim_url(url: str) -> str:
    while url:
        last = url[-1]
        if last in patterns.URL_TRAILING or (last == ")" and url.count("(") < url.count(")")):
            url = url[:-1]
        else:
            break
    return url


def _is_link(text: str, start: int, end: int) -> bool:
    """Cited as a hyperlink: AsciiDoc ``url[text]``, Markdown ``[text](url)``, ``<url>``, ``href=``."""
    after = text[end:end + 1]
    before = text[max(0, start - 6):start]
    return (after == "[" or before.endswith("](") or (before.endswith("<") and after == ">")
            or before.lower().endswith(("href=\"", "href='", "src=\"")))


def _host_ok(host: str) -> bool:
    if host[:1].isdigit() or ":" in host:
        try:
            ipaddress.ip_address(host.strip("[]"))
            return True
        except ValueError:
            pass
    return hosts.is_public_host(host)


def _urls(state: DocumentState, text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    last_end = 0
    for anchor in patterns.URL_ANCHOR.finditer(text):
        pos = anchor.start()
        if pos < last_end:
            continue  # a "://" inside the previous URL (a redirect parameter)
        scheme = patterns.URL_SCHEME_BEFORE.search(text, max(0, pos - 6), pos)
        if not scheme or (scheme.start() and text[scheme.start() - 1].isalnum()):
            continue
        body = patterns.URL_BODY.match(text, pos + 3)
        if not body:
            continue
        start = scheme.start()
        raw = _trim_url(text[start:body.end()])
        if _url(state, text, raw, start):
            spans.append((start, start + len(raw)))
        last_end = body.end()  # a "://" inside this candidate, valid or not, starts no other URL
    return spans


def _url(state: DocumentState, text: str, raw: str, start: int) -> bool:
    end = start + len(raw)
    try:
        host = urlsplit(raw).hostname or ""
    except ValueError:
        return False
    if not _host_ok(host):
        netloc_end = raw.find(host) + len(host) if host else -1
        glued = hosts.unglue(raw[raw.find("://") + 3:netloc_end]) if netloc_end > 0 else None
        if not glued:
            return False
        raw = raw[:raw.find("://") + 3] + glued
        end = start + len(raw)
    value = state.norm("url", raw)
    if value is None:
        return False
    state.add("url", value, Hit(start, end, link=_is_link(text, start, end)))
    return True


def _magnets(text: str) -> list[tuple[int, int]]:
    """Magnet links: not IOCs of ours, but their display names hold file names and versions."""
    return [(m.start() - 1, m.end()) for m in patterns.MAGNET_ANCHOR.finditer(text)
            if m.start() and text[m.start() - 1] in "mM"]


#
# E-mail addresses
#
def _emails(state: DocumentState, text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for anchor in patterns.AT_ANCHOR.finditer(text):
        pos = anchor.start()
        local = patterns.EMAIL_LOCAL_BEFORE.search(text, max(0, pos - 64), pos)
        domain = patterns.EMAIL_DOMAIN_AFTER.match(text, pos + 1)
        if not local or not domain:
            continue
        start, end = local.start(), domain.end()
        if start and (text[start - 1].isalnum() or text[start - 1] in "._%+-/"):
            continue
        host = domain.group().lower()
        if not hosts.is_public_host(host) or hosts.looks_like_file_name(host):
            continue
        value = state.norm("email", text[start:end])
        if value is not None:
            spans.append((start, end))
            state.add("email", value, Hit(start, end))
    return spans


#
# Domains, IPv4 and scheme-less URLs
#
def _dotted(state: DocumentState, text: str) -> None:
    last_end = 0
    reverse = text[::-1]  # the label before a dot is matched forwards in the reversed text
    n = len(text)
    label_run, dotted_from = patterns.LABEL_RUN.match, patterns.DOTTED_FROM.match
    for anchor in patterns.DOT_ANCHOR.finditer(text):
        pos = anchor.start()
        if pos < last_end or not pos:
            continue
        label = label_run(reverse, n - pos)
        if label is None:
            continue
        start = pos - (label.end() - label.start())
        token_m = dotted_from(text, start)
        last_end = token_m.end()
        if start and (text[start - 1] in _NOT_BEFORE_HOST or text[start - 1].isalnum()):
            continue  # inside a longer word, a path component or a detection name (Linux/SSHDoor.AC)
        token = token_m.group().rstrip("-_")
        labels = token.split(".")
        if labels[-1].isdigit():
            if len(labels) == 4 and all(label.isdigit() for label in labels):
                _ipv4(state, text, token, start, start + len(token))
            continue
        _domain(state, text, token, start, start + len(token))


_NOT_BEFORE_HOST = frozenset("_@.-/\\") | frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def _idn(state: DocumentState, text: str) -> None:
    """Host names with non-ASCII letters (``bücher.example``, Cyrillic look-alikes of a brand's
    domain), stored in their punycode form."""
    last_end = 0
    for run in patterns.NON_ASCII.finditer(text):
        if run.start() < last_end or not any(c.isalpha() for c in run.group()):
            continue
        left = patterns.IDN_BEFORE.search(text, max(0, run.start() - 253), run.start())
        start = left.start() if left else run.start()
        token_m = patterns.IDN_TOKEN.match(text, start)
        if token_m is None or token_m.end() < run.end():
            continue
        last_end = token_m.end()
        if start and text[start - 1] in _NOT_BEFORE_HOST:
            continue
        token = token_m.group().rstrip("-_")
        try:
            host = token.lower().encode("idna").decode("ascii")
        except UnicodeError:
            continue
        if hosts.is_public_host(host) and not hosts.looks_like_file_name(host):
            _host_or_url(state, text, "domain", host, start, start + len(token))


def _tail(text: str, end: int) -> tuple[str, int]:
    """A port and/or path glued after a host: ``(":8080/x", new_end)``, or ``("", end)``."""
    if text[end:end + 1] not in (":", "/"):
        return "", end
    m = patterns.PORT_PATH.match(text, end)
    if not m or m.end() == end:
        return "", end
    tail = m.group()
    if m.group(2):
        tail = tail[: len(tail) - len(m.group(2))] + _trim_url(m.group(2))
    return tail, end + len(tail)


def _host_or_url(state: DocumentState, text: str, host_type: str, host: str, start: int, end: int) -> None:
    tail, tail_end = _tail(text, end)
    path = tail.split("/", 1)[1] if "/" in tail else None
    if path:
        if host_type == "ipv4" and path.isascii() and path.isdigit() and int(path) <= 32:
            return  # a CIDR block, not one address
        value = state.norm("url", f"http://{host}{tail}")
        if value is not None:
            state.add("url", value, Hit(start, tail_end))
            return
    value = state.norm(host_type, host)
    if value is not None:
        state.add(host_type, value, Hit(start, end))


def _ipv4(state: DocumentState, text: str, token: str, start: int, end: int) -> None:
    line_start = text.rfind("\n", 0, start) + 1
    if patterns.VERSION_WORDS.search(text, max(line_start, start - 24), start):
        return
    _host_or_url(state, text, "ipv4", token, start, end)


def _domain(state: DocumentState, text: str, token: str, start: int, end: int) -> None:
    if token.rsplit(".", 1)[-1].lower() not in hosts.TLDS:
        glued = hosts.unglue(token)
        if glued is None:
            return
        token, end = glued, start + len(glued)
    host = token.lower()
    if not hosts.is_public_host(host) or hosts.looks_like_detection_name(token):
        return
    defanged = state.doc.is_defanged(start, end)
    if hosts.looks_like_package_name(host) and not defanged:
        return
    if hosts.looks_like_file_name(host) and not defanged:
        if hosts.looks_like_library(host):
            return
        line = state.line_of(start)
        if not state.network_cue(line, start, defanged):
            return
    _host_or_url(state, text, "domain", host, start, end)


#
# IPv6
#
def _ipv6(state: DocumentState, text: str) -> None:
    last_end = 0
    for anchor in patterns.IPV6_ANCHOR.finditer(text):
        pos = anchor.start()
        if pos < last_end:
            continue
        left = patterns.IPV6_BEFORE.search(text, max(0, pos - 39), pos)
        start = left.start() if left else pos
        m = patterns.IPV6_FROM.match(text, start)
        if not m:
            continue
        last_end = end = m.end()
        before, after = text[start - 1:start], text[end:end + 1]
        if (before and (before.isalnum() or before in "_.:")) or (after and (after.isalnum() or after in "_:")):
            continue
        raw = m.group()
        groups = [g for g in raw.split(":") if g]
        if len(groups) < 3 or all(g.isdigit() and len(g) <= 2 for g in groups):
            continue  # times (12:30:45), counters, short forms that are no host
        value = state.norm("ipv6", raw)
        if value is not None:
            state.add("ipv6", value, Hit(start, end))


#
# Hashes
#
_HASH_TYPES = {32: "md5", 40: "sha1", 64: "sha256"}


def _in_hex_blob(state: DocumentState, start: int) -> bool:
    """Part of a key, modulus or dump wrapped over lines: a neighbouring line is longer hex."""
    line = state.line_of(start)
    for other in (line - 1, line + 1):
        if 0 <= other < len(state.lines):
            s = state.lines[other].strip()
            if len(s) not in _HASH_TYPES and patterns.HEX_LINE.fullmatch(s):
                return True
    return False


def _long_runs(state: DocumentState, text: str) -> None:
    """Hashes and wallet addresses: long alphanumeric runs told apart by length and alphabet."""
    for m in patterns.LONG_RUN.finditer(text):
        raw = m.group()
        start, end = m.span()
        n = len(raw)
        if n in _HASH_TYPES and patterns.HEX.fullmatch(raw):
            _hash(state, text, raw, start, end)
        elif n == 42 and raw.startswith("0x"):
            _wallet(state, "eth", raw, start, end)
        elif (raw[0] in "13" and n <= 35) or (raw[:3] in ("bc1", "BC1") and n <= 74):
            _wallet(state, "btc", raw, start, end)
        elif raw[0] in "48" and n in (95, 106):
            _wallet(state, "xmr", raw, start, end)


def _hash(state: DocumentState, text: str, raw: str, start: int, end: int) -> None:
    if raw.isdigit() or raw.isalpha():
        return
    if text[start - 1:start] == "_" or text[end:end + 1] == "_":
        return  # glued into a name (sample_<md5>)
    line_start = text.rfind("\n", 0, start) + 1
    if (line_start == start or text[line_start:start].isspace()) and _in_hex_blob(state, start):
        return
    state.add(_HASH_TYPES[len(raw)], raw.lower(), Hit(start, end))


def _wallet(state: DocumentState, ioc_type: str, raw: str, start: int, end: int) -> None:
    value = state.norm(ioc_type, raw)
    if value is not None:
        state.add(ioc_type, value, Hit(start, end))


def _entities(state: DocumentState, text: str) -> None:
    for rx in patterns.CVE_ANCHORS:
        for m in rx.finditer(text):
            if m.start() and (text[m.start() - 1].isalnum() or text[m.start() - 1] in "_-"):
                continue
            state.add("cve", f"CVE-{m.group(1)}-{m.group(2)}", Hit(*m.span()))
    for m in patterns.ATTACK.finditer(text):
        if m.start() and (text[m.start() - 1].isalnum() or text[m.start() - 1] in "_."):
            continue
        state.add("attack-pattern", m.group(), Hit(*m.span()))
