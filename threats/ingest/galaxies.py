"""Recognise threat actors, malware and tools in report text, from the MISP galaxies shipped offline.

The names come from the galaxy files that ``pymispgalaxies`` ships (no network): actors from
``threat-actor`` and ``mitre-intrusion-set``, tools from ``mitre-tool`` and ``tool``, malware from
``mitre-malware`` and ``malpedia``. A cluster's value and its synonyms are its names; clusters of
the same kind that share a name are merged into one entity (the first galaxy read names it).

Matching rules (why each exists):

- **Word boundaries**: a name matches only as whole words. The characters around it must not be a
  letter, digit, ``_``, ``-``, ``@`` or ``/``, and not a dot joined to more text, so ``emotet.dll``,
  ``lazarus.example.com`` or ``anti-Emotet`` are not mentions, while ``APT28's`` and ``(Emotet)`` are.
- **Case**: a name written with capitals in the galaxy never matches an all-lower-case span
  (``hive`` the word, ``play`` the verb); names holding a digit (``APT28``, ``TA505``) match in any case.
- **Common words**: a common word that is only some entity's synonym never matches (the ``tool``
  galaxy lists "Hunter" for Tinba). A one-word name that is an ordinary English word (frequency in the
  ``pyspellchecker`` English list at or above :data:`COMMON_WORD_FREQUENCY`: Snake, Machete, Royal,
  Play, Hive) matches only as written in the galaxy *and* next to a cue word (``Royal ransomware``,
  ``the Snake malware``, ``Machete group``). A name made only of common words (``Cobalt Strike``)
  must be written exactly as in the galaxy.
- **Never names**: names shorter than three characters, pure numbers, antivirus detection strings
  used as synonyms (``Trojan.Heur.JP…``, ``Win32/Zegost.BW``), operating-system built-ins and generic
  computing words (``ping``, ``cmd``, ``Tor``, :data:`NEVER_NAMES`), and names that several
  entities of one kind claim as a synonym (ambiguous) unless one of them bears it as its own value.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

# The data files only: importing pymispgalaxies itself costs seconds (jsonschema grammars).
GALAXY_DIR = (Path(importlib.util.find_spec("pymispgalaxies").submodule_search_locations[0])
              / "data" / "misp-galaxy" / "clusters")

ACTOR, MALWARE, TOOL = "actor", "malware", "tool"
# (galaxy file, kind) in priority order: the first file to name an entity gives its canonical name.
GALAXIES: tuple[tuple[str, str], ...] = (
    ("threat-actor", ACTOR),
    ("mitre-intrusion-set", ACTOR),
    ("mitre-tool", TOOL),
    ("mitre-malware", MALWARE),
    ("malpedia", MALWARE),
    ("tool", TOOL),
)

COMMON_WORD_FREQUENCY = 500
MIN_NAME_LENGTH = 3
MAX_NAME_WORDS = 6
CUE_WORDS = frozenset({
    "malware", "ransomware", "backdoor", "trojan", "rat", "loader", "downloader", "dropper", "stealer",
    "infostealer", "botnet", "bot", "worm", "rootkit", "bootkit", "implant", "spyware", "wiper", "miner",
    "keylogger", "framework", "toolkit", "tool", "family", "variant", "strain", "payload", "sample", "samples",
    "group", "apt", "actor", "actors", "gang", "crew", "team", "operators", "operator", "affiliates", "campaign",
})
# Built-in system programs and generic computing words that some galaxies list as tools or synonyms.
NEVER_NAMES = frozenset({
    "arp", "at", "attrib", "bitsadmin", "certutil", "cipher.exe", "cmd", "dsquery", "esentutl", "expand",
    "forfiles", "ftp", "ifconfig", "ipconfig", "nbtstat", "net", "netsh", "netstat", "nltest", "ping", "reg",
    "route", "schtasks", "systeminfo", "tasklist", "wevtutil", "tor", "powershell", "windows", "linux", "android",
    "ios", "macos", "microsoft", "google", "apple", "amazon", "github", "telegram", "discord", "dropbox",
    "ssh", "rdp", "vpn", "dns", "http", "https", "smb", "sql", "api", "c2", "cnc", "apt", "rat", "bot", "exe",
    "dll", "ransomware", "malware", "backdoor", "trojan", "stealer", "loader", "unknown", "unidentified",
    "generic", "agent", "admin", "update", "updater", "client", "server", "service", "installer", "downloader",
    "inc", "ltd", "llc", "corp", "gmbh", "systemd", "svchost", "explorer", "rundll32", "lsass", "winlogon",
})
_DETECTION_NAME = re.compile(
    r"^(?:Trojan|Backdoor|Worm|Virus|TROJ|BKDR|WORM|Win32|Win64|W32|W64|Gen|HEUR|PUA|PUP|Riskware|HackTool|"
    r"Exploit|Ransom|Spyware|Adware|Downloader|Dropper|MSIL|JS|VBS|Linux|OSX|Android)[./:!_-]",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"[A-Za-z0-9]+")
_SPACES = re.compile(r"\s+")
_MITRE_SUFFIX = re.compile(r"\s+-\s+[GSTM]\d{4}(?:\.\d{3})?$")
_BLOCKED_BEFORE = set("_-@/\\")
_BLOCKED_AFTER = set("_-@/\\")


@dataclass
class GalaxyEntity:
    """One actor, malware or tool: its canonical name, every name it goes by, its galaxy cluster."""

    kind: str
    name: str
    aliases: list[str] = field(default_factory=list)
    uuid: str | None = None
    description: str = ""


@dataclass(frozen=True)
class Match:
    entity: GalaxyEntity
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class _Name:
    entity: GalaxyEntity
    spelling: str
    case_free: bool  # holds a digit: any case matches
    common_tokens: bool  # every token is an ordinary English word
    needs_cue: bool  # a one-word common name


def _key(text: str) -> str:
    return _SPACES.sub(" ", text.strip()).lower()


@lru_cache(maxsize=1)
def _word_frequency() -> dict[str, int]:
    from spellchecker import SpellChecker

    return SpellChecker().word_frequency.dictionary


def is_common_word(token: str) -> bool:
    return _word_frequency().get(token.lower(), 0) >= COMMON_WORD_FREQUENCY


def usable_name(name: str) -> bool:
    """False for names that cannot be matched safely (see the module docstring)."""
    text = name.strip()
    if len(text) < MIN_NAME_LENGTH or text.isdigit() or _key(text) in NEVER_NAMES:
        return False
    if any(c in text for c in "@!/:\\\n") or text.count(".") > 1 or _DETECTION_NAME.match(text):
        return False
    tokens = _TOKEN.findall(text)
    return bool(tokens) and len(tokens) <= MAX_NAME_WORDS and text[0].isalnum() and text[-1].isalnum()


def _clusters(galaxy: str) -> Iterable[dict]:
    with open(GALAXY_DIR / f"{galaxy}.json", encoding="utf-8") as handle:
        return json.load(handle)["values"]


def load_entities() -> list[GalaxyEntity]:
    """Every actor, malware and tool in the galaxies.

    A cluster joins an entity of an *earlier* galaxy when its own value is one of that entity's
    names (MITRE's "APT29 - G0016" joins threat-actor's APT29). Shared synonyms never merge: two
    actors both listing "Grizzly Steppe" stay two actors (and that synonym becomes ambiguous)."""
    entities: list[GalaxyEntity] = []
    earlier: dict[tuple[str, str], GalaxyEntity] = {}
    for galaxy, kind in GALAXIES:
        family = ACTOR if kind == ACTOR else MALWARE  # malware and tools share one namespace
        this_galaxy: dict[tuple[str, str], GalaxyEntity] = {}
        for cluster in _clusters(galaxy):
            value = _MITRE_SUFFIX.sub("", cluster["value"]).strip()
            meta = cluster.get("meta") or {}
            names = [value, *[_MITRE_SUFFIX.sub("", s).strip() for s in meta.get("synonyms") or []]]
            known = earlier.get((family, _key(value)))
            if known is None:
                known = GalaxyEntity(kind=kind, name=value, uuid=cluster.get("uuid"),
                                     description=(cluster.get("description") or "")[:2000])
                entities.append(known)
            for name in names:
                if name and name != known.name and name not in known.aliases:
                    known.aliases.append(name)
            for name in [known.name, *known.aliases]:
                this_galaxy.setdefault((family, _key(name)), known)
        for key, entity in this_galaxy.items():
            earlier.setdefault(key, entity)
    return entities


class GalaxyMatcher:
    """Finds galaxy names in text with the rules of this module; build once, match many texts."""

    def __init__(self, entities: Iterable[GalaxyEntity]) -> None:
        claims: dict[tuple[str, str], list[tuple[GalaxyEntity, str, bool]]] = {}
        for entity in entities:
            for spelling in [entity.name, *entity.aliases]:
                if usable_name(spelling):
                    claims.setdefault((entity.kind, _key(spelling)), []).append(
                        (entity, spelling, spelling == entity.name))
        self.names: dict[str, list[_Name]] = {}
        for (_, key), owners in claims.items():
            own = [o for o in owners if o[2]]
            if len({id(o[0]) for o in owners}) > 1:
                if len(own) != 1:
                    continue  # ambiguous synonym: several entities of this kind claim it
                owners = own
            entity, spelling, own_value = owners[0]
            tokens = _TOKEN.findall(spelling)
            common = all(is_common_word(t) for t in tokens)
            if common and len(tokens) == 1 and not own_value:
                continue  # a common word as a mere synonym
            self.names.setdefault(key, []).append(_Name(
                entity=entity, spelling=spelling, case_free=any(c.isdigit() for c in spelling),
                common_tokens=common, needs_cue=common and len(tokens) == 1,
            ))
        self.first_tokens = {_TOKEN.findall(key)[0] for key in self.names}

    def find(self, text: str) -> list[Match]:
        """Every accepted mention, in text order (one entity may occur several times)."""
        tokens = list(_TOKEN.finditer(text))
        lowered = [t.group().lower() for t in tokens]
        found: list[Match] = []
        i = 0
        while i < len(tokens):
            hit = None
            if lowered[i] in self.first_tokens:
                for n in range(min(MAX_NAME_WORDS, len(tokens) - i), 0, -1):  # longest name first
                    start, end = tokens[i].start(), tokens[i + n - 1].end()
                    for name in self.names.get(_key(text[start:end]), ()):
                        if self._accepts(name, text, start, end, lowered, i, i + n):
                            hit = (n, Match(name.entity, text[start:end], start, end))
                            break
                    if hit:
                        break
            if hit:
                found.append(hit[1])
                i += hit[0]
            else:
                i += 1
        return found

    def _accepts(self, name: _Name, text: str, start: int, end: int, lowered: list[str], i: int, j: int) -> bool:
        before = text[start - 1] if start else " "
        after = text[end] if end < len(text) else " "
        if before.isalnum() or before in _BLOCKED_BEFORE or after.isalnum() or after in _BLOCKED_AFTER:
            return False
        if before == "." and start >= 2 and text[start - 2].isalnum():
            return False
        if after == "." and end + 1 < len(text) and text[end + 1].isalnum():
            return False
        span = text[start:end]
        if name.common_tokens and _SPACES.sub(" ", span) != name.spelling:
            return False
        if not name.case_free and span.islower() and not name.spelling.islower():
            return False
        if name.needs_cue:
            neighbours = lowered[max(0, i - 2):i] + lowered[j:j + 2]
            return any(word in CUE_WORDS for word in neighbours)
        return True


@lru_cache(maxsize=1)
def shipped_entities() -> tuple[GalaxyEntity, ...]:
    """:func:`load_entities` once per process (read-only from then on)."""
    return tuple(load_entities())


@lru_cache(maxsize=1)
def default_matcher() -> GalaxyMatcher:
    """The matcher over the shipped galaxies (built once per process, about a second)."""
    return GalaxyMatcher(shipped_entities())


def find_entities(text: str) -> list[GalaxyEntity]:
    """Distinct actors, malware and tools named in ``text``, in order of first mention."""
    seen: dict[int, GalaxyEntity] = {}
    for match in default_matcher().find(text):
        seen.setdefault(id(match.entity), match.entity)
    return list(seen.values())


@lru_cache(maxsize=1)
def attack_patterns() -> dict[str, tuple[str, list[str]]]:
    """ATT&CK technique id -> (name, tactic shortnames), from the ``mitre-attack-pattern`` galaxy."""
    table: dict[str, tuple[str, list[str]]] = {}
    for cluster in _clusters("mitre-attack-pattern"):
        meta = cluster.get("meta") or {}
        technique = meta.get("external_id") or ""
        if not re.fullmatch(r"T\d{4}(?:\.\d{3})?", technique):
            continue
        tactics = [k.rsplit(":", 1)[1] for k in meta.get("kill_chain") or []
                   if k.startswith(("attack-", "mitre-attack"))]
        table[technique] = (_MITRE_SUFFIX.sub("", cluster["value"]).strip(), sorted(set(tactics)))
    return table


_GROUP_SUFFIX = re.compile(r"\s+(?:group|team|gang|apt|actor)$", re.IGNORECASE)


def _compact(name: str) -> str:
    """"APT 29", "apt-29" and "APT29" alike."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


@lru_cache(maxsize=1)
def _name_index() -> dict[tuple[str, str], GalaxyEntity]:
    index: dict[tuple[str, str], GalaxyEntity] = {}
    entities = shipped_entities()
    for entity in entities:  # own values first, so a value beats another entity's synonym
        index.setdefault((_family(entity.kind), _compact(entity.name)), entity)
    for entity in entities:
        for alias in entity.aliases:
            index.setdefault((_family(entity.kind), _compact(alias)), entity)
    index.pop((ACTOR, ""), None)
    index.pop((MALWARE, ""), None)
    return index


def _family(kind: str) -> str:
    return ACTOR if kind == ACTOR else MALWARE


def lookup(kind: str, name: str) -> GalaxyEntity | None:
    """The galaxy entity an explicitly given name (a MISP galaxy tag, a STIX object) refers to.

    No matching rules apply here: the name was given as a name, not found in prose. Malware and
    tools are one namespace (a STIX ``tool`` may be a malpedia family)."""
    name = _MITRE_SUFFIX.sub("", name.strip())
    index = _name_index()
    found = index.get((_family(kind), _compact(name)))
    if found is None and _family(kind) == ACTOR and _GROUP_SUFFIX.search(name):
        found = index.get((ACTOR, _compact(_GROUP_SUFFIX.sub("", name))))
    return found
