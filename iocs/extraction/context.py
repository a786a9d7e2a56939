"""The words around a value: the sentence or table row it came from, and what they say about it.

Keyword categories (what the classifier reads in ``ExtractedIOC.keywords``):

- threat cues: ``c2`` (C2, C&C, command and control, beacon), ``payload`` (payload, dropper,
  downloader, loader, stager, implant, backdoor), ``phishing`` (phishing, lure, spoofed, fake),
  ``exfiltration``, ``abused`` (a legitimate service abused by the attackers), ``malicious``
  (malicious, malware, attacker, ransomware, miner, botnet, exploit), ``delivery`` (download,
  hosted, distribution, served from), ``ioc`` (IoC, indicators);
- benign cues: ``reference`` (blog post, article, white paper, documentation, advisory, "more
  information", "available at", "see also", "for details"), ``legitimate`` (legitimate, clean,
  official, genuine, trusted: weak, abused legitimate software is still an IOC), ``benign``
  (benign, harmless, not malicious: explicit), ``victim`` (victim, targeted organisation).

Roles (:func:`roles_in`, read from a column header, a label right before the value, or for a hash
its nearest heading) say a value is not an indicator of its type: ``password`` (password,
passphrase, credential), ``certificate`` (thumbprint, certificate, serial, x509, fingerprint),
``other_hash`` (imphash, authentihash, ssdeep, TLSH, pdb, GUID, mutex, JA3, RSA key, user agent).
"""

from __future__ import annotations

import re

# Whole words (lower-case) -> category.
_WORDS: dict[str, str] = {}
for _category, _words in {
    "c2": "c2 c&c cnc beacon beacons beaconing callback",
    "payload": "payload payloads dropper droppers downloader downloaders loader loaders stager stagers implant "
               "implants backdoor backdoors trojan trojans trojanized rat",
    "phishing": "phishing phish phished lure lures spoofed spoofing fake typosquatting impersonating",
    "exfiltration": "exfiltration exfiltrate exfiltrated exfil",
    "abused": "abused abuse abuses abusing misused",
    "malicious": "malicious malware attacker attackers ransomware miner miners botnet exploit exploits exploited "
                 "apt",
    "delivery": "download downloads downloaded hosted hosting distributed distribution served staging",
    "ioc": "ioc iocs indicator indicators",
    "legitimate": "legitimate clean official genuine trusted",
    "benign": "benign harmless",
    "reference": "blog blogs blogpost blogposts article articles paper papers whitepaper whitepapers "
                 "documentation advisory advisories",
    "victim": "victim victims",
}.items():
    _WORDS.update(dict.fromkeys(_words.split(), _category))

# Phrases (lower-case substrings) -> category.
_PHRASES: tuple[tuple[str, str], ...] = (
    ("command and control", "c2"), ("command-and-control", "c2"), ("control server", "c2"),
    ("threat actor", "malicious"), ("served from", "delivery"), ("not malicious", "benign"),
    ("non-malicious", "benign"), ("not malware", "benign"),
    ("blog post", "reference"), ("more information", "reference"), ("available at", "reference"),
    ("available on", "reference"), ("available here", "reference"), ("read more", "reference"),
    ("see also", "reference"), ("targeted organi", "victim"), ("white paper", "reference"),
    ("for details", "reference"), ("our report", "reference"), ("this report", "reference"),
    ("published by", "reference"), ("published on", "reference"), ("research paper", "reference"),
)
# Words are split with str.translate + str.split (C speed; a regex findall costs ~10x more).
_SPACES = str.maketrans(dict.fromkeys("!\"#$%'()*+,-./:;<=>?@[\\]^_`{|}~\t\r\n\x0b\x0c", " "))
# "legitimate-looking" is no claim of legitimacy.
_NEGATED = re.compile(r"legitimate[- ]looking|legit[- ]looking")
# Negations whose words must not count on their own ("not malicious" is no "malicious").
_NEGATIONS = ("not malicious", "non-malicious", "not malware")
# Phrases are looked for only when their first word is present (one set intersection per text).
_PHRASES_BY_FIRST: dict[str, list[tuple[str, str]]] = {}
for _phrase, _category in _PHRASES:
    _PHRASES_BY_FIRST.setdefault(_phrase.replace("-", " ").split()[0], []).append((_phrase, _category))
_TRIGGERS = frozenset(_WORDS) | frozenset(_PHRASES_BY_FIRST)

THREAT_CUES = frozenset({"c2", "payload", "phishing", "exfiltration", "abused", "malicious", "delivery", "ioc"})
BENIGN_CUES = frozenset({"legitimate", "benign", "reference", "victim"})
ROLES = frozenset({"certificate", "password", "other_hash"})

_SENTENCE_END = re.compile(r"[.!?](?=\s)|\n\s*\n")
MAX_CONTEXT = 300


_ROLE = re.compile(
    r"(?i)\b(?:(?P<password>passwords?|passwd|passphrases?|credentials?)|"
    r"(?P<certificate>thumbprints?|certificates?|serial(?: number)?|x\.?509|fingerprints?|signer)|"
    r"(?P<other_hash>imphash|authentihash|ssdeep|tlsh|pdb|mutex(?:es)?|guid|ja3s?|jarm|rsa|public key|modulus|"
    r"user[- ]agents?|registry))\b"
)


def roles_in(label: str) -> frozenset[str]:
    """Role categories named in a column header or label."""
    return frozenset(m.lastgroup for m in _ROLE.finditer(label) if m.lastgroup)


_EMPTY: frozenset[str] = frozenset()


def keywords(text: str) -> frozenset[str]:
    """Keyword categories present in ``text``."""
    low = text.lower()
    if "looking" in low:
        low = _NEGATED.sub(" ", low)
    present = _TRIGGERS.intersection(low.translate(_SPACES).split())
    if not present:
        return _EMPTY
    found = set()
    for word in present:
        for phrase, category in _PHRASES_BY_FIRST.get(word, ()):
            if phrase in low:
                found.add(category)
    if "benign" in found:  # words inside a negation do not count on their own
        for negation in _NEGATIONS:
            low = low.replace(negation, " ")
        present = _TRIGGERS.intersection(low.translate(_SPACES).split())
    found.update(_WORDS[w] for w in present if w in _WORDS)
    return frozenset(found)


def sentence_bounds(text: str, start: int, end: int, lo: int, hi: int) -> tuple[int, int]:
    """The sentence around ``text[start:end]``, searched within ``[lo, hi)`` (a paragraph window)."""
    left = max(lo, start - MAX_CONTEXT // 2)
    s = left
    for m in _SENTENCE_END.finditer(text, left, start):
        s = m.end()
    right = min(hi, end + MAX_CONTEXT // 2)
    m = _SENTENCE_END.search(text, end, right)
    e = m.end() if m else right
    return s, e


def tidy(text: str) -> str:
    """One line, no runs of blanks, at most MAX_CONTEXT characters."""
    text = " ".join(text.split())
    return text if len(text) <= MAX_CONTEXT else text[: MAX_CONTEXT - 1] + "\u2026"
