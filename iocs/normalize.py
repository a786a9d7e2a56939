"""IOC types, refanging and normalisation: the one canonical form every part of ThreatCluster uses.

A value is stored, looked up, exported and deduplicated in the form :func:`normalize` returns, so
``hxxp://Evil[.]COM/x`` found in a report, typed in the lookup box or imported from MISP is one IOC.

- IPs: ``ipaddress`` canonical text (IPv6 compressed, lower-case); IPv4 with leading zeros rejected.
- Domains, e-mail addresses, hashes, ETH addresses: lower-case; IDN domains as punycode; no trailing dot.
- URLs: scheme and host lower-cased, default port dropped, empty path written ``/``, fragment dropped;
  path and query kept byte for byte (they are case-sensitive on most servers).
- BTC (base58check or bech32), XMR: case-sensitive, must pass their checksums (``iocs.wallets``);
  bech32 is lower-cased.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import quote, urlsplit, urlunsplit

from django.db import models

from . import wallets

MAX_VALUE_LENGTH = 2048


class IOCType(models.TextChoices):
    IPV4 = "ipv4", "IPv4 address"
    IPV6 = "ipv6", "IPv6 address"
    DOMAIN = "domain", "Domain name"
    URL = "url", "URL"
    MD5 = "md5", "MD5"
    SHA1 = "sha1", "SHA-1"
    SHA256 = "sha256", "SHA-256"
    EMAIL = "email", "E-mail address"
    BTC = "btc", "Bitcoin address"
    ETH = "eth", "Ethereum address"
    XMR = "xmr", "Monero address"


NETWORK_TYPES = frozenset({IOCType.IPV4, IOCType.IPV6, IOCType.DOMAIN, IOCType.URL})
HASH_TYPES = frozenset({IOCType.MD5, IOCType.SHA1, IOCType.SHA256})
WALLET_TYPES = frozenset({IOCType.BTC, IOCType.ETH, IOCType.XMR})


class InvalidIOC(ValueError):
    """The value is not a valid IOC of the given type."""


#
# Refanging
#
# Order matters: the bracketed forms first, so "[.]" does not leave "[]" behind.
_REFANG_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\[\s*:\s*//\s*\]|\[\s*://\s*\]"), "://"),
    (re.compile(r"(?i)\bh(?:xx|XX|\*\*|tt)p(s?)(?=\s*(?:\[?:\]?|\[://\]))"), r"http\1"),
    (re.compile(r"(?i)\bfxp(?=\s*(?:\[?:\]?))"), "ftp"),
    (re.compile(r"\s?[\[({]\s*(?:\.|dot)\s*[\])}]\s?", re.IGNORECASE), "."),
    (re.compile(r"\s?\\\.\s?"), "."),
    (re.compile(r"\[\s*:\s*\]"), ":"),
    (re.compile(r"\s?[\[({]\s*(?:@|at)\s*[\])}]\s?", re.IGNORECASE), "@"),
    (re.compile(r"\[/\]"), "/"),
]


# Every rule above needs one of these; a value without any is returned untouched (the common case).
_MAYBE_DEFANGED = re.compile(r"[\[({\\]")


def refang(text: str) -> str:
    """Undo the usual defanging styles: ``hxxp``, ``[.]``, ``(.)``, ``{.}``, ``[dot]``, ``[:]``,
    ``[@]``, ``[at]``, ``[://]``, ``\\.``. Plain prose is left as it is."""
    if not _MAYBE_DEFANGED.search(text):
        low = text.lower()
        if "hxxp" not in low and "h**p" not in low and "fxp" not in low and ("http" not in low or "http" in text):
            return text
    for pattern, replacement in _REFANG_RULES:
        text = pattern.sub(replacement, text)
    return text


def defang(ioc_type: str, value: str) -> str:
    """The safe-to-click form of a normalised value (``hxxp``, ``[.]``, ``[@]``); hashes unchanged."""
    if ioc_type in (IOCType.URL,):
        value = re.sub(r"^http", "hxxp", value, flags=re.IGNORECASE)
        scheme, sep, rest = value.partition("://")
        host, slash, tail = rest.partition("/")
        return f"{scheme}[:]//{host.replace('.', '[.]')}{slash}{tail}" if sep else value.replace(".", "[.]")
    if ioc_type in (IOCType.DOMAIN, IOCType.IPV4):
        return value.replace(".", "[.]")
    if ioc_type == IOCType.IPV6:
        return value.replace(":", "[:]")
    if ioc_type == IOCType.EMAIL:
        local, _, domain = value.partition("@")
        return f"{local}[@]{domain.replace('.', '[.]')}"
    return value


#
# Per-type normalisers
#
# Labels of 1-63 [a-z0-9_-] not starting or ending with "-", at least two, the last a TLD shape.
_DOMAIN = re.compile(r"(?:(?!-)[a-z0-9_-]{1,63}(?<!-)\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})")
_DOTTED_QUAD = re.compile(r"[0-9.]+")
_HEX = {IOCType.MD5: 32, IOCType.SHA1: 40, IOCType.SHA256: 64}
_EMAIL_LOCAL = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}")
URL_SCHEMES = frozenset({"http", "https", "ftp", "ftps", "sftp", "ws", "wss", "tcp", "udp", "smb", "file"})
_DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21, "ws": 80, "wss": 443}


def normalize_ipv4(value: str) -> str:
    try:
        return str(ipaddress.IPv4Address(value.strip()))
    except ValueError as exc:
        raise InvalidIOC(f"not an IPv4 address: {value!r}") from exc


def normalize_ipv6(value: str) -> str:
    text = value.strip().strip("[]")
    try:
        return ipaddress.IPv6Address(text).compressed
    except ValueError as exc:
        raise InvalidIOC(f"not an IPv6 address: {value!r}") from exc


def normalize_domain(value: str) -> str:
    text = value.strip().rstrip(".").lower()
    if not text.isascii():
        try:
            text = text.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise InvalidIOC(f"not a domain name: {value!r}") from exc
    if len(text) > 253 or not _DOMAIN.fullmatch(text):
        raise InvalidIOC(f"not a domain name: {value!r}")
    return text


def _normalize_host(host: str) -> str:
    if host.startswith("["):
        return f"[{normalize_ipv6(host)}]"
    if _DOTTED_QUAD.fullmatch(host):
        return normalize_ipv4(host)
    return normalize_domain(host)


_URL_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f]")


def normalize_url(value: str) -> str:
    text = refang(value.strip())
    if _URL_FORBIDDEN.search(text):
        raise InvalidIOC(f"a URL cannot contain spaces or control characters: {value!r}")
    if "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise InvalidIOC(f"not a URL: {value!r}") from exc
    scheme = parts.scheme.lower()
    hostname = parts.hostname
    if scheme not in URL_SCHEMES or not hostname:
        raise InvalidIOC(f"not a URL (scheme or host missing): {value!r}")
    host = _normalize_host(hostname if ":" not in hostname else f"[{hostname}]")
    netloc = host
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{host}:{port}"
    if "@" in parts.netloc and parts.username is not None:
        userinfo = parts.username + (f":{parts.password}" if parts.password is not None else "")
        netloc = f"{userinfo}@{netloc}"
    path = _ascii_only(parts.path) or "/"
    url = urlunsplit((scheme, netloc, path, _ascii_only(parts.query), ""))
    if len(url) > MAX_VALUE_LENGTH:
        raise InvalidIOC(f"URL longer than {MAX_VALUE_LENGTH} characters")
    return url


def _ascii_only(text: str) -> str:
    """Percent-encode non-ASCII characters (RFC 3987 to RFC 3986), leaving existing escapes alone."""
    return text if text.isascii() else quote(text, safe="".join(chr(c) for c in range(33, 127)))


def normalize_hash(ioc_type: str, value: str) -> str:
    text = value.strip().lower()
    if len(text) != _HEX[ioc_type] or not all(c in "0123456789abcdef" for c in text):
        raise InvalidIOC(f"not an {ioc_type.upper()} hash: {value!r}")
    return text


def normalize_email(value: str) -> str:
    text = refang(value.strip()).lower().removeprefix("mailto:")
    local, at, domain = text.rpartition("@")
    if not at or not _EMAIL_LOCAL.fullmatch(local) or local.startswith(".") or local.endswith("."):
        raise InvalidIOC(f"not an e-mail address: {value!r}")
    return f"{local}@{normalize_domain(domain)}"


def normalize_btc(value: str) -> str:
    text = value.strip()
    if text[:3].lower() == "bc1":
        text = text.lower() if text.upper() == text else text
    if not wallets.is_valid_btc(text):
        raise InvalidIOC(f"not a Bitcoin address with a valid checksum: {value!r}")
    return text


def normalize_eth(value: str) -> str:
    text = value.strip()
    if not wallets.is_valid_eth(text):
        raise InvalidIOC(f"not an Ethereum address (0x + 40 hex, EIP-55 when mixed-case): {value!r}")
    return text.lower()


def normalize_xmr(value: str) -> str:
    text = value.strip()
    if not wallets.is_valid_xmr(text):
        raise InvalidIOC(f"not a Monero address with a valid checksum: {value!r}")
    return text


_NORMALIZERS = {
    IOCType.IPV4: normalize_ipv4,
    IOCType.IPV6: normalize_ipv6,
    IOCType.DOMAIN: normalize_domain,
    IOCType.URL: normalize_url,
    IOCType.MD5: lambda v: normalize_hash(IOCType.MD5, v),
    IOCType.SHA1: lambda v: normalize_hash(IOCType.SHA1, v),
    IOCType.SHA256: lambda v: normalize_hash(IOCType.SHA256, v),
    IOCType.EMAIL: normalize_email,
    IOCType.BTC: normalize_btc,
    IOCType.ETH: normalize_eth,
    IOCType.XMR: normalize_xmr,
}


def normalize(ioc_type: str, value: str) -> str:
    """The canonical form of ``value`` as an IOC of ``ioc_type``; :class:`InvalidIOC` if it is not one."""
    if ioc_type not in _NORMALIZERS:
        raise InvalidIOC(f"unknown IOC type {ioc_type!r}; use one of: {', '.join(IOCType.values)}")
    if not isinstance(value, str) or not value.strip():
        raise InvalidIOC("empty value")
    if len(value) > MAX_VALUE_LENGTH:
        raise InvalidIOC(f"value longer than {MAX_VALUE_LENGTH} characters")
    text = value if ioc_type in WALLET_TYPES or ioc_type in HASH_TYPES else refang(value)
    return _NORMALIZERS[ioc_type](text)


# Tried in this order by infer_type: the most specific shapes first.
_INFER_ORDER = (
    IOCType.MD5, IOCType.SHA1, IOCType.SHA256, IOCType.ETH, IOCType.IPV4, IOCType.IPV6,
    IOCType.EMAIL, IOCType.BTC, IOCType.XMR, IOCType.DOMAIN,
)


def infer_type(value: str) -> tuple[str, str] | None:
    """Guess the type of a single value typed by a person: ``(type, normalised value)`` or None."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_VALUE_LENGTH:
        return None
    text = refang(value.strip())
    if "://" in text or ("/" in text and not _looks_like_cidr(text)):
        try:
            return IOCType.URL, normalize_url(text)
        except InvalidIOC:
            return None
    for ioc_type in _INFER_ORDER:
        try:
            return ioc_type, normalize(ioc_type, text)
        except InvalidIOC:
            continue
    return None


def _looks_like_cidr(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True
