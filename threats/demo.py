"""A deterministic synthetic dataset for demos, tests and benchmarks (``manage.py seed_demo``).

The same ``seed`` gives the same threats, IOCs, statuses and sightings (times are offsets from the
moment of seeding). It exercises every IOC type, status, confidence and TLP level with valid values:
hashes of the right length, wallets that pass their checksums, public-looking IPs and domains.

Built for size: rows are generated in chunks and written with PostgreSQL ``COPY`` (a million IOCs in
about a minute) or ``bulk_create`` on other databases, with explicit primary keys so that sightings
can point at IOCs without reading them back.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import random
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from apikeys.tlp import TLP
from iocs import wallets
from iocs.models import IOC, Confidence, Status
from iocs.normalize import IOCType

from . import withdrawals
from .models import Article, AttackPattern, Malware, Sighting, Threat, ThreatActor, ThreatWithdrawal, Vulnerability

CHUNK = 20_000
CLASSIFIER_VERSION = "demo-1"

ACTORS = ["APT28", "APT29", "Lazarus Group", "Sandworm", "Turla", "Kimsuky", "FIN7", "TA505", "Gamaredon Group",
          "OceanLotus", "MuddyWater", "Wizard Spider", "Scattered Spider", "Evasive Panda", "Ballistic Bobcat",
          "GoldenJackal", "Winter Vivern", "Mustang Panda", "Volt Typhoon", "Charming Kitten"]
MALWARE = [("Emotet", "malware"), ("QakBot", "malware"), ("IcedID", "malware"), ("Cobalt Strike", "tool"),
           ("AgentTesla", "malware"), ("RedLine Stealer", "malware"), ("LockBit", "malware"), ("BlackCat", "malware"),
           ("PlugX", "malware"), ("njRAT", "malware"), ("AsyncRAT", "malware"), ("Mimikatz", "tool"),
           ("Sliver", "tool"), ("GuLoader", "malware"), ("Raccoon Stealer", "malware"), ("DarkGate", "malware"),
           ("Bumblebee", "malware"), ("SystemBC", "malware"), ("Impacket", "tool"), ("XMRig", "tool")]
TECHNIQUES = [
    ("T1566.001", "Spearphishing Attachment", ["initial-access"]),
    ("T1566.002", "Spearphishing Link", ["initial-access"]),
    ("T1190", "Exploit Public-Facing Application", ["initial-access"]),
    ("T1059.001", "PowerShell", ["execution"]),
    ("T1059.003", "Windows Command Shell", ["execution"]),
    ("T1204.002", "Malicious File", ["execution"]),
    ("T1053.005", "Scheduled Task", ["execution", "persistence", "privilege-escalation"]),
    ("T1547.001", "Registry Run Keys / Startup Folder", ["persistence", "privilege-escalation"]),
    ("T1055", "Process Injection", ["defense-evasion", "privilege-escalation"]),
    ("T1027", "Obfuscated Files or Information", ["defense-evasion"]),
    ("T1218.011", "Rundll32", ["defense-evasion"]),
    ("T1003.001", "LSASS Memory", ["credential-access"]),
    ("T1555.003", "Credentials from Web Browsers", ["credential-access"]),
    ("T1082", "System Information Discovery", ["discovery"]),
    ("T1018", "Remote System Discovery", ["discovery"]),
    ("T1021.001", "Remote Desktop Protocol", ["lateral-movement"]),
    ("T1560.001", "Archive via Utility", ["collection"]),
    ("T1071.001", "Web Protocols", ["command-and-control"]),
    ("T1105", "Ingress Tool Transfer", ["command-and-control"]),
    ("T1573.002", "Asymmetric Cryptography", ["command-and-control"]),
    ("T1041", "Exfiltration Over C2 Channel", ["exfiltration"]),
    ("T1486", "Data Encrypted for Impact", ["impact"]),
    ("T1496", "Resource Hijacking", ["impact"]),
    ("T1583.001", "Domains", ["resource-development"]),
]
PUBLISHERS = ["research.northwind-labs.com", "blog.contoso-security.net", "intel.fabrikam-cyber.io",
              "labs.tailspin-threat.org", "cert.woodgrove-bank.example.com", "news.litware-sec.com"]
WORDS = ["secure", "login", "update", "cdn", "cloud", "mail", "verify", "account", "office", "portal", "sync",
         "microsoft", "support", "invoice", "docs", "share", "drive", "auth", "service", "api", "static", "assets",
         "telemetry", "wallet", "payment", "bank", "track", "delivery", "client", "node"]
TLDS = ["com", "net", "org", "info", "xyz", "top", "ru", "online", "site", "io", "biz", "cc", "club", "live"]
PATHS = ["gate.php", "wp-content/plugins/x/load.php", "admin/get.php", "index.php?id=", "download/payload.bin",
         "api/v1/beacon", "images/logo.png", "update/check", "invoice.zip", "files/doc.exe"]
ROLES = ["command-and-control server", "payload download", "phishing landing page", "exfiltration endpoint",
         "dropper", "staging server", "ransom payment address"]
TITLE_FORMS = ["{actor} targets {sector} with {malware}", "{malware} campaign hits {sector} organisations",
               "New {malware} loader spreads via phishing", "{actor} exploits {cve} against {sector}",
               "Inside a {malware} intrusion at a {sector} company", "{actor} resurfaces with updated {malware}"]
SECTORS = ["government", "energy", "finance", "healthcare", "telecom", "defence", "retail", "education", "logistics"]

# Distributions (weights): every status, confidence and TLP level occurs.
TYPE_WEIGHTS = {IOCType.IPV4: 22, IOCType.IPV6: 4, IOCType.DOMAIN: 22, IOCType.URL: 18, IOCType.MD5: 6,
                IOCType.SHA1: 6, IOCType.SHA256: 14, IOCType.EMAIL: 4, IOCType.BTC: 2, IOCType.ETH: 1, IOCType.XMR: 1}
VERDICTS = [((Status.CONFIRMED, Confidence.HIGH), 35), ((Status.CONFIRMED, Confidence.MEDIUM), 22),
            ((Status.CONFIRMED, Confidence.LOW), 13), ((Status.PENDING, ""), 20), ((Status.FALSE_POSITIVE, ""), 10)]
TLP_WEIGHTS = {TLP.CLEAR: 55, TLP.GREEN: 20, TLP.AMBER: 12, TLP.AMBER_STRICT: 6, TLP.RED: 7}


@dataclass
class SeedSummary:
    threats: int
    articles: int
    iocs: int
    sightings: int


class ValueFactory:
    """Unique, valid, realistic-looking values per type, from a counter and the seeded RNG."""

    def __init__(self, rng: random.Random, seed: int) -> None:
        self.rng = rng
        self.seed = seed
        self._ip4 = 0
        self._ip6 = 0
        self.make: dict[str, Callable[[int], str]] = {
            IOCType.IPV4: self.ipv4, IOCType.IPV6: self.ipv6, IOCType.DOMAIN: self.domain, IOCType.URL: self.url,
            IOCType.MD5: lambda i: self._digest("md5", i), IOCType.SHA1: lambda i: self._digest("sha1", i),
            IOCType.SHA256: lambda i: self._digest("sha256", i), IOCType.EMAIL: self.email,
            IOCType.BTC: self.btc, IOCType.ETH: self.eth, IOCType.XMR: self.xmr,
        }

    def ipv4(self, i: int) -> str:
        # An odd multiplier walks the 32-bit space as a bijection: distinct counters, distinct IPs.
        while True:
            self._ip4 += 1
            ip = ipaddress.IPv4Address((2654435761 * (self._ip4 + self.seed * 7919)) % (1 << 32))
            if ip.is_global and not ip.is_multicast:
                return str(ip)

    def ipv6(self, i: int) -> str:
        self._ip6 += 1
        prefix = 0x2A010000 + (self.seed % 4096) * 16
        return str(ipaddress.IPv6Address((prefix << 96) | (self._ip6 * 0x9E3779B97F4A7C15 % (1 << 80))))

    def domain(self, i: int) -> str:
        a, b = self.rng.choice(WORDS), self.rng.choice(WORDS)
        return f"{a}-{b}{_base36(i)}.{self.rng.choice(TLDS)}"

    def url(self, i: int) -> str:
        host = self.domain(i) if self.rng.random() < 0.85 else self.ipv4(i)
        scheme = "https" if self.rng.random() < 0.6 else "http"
        path = self.rng.choice(PATHS)
        if path.endswith("="):
            path += str(self.rng.randrange(1, 99999))
        return f"{scheme}://{host}/{path}"

    def _digest(self, algorithm: str, i: int) -> str:
        return hashlib.new(algorithm, f"threatcluster-demo:{self.seed}:{i}".encode()).hexdigest()

    def email(self, i: int) -> str:
        return f"{self.rng.choice(WORDS)}.{self.rng.choice(WORDS)}{_base36(i)}@{self.domain(i + 1_000_003)}"

    def _bytes(self, i: int, n: int, salt: str) -> bytes:
        return hashlib.shake_256(f"{salt}:{self.seed}:{i}".encode()).digest(n)

    def btc(self, i: int) -> str:
        kind = i % 3
        if kind == 0:
            return wallets.encode_base58check_btc(self._bytes(i, 20, "p2pkh"))
        if kind == 1:
            return wallets.encode_base58check_btc(self._bytes(i, 20, "p2sh"), p2sh=True)
        return wallets.encode_segwit(0, self._bytes(i, 20, "p2wpkh"))

    def eth(self, i: int) -> str:
        return "0x" + self._bytes(i, 20, "eth").hex()

    def xmr(self, i: int) -> str:
        return wallets.encode_monero(18, self._bytes(i, 32, "spend"), self._bytes(i, 32, "view"))


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if not n:
            return out


def _weighted(rng: random.Random, weights: dict | list) -> object:
    items = list(weights.items()) if isinstance(weights, dict) else weights
    return rng.choices([k for k, _ in items], weights=[w for _, w in items], k=1)[0]


class DemoSeeder:
    def __init__(self, *, threats: int, iocs: int, seed: int, progress: Callable[[int], None] | None = None) -> None:
        self.n_threats = max(1, threats)
        self.n_iocs = max(0, iocs)
        self.seed = seed
        self.rng = random.Random(seed)
        self.now = timezone.now().replace(minute=0, second=0, microsecond=0)
        self.progress = progress or (lambda n: None)
        self.values = ValueFactory(random.Random(seed + 1), seed)

    #
    # Entities and threats
    #
    def _entities(self) -> tuple[list, list, list, list]:
        actors = [ThreatActor.objects.get_or_create(name=name)[0] for name in ACTORS]
        malware = [Malware.objects.get_or_create(name=name, defaults={"kind": kind})[0] for name, kind in MALWARE]
        patterns = [AttackPattern.objects.update_or_create(technique_id=tid, defaults={"name": name, "tactics": tac})[0]
                    for tid, name, tac in TECHNIQUES]
        cves = [Vulnerability.objects.get_or_create(cve_id=f"CVE-{2019 + k % 6}-{1000 + 37 * k}")[0] for k in range(40)]
        return actors, malware, patterns, cves

    def _threats(self) -> tuple[list[Threat], list[Article]]:
        actors, malware, patterns, cves = self._entities()
        rng = self.rng
        ids = set(Threat.objects.values_list("public_id", flat=True))
        threats, links = [], []
        for k in range(self.n_threats):
            actor, mal, cve = rng.choice(actors), rng.choice(malware), rng.choice(cves)
            title = rng.choice(TITLE_FORMS).format(actor=actor.name, malware=mal.name, cve=cve.cve_id,
                                                   sector=rng.choice(SECTORS))
            first = self.now - timedelta(hours=rng.randrange(1, 24 * 120))
            last = min(self.now, first + timedelta(hours=rng.randrange(0, 24 * 30)))
            public_id = f"{rng.getrandbits(32):08x}"
            while public_id in ids:
                public_id = f"{rng.getrandbits(32):08x}"
            ids.add(public_id)
            tlp = TLP(k) if k < len(TLP) else _weighted(rng, TLP_WEIGHTS)  # every level occurs
            threats.append(Threat(
                public_id=public_id, uuid=uuid.UUID(int=rng.getrandbits(128), version=4), title=title,
                summary=f"{title}. Reporting from {rng.randint(1, 4)} sources describes {mal.name} activity "
                        f"attributed to {actor.name}.",
                threat_score=rng.randrange(10, 100), tlp=tlp, first_seen=first, last_seen=last,
                created_at=first, updated_at=last,
            ))
            links.append((actor, mal, rng.sample(patterns, rng.randint(2, 7)), cve if rng.random() < 0.5 else None))
        Threat.objects.bulk_create(threats, batch_size=2000)
        threats = list(Threat.objects.filter(public_id__in=[t.public_id for t in threats]).order_by("id"))
        self._link_entities(threats, links)
        return threats, self._articles(threats)

    def _link_entities(self, threats: list[Threat], links: list) -> None:
        through = {name: getattr(Threat, name).through for name in ("actors", "malware", "attack_patterns",
                                                                    "vulnerabilities")}
        rows: dict[str, list] = {name: [] for name in through}
        for threat, (actor, mal, pats, cve) in zip(threats, links, strict=True):
            rows["actors"].append(through["actors"](threat_id=threat.id, threatactor_id=actor.id))
            rows["malware"].append(through["malware"](threat_id=threat.id, malware_id=mal.id))
            rows["attack_patterns"] += [through["attack_patterns"](threat_id=threat.id, attackpattern_id=p.id)
                                        for p in pats]
            if cve:
                rows["vulnerabilities"].append(through["vulnerabilities"](threat_id=threat.id, vulnerability_id=cve.id))
        for name, objs in rows.items():
            through[name].objects.bulk_create(objs, batch_size=5000)

    def _articles(self, threats: list[Threat]) -> list[Article]:
        rng, articles = self.rng, []
        for threat in threats:
            for n in range(rng.randint(1, 4)):
                publisher = rng.choice(PUBLISHERS)
                published = threat.first_seen + (threat.last_seen - threat.first_seen) * rng.random()
                articles.append(Article(
                    url=f"https://{publisher}/{published:%Y/%m}/{threat.public_id}-{n}",
                    title=threat.title if n == 0 else f"{threat.title}: update {n}",
                    publisher=publisher, threat_id=threat.id, published_at=published, fetched_at=published,
                    text=threat.summary,
                    content_hash=hashlib.sha256(f"{threat.public_id}:{n}".encode()).hexdigest(),
                ))
        Article.objects.bulk_create(articles, batch_size=2000)
        by_url = dict(Article.objects.filter(url__in=[a.url for a in articles]).values_list("url", "id"))
        for article in articles:
            article.id = by_url[article.url]
        return articles

    #
    # IOCs and sightings
    #
    def _ioc_rows(self, threats: list[Threat], articles_by_threat: dict[int, list[Article]],
                  start_id: int) -> Iterator[tuple[list[tuple], list[tuple]]]:
        """Chunks of (ioc rows, sighting rows) as tuples in column order."""
        rng, values = self.rng, self.values
        big = min(10_000, self.n_iocs // 5) if self.n_iocs >= 50 else 0  # the first threat is a large one
        tlp_of = {t.id: t.tlp for t in threats}
        iocs, sightings = [], []
        for i in range(self.n_iocs):
            # The first rows cycle through every type and verdict so that small seeds cover them all.
            ioc_type = list(TYPE_WEIGHTS)[i] if i < len(TYPE_WEIGHTS) else _weighted(rng, TYPE_WEIGHTS)
            value = values.make[ioc_type](i)
            status, confidence = VERDICTS[i % len(VERDICTS)][0] if i < 2 * len(VERDICTS) else _weighted(rng, VERDICTS)
            homes = [threats[0]] if i < big else rng.sample(threats, min(len(threats), rng.choice((1, 1, 1, 2, 3))))
            cites = [rng.choice(articles_by_threat[t.id]) for t in homes]
            first = min(a.published_at for a in cites)
            last = max(first, self.now - timedelta(hours=rng.randrange(0, 24 * 45)))
            reviewed = rng.random() < 0.05 and status != Status.PENDING
            reason = {Status.CONFIRMED: f"demo: {confidence} confidence", Status.FALSE_POSITIVE: "demo: known benign",
                      Status.PENDING: ""}[status]
            ioc_id = start_id + i
            iocs.append((ioc_id, ioc_type, value, status, confidence, reason,
                         "" if status == Status.PENDING else CLASSIFIER_VERSION,
                         None if status == Status.PENDING else last, None, last if reviewed else None,
                         min(tlp_of[t.id] for t in homes), len(cites), json.dumps({}), first, last, first, last))
            role = rng.choice(ROLES)
            for article, threat in zip(cites, homes, strict=True):
                sightings.append((ioc_id, article.id, threat.id, f"{value} was used as {role}"[:500],
                                  article.published_at))
            if len(iocs) >= CHUNK:
                yield iocs, sightings
                iocs, sightings = [], []
        if iocs:
            yield iocs, sightings

    def run(self) -> SeedSummary:
        with transaction.atomic():
            threats, articles = self._threats()
            by_threat: dict[int, list[Article]] = {}
            for article in articles:
                by_threat.setdefault(article.threat_id, []).append(article)
            start_id = (IOC.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
            n_iocs = n_sightings = 0
            for ioc_rows, sighting_rows in self._ioc_rows(threats, by_threat, start_id):
                _insert(IOC, IOC_COLUMNS, ioc_rows)
                _insert(Sighting, SIGHTING_COLUMNS, sighting_rows)
                n_iocs += len(ioc_rows)
                n_sightings += len(sighting_rows)
                self.progress(len(ioc_rows))
            _reset_sequences([IOC, Sighting])
        _analyze([IOC, Sighting, Article, Threat])
        return SeedSummary(len(threats), len(articles), n_iocs, n_sightings)


IOC_COLUMNS = ("id", "type", "value", "status", "confidence", "reason", "classifier_version", "classified_at",
               "reviewed_by_id", "reviewed_at", "tlp", "source_count", "evidence", "first_seen", "last_seen",
               "created_at", "updated_at")
SIGHTING_COLUMNS = ("ioc_id", "article_id", "threat_id", "context", "seen_at")


def _insert(model, columns: Iterable[str], rows: list[tuple]) -> None:
    """COPY on PostgreSQL; bulk_create elsewhere (SQLite demo databases are small)."""
    columns = tuple(columns)
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(model._meta.db_table)
        cols = ", ".join(connection.ops.quote_name(c) for c in columns)
        with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    objs = []
    for row in rows:
        data = dict(zip(columns, row, strict=True))
        if "evidence" in data:
            data["evidence"] = json.loads(data["evidence"])
        objs.append(model(**data))
    model.objects.bulk_create(objs, batch_size=1000)


def _analyze(models: list) -> None:
    """Fresh planner statistics on PostgreSQL: right after a bulk COPY they say the tables are empty,
    and the first queries (benchmarks, demos) would get nested-loop plans over 50,000 rows."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _reset_sequences(models: list) -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def flush_demo_data() -> None:
    """Delete every threat, article, sighting and IOC (entities stay): ``seed_demo --flush``."""
    with transaction.atomic():
        Sighting.objects.all().delete()
        Article.objects.all().delete()
        with withdrawals.unlogged():
            Threat.objects.all().delete()
        ThreatWithdrawal.objects.all().delete()
        IOC.objects.all().delete()


def seed(*, threats: int, iocs: int, seed: int, progress: Callable[[int], None] | None = None) -> SeedSummary:
    return DemoSeeder(threats=threats, iocs=iocs, seed=seed, progress=progress).run()


def dataset_fingerprint() -> str:
    """A digest of the seeded content (not its times), to show that a seed is deterministic."""
    h = hashlib.sha256()
    for row in IOC.objects.order_by("type", "value").values_list("type", "value", "status", "confidence", "tlp"):
        h.update(repr(row).encode())
    for row in Threat.objects.order_by("public_id").values_list("public_id", "uuid", "title", "tlp", "threat_score"):
        h.update(repr(row).encode())
    for row in Sighting.objects.order_by("ioc__value", "article__url").values_list("ioc__value", "article__url"):
        h.update(repr(row).encode())
    return h.hexdigest()
