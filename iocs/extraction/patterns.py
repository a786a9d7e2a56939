"""The regular expressions of extraction, one per shape, run over refanged text.

They find *candidates*; every candidate is then validated (normalisation, public suffix, checksums)
and judged in context by :mod:`iocs.extraction.extractor`. Each pattern is anchored on a cheap first
character class so a megabyte is scanned in milliseconds.
"""

from __future__ import annotations

import re

URL_SCHEMES = r"https?|ftps?|sftp|wss?|tcp|udp|smb|file"

# Every pass is anchored on a literal ("://", "@", ".", ":", "CVE", "T1") or a long run, so the
# regex engine's fast search does the scanning; the shape around the anchor is then matched in
# place. (A lookbehind or an alternation in first position makes the engine try every offset.)
URL_ANCHOR = re.compile(r"://")
URL_SCHEME_BEFORE = re.compile(rf"(?:{URL_SCHEMES})$", re.IGNORECASE)
URL_BODY = re.compile(r"(?:\[[0-9A-Fa-f:.]{2,45}\]|[^\s<>\"'`{}|\\^\[\]()/?#]{1,255})[^\s<>\"'`{}|\\^\[\]]{0,2048}")
# URIs of other schemes are no IOC of ours, but their parameters hold file names and versions
# (magnet:?xt=...&dn=Setup.v2.0.1.zip): blanked with the URLs.
# A magnet link's display name often keeps its spaces: it runs to the end of the line or cell.
# Anchored on the literal "agnet:?" (an initial case-insensitive alternation would be tried at
# every offset); the "m" before it is checked by the caller.
MAGNET_ANCHOR = re.compile(r"agnet:\?[^\n|<>\"]+")
URL_TRAILING = ".,;:!?'\"*_~>"

AT_ANCHOR = re.compile(r"@")
EMAIL_LOCAL_BEFORE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}$")
EMAIL_DOMAIN_AFTER = re.compile(r"(?:[A-Za-z0-9_-]+\.)+[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]")

# A dotted token: host names, IPv4 addresses, and what only looks like them (file names,
# versions, detection names, package names). Judged in Python.
DOT_ANCHOR = re.compile(r"\.(?=[A-Za-z0-9_-])")
LABEL_RUN = re.compile(r"[A-Za-z0-9_-]{1,64}")
DOTTED_FROM = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+")
# Internationalised names: a run of non-ASCII characters, then the dotted token around it.
NON_ASCII = re.compile(r"[^\x00-\x7f]+")
IDN_BEFORE = re.compile(r"(?:[\w-]{1,63}\.){0,8}[\w-]{0,63}$")
IDN_TOKEN = re.compile(r"[\w-]+(?:\.[\w-]+)+")
PORT_PATH = re.compile(r"(?::(\d{1,5}))?(/[^\s<>\"'`{}|\\^\[\]]*)?")
VERSION_WORDS = re.compile(
    r"(?i)(?:\bversions?|\bver\.?|\bv\.?|\bbuild|\brelease|\bfirmware|\bupdate|\bOID)\s*[:#]?\s*$")

IPV6_ANCHOR = re.compile(r":[0-9A-Fa-f]{0,4}:")
IPV6_BEFORE = re.compile(r"[0-9A-Fa-f:]{0,39}$")
IPV6_FROM = re.compile(r"[0-9A-Fa-f:]{2,39}")

# Hashes and wallet addresses are long alphanumeric runs, told apart by length and alphabet.
LONG_RUN = re.compile(r"[0-9A-Za-z]{25,}")
HEX = re.compile(r"[0-9A-Fa-f]+")
HEX_LINE = re.compile(r"\s*[0-9A-Fa-f]{16,}\s*")
BASE58 = re.compile(r"[1-9A-HJ-NP-Za-km-z]+")

CVE_ANCHORS = (re.compile(r"CVE[-\u2010-\u2014 ]?(\d{4})[-\u2010-\u2014](\d{4,7})(?!\d)"),
               re.compile(r"cve[-\u2010-\u2014 ]?(\d{4})[-\u2010-\u2014](\d{4,7})(?!\d)"))
ATTACK = re.compile(r"T1\d{3}(?:\.\d{3})?(?![\w]|\.\d)")

# What may precede the first value of a list/table/code line: bullets, pipes, quotes, numbering.
LINE_LEAD = re.compile(r"[\s|*+>`'\"\u2022\u00b7\u25cf:,;(\[{-]*(?:\d{1,5}[.)]?\s*[|.)]?)?[\s|`'\"(\[-]*")
