"""Nothing above a caller's TLP clearance reaches any output, over seeded data drawn by Hypothesis.

Each example seeds one threat per TLP level (CLEAR, GREEN, AMBER, AMBER+STRICT, RED) and IOCs each
seen in a random set of those threats; an IOC is visible at the least restrictive TLP citing it.
Then every URL of ``CATALOGUE`` is fetched as every caller, and no body or header may carry a
marker (IOC value, threat title, public id, UUID) above that caller's clearance: Public sees only
CLEAR, a Researcher up to GREEN, Business and Enterprise up to AMBER; AMBER+STRICT and RED never
leave. The catalogue is the single list of outputs (feeds, exports, lookups, per-threat exports,
MISP, TAXII, pages): a new output is one more line in it.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.db import transaction
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from apikeys.models import APIKey, FeedToken, Scope
from apikeys.tiers import Tier
from apikeys.tlp import TLP
from iocs.models import IOC
from tests.access import make_user
from tests.scenario import make_ioc, make_threat, sight
from tests.threat_fixtures import roomy_rate_limits  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("roomy_rate_limits")

# Placeholders: {threat} a threat's public id, {uuid} its UUID (the MISP event), {value} an IOC value.
# Every URL is fetched as every caller; a 200 must carry nothing above the caller's clearance, and
# other answers (401/403/404) nothing at all of the data. Add new outputs here, one line each.
CATALOGUE: list[str] = [
    # bulk feeds and exports
    "/api/iocs/public/feed.txt?types=ipv4,ipv6,domain&confidence=high",
    "/api/iocs/public/feed.json",
    "/api/iocs/public/feed.csv",
    "/api/iocs/feed/status.json",
    "/api/iocs/feed?format=txt&confidence=confirmed&types=ipv4,ipv6,domain,url,sha256,email",
    "/api/iocs/feed?format=csv&confidence=confirmed",
    "/api/iocs/feed?format=json&confidence=confirmed",
    "/api/iocs/feed?format=stix&confidence=confirmed",
    "/api/iocs/feed?format=hosts",
    "/api/iocs/feed?format=rpz",
    "/api/iocs/feed?format=suricata",
    "/api/iocs/feed?format=csv&since=2020-01-01",
    "/api/iocs/feed/removed.txt?since=2020-01-01",
    "/api/iocs/export?format=csv&confidence=confirmed",
    "/api/iocs/export?format=json&confidence=confirmed",
    "/api/public/v1/iocs/feed?format=json&confidence=confirmed",
    "/api/public/v1/iocs/feed?format=stix&confidence=confirmed",
    "/api/public/v1/iocs/export?format=csv&confidence=confirmed",
    # reverse lookup
    "/api/iocs/lookup?value={value}",
    "POST /api/iocs/lookup",  # every IOC value in one batch
    # one incident in every format
    "/api/threats/{threat}/iocs?format=txt",
    "/api/threats/{threat}/iocs?format=csv&status=all",
    "/api/threats/{threat}/iocs?format=json",
    "/api/threats/{threat}/stix",
    "/api/threats/{threat}/attack-navigator",
    "/api/public/v1/threats/{threat}/iocs?format=json",
    "/api/public/v1/threats/{threat}/stix",
    # MISP: the public mirror and the token feed (and its backfill)
    "/misp/manifest.json",
    "/misp/hashes.csv",
    "/misp/{uuid}.json",
    "/api/misp/manifest.json",
    "/api/misp/hashes.csv",
    "/api/misp/{uuid}.json",
    "/api/misp/days/30/manifest.json",
    "/api/misp/days/30/{uuid}.json",
    "/api/misp/since/2020-01-01/hashes.csv",
    # TAXII 2.1 (collections are addressed by alias as well as by id)
    "/taxii2/",
    "/taxii2/api/",
    "/taxii2/api/collections/",
    "/taxii2/api/collections/indicators/objects/",
    "/taxii2/api/collections/indicators/manifest/",
    "/taxii2/api/collections/threats/objects/",
    "/taxii2/api/collections/threats/manifest/",
    "/taxii2/api/collections/tlp-clear/objects/",
    "/taxii2/api/collections/tlp-green/objects/",
    "/taxii2/api/collections/tlp-amber/objects/",
    "/taxii2/api/collections/tlp-amber-strict/objects/",
    "/taxii2/api/collections/tlp-red/objects/",
    # site pages
    "/",
    "/iocs",
    "/iocs/lookup?value={value}",
    "/threats/",
    "/threats/{threat}",
]
TAXII_ACCEPT = "application/taxii+json;version=2.1"

LEVELS = (TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT, TLP.RED)
# One IOC of a type the public feed carries, one it does not, per drawn IOC slot.
IOC_TYPES = ("domain", "ipv4", "url", "sha256", "email", "ipv6")


@dataclass
class Caller:
    name: str
    clearance: TLP
    headers: dict[str, str]


@dataclass
class Seeded:
    markers: dict[str, TLP]  # text -> the TLP it may be shown at
    threats: list
    values: list[str]


def _value(ioc_type: str, n: int, slot: int) -> str:
    tag = f"{n:02d}{slot:02d}"
    return {
        "domain": f"leak{tag}.marker-c2.net",
        "ipv4": f"45.{n + 10}.{slot + 20}.77",
        "url": f"http://leak{tag}.marker-dl.net/p/{tag}",
        "sha256": f"{tag}{'5e' * 30}",
        "email": f"leak{tag}@marker-mail.net",
        "ipv6": f"2a01:{n + 1:x}:{slot + 1:x}::77",
    }[ioc_type]


def seed(draw_sets: list[frozenset[int]], n: int) -> Seeded:
    """One threat per TLP; IOC ``i`` seen in the threats ``draw_sets[i]`` (indexes into LEVELS)."""
    markers: dict[str, TLP] = {}
    threats = []
    for level in LEVELS:
        threat = make_threat(f"Leak marker title {n:02d} {level.slug}", tlp=level)
        threats.append(threat)
        for marker in (threat.title, threat.public_id, str(threat.uuid)):
            markers[marker] = level
    values = []
    for slot, levels in enumerate(draw_sets):
        ioc = make_ioc(IOC_TYPES[slot % len(IOC_TYPES)], _value(IOC_TYPES[slot % len(IOC_TYPES)], n, slot))
        for index in sorted(levels):
            sight(ioc, threats[index], context=f"seen in {LEVELS[index].slug}")
        ioc.refresh_from_db()
        assert ioc.tlp == min(LEVELS[i] for i in levels)
        markers[ioc.value] = TLP(ioc.tlp)
        values.append(ioc.value)
    return Seeded(markers, threats, values)


def callers() -> list[Caller]:
    researcher = make_user("leak-researcher", Tier.RESEARCHER)
    _, token = FeedToken.issue(researcher)
    out = [Caller("anonymous", TLP.CLEAR, {}), Caller("researcher", TLP.GREEN, {"Authorization": f"Token {token}"})]
    for tier in (Tier.BUSINESS, Tier.ENTERPRISE):
        _, key = APIKey.issue(make_user(f"leak-{tier.label.lower()}", tier), scopes=list(Scope.values), name="all")
        out.append(Caller(tier.label.lower(), TLP.AMBER, {"X-API-Key": key}))
    return out


def expand(entry: str, seeded: Seeded) -> list[str]:
    if "{threat}" in entry or "{uuid}" in entry:
        return [entry.format(threat=t.public_id, uuid=t.uuid) for t in seeded.threats]
    if "{value}" in entry:
        return [entry.replace("{value}", value) for value in seeded.values]
    return [entry]


def fetch(client, caller: Caller, entry: str, seeded: Seeded) -> tuple[int, str]:
    headers = {**caller.headers, **({"Accept": TAXII_ACCEPT} if entry.startswith("/taxii2/") else {})}
    if entry.startswith("POST "):
        response = client.post(entry.removeprefix("POST "), {"values": seeded.values},
                               content_type="application/json", headers=headers)
    else:
        response = client.get(entry, headers=headers)
    data = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    text = data.decode("utf-8", "replace")
    if "/lookup" in entry and response.status_code == 200 and response["Content-Type"].startswith("application/json"):
        text = json.dumps(_without_echo(json.loads(text)))
    headers = "\n".join(f"{k}: {v}" for k, v in response.items())
    return response.status_code, headers + "\n" + text


def _without_echo(answer: dict) -> dict:
    """A lookup repeats the caller's own query: "not found" answers keep only what the server adds."""
    results = answer.get("results", [answer])
    for result in results:
        if not result.get("found"):
            assert result.get("ioc") is None and not result.get("clusters"), result
            for echoed in ("query", "value", "type"):
                result.pop(echoed, None)
    return answer


def assert_no_leak(client, caller: Caller, seeded: Seeded) -> tuple[str, dict[str, int]]:
    """Every catalogued output as ``caller``; returns everything it was shown and each URL's status, for
    the sanity checks."""
    seen, statuses = [], {}
    for entry in CATALOGUE:
        for url in expand(entry, seeded):
            status, text = fetch(client, caller, url, seeded)
            assert status < 500, (caller.name, url, status, text[:500])
            # what the caller put in the URL may come back (a 404 page, a lookup page repeating the
            # query); the titles and the rest may not
            leaked = [m for m, level in seeded.markers.items()
                      if level > caller.clearance and m in text and m not in url]
            assert not leaked, f"{caller.name} ({caller.clearance.label}) got {leaked} from {url} ({status})"
            statuses[url] = status
            if status == 200:
                seen.append(text)
    return "\n".join(seen), statuses


TLP_SETS = st.frozensets(st.integers(min_value=0, max_value=len(LEVELS) - 1), min_size=1)


@pytest.mark.django_db
@hypothesis_settings(max_examples=3, deadline=None, derandomize=True, database=None, phases=[Phase.generate],
                     suppress_health_check=list(HealthCheck))
@given(draw_sets=st.lists(TLP_SETS, min_size=len(IOC_TYPES), max_size=len(IOC_TYPES)))
def test_no_output_carries_anything_above_the_callers_clearance(client, settings, tmp_path_factory, draw_sets):
    settings.MISP_FEED_CACHE_SECONDS = 0
    settings.FEED_ARTIFACT_DIR = tmp_path_factory.mktemp("artifacts")
    cache.clear()
    n = test_no_output_carries_anything_above_the_callers_clearance.examples = (
        getattr(test_no_output_carries_anything_above_the_callers_clearance, "examples", 0) + 1)
    with transaction.atomic():
        seeded = seed(draw_sets, n)
        answers = {caller.name: assert_no_leak(client, caller, seeded) for caller in callers()}
        # The outputs do carry what each caller may see: the test looks at real data.
        for caller_name, clearance in (("anonymous", TLP.CLEAR), ("researcher", TLP.GREEN), ("business", TLP.AMBER)):
            visible = [v for v in seeded.values if seeded.markers[v] <= clearance]
            assert all(v in answers[caller_name][0] for v in visible), (caller_name, visible)
        statuses = answers["business"][1]
        for url in ("/taxii2/api/collections/indicators/objects/", "/taxii2/api/collections/threats/objects/",
                    "/iocs", "/threats/", "/api/public/v1/iocs/feed?format=json&confidence=confirmed"):
            assert statuses[url] == 200, (url, statuses[url])
        transaction.set_rollback(True)
    assert not IOC.objects.exists()
