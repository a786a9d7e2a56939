"""/threats/ (newest or highest score first, filterable, keyset pages) and /threats/<id>."""

import pytest

from apikeys.tlp import TLP
from tests.scenario import ago, fresh_cache, make_ioc, make_threat, sight  # noqa: F401
from threats.pages import query

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


def listed(html: str) -> list[str]:
    body = html.split('id="threat-list"', 1)[1].split("</table>", 1)[0]
    return [part.split("</a>", 1)[0].split(">", 1)[1] for part in body.split('<a href="/threats/')[1:]]


@pytest.fixture
def three(db):
    return [make_threat("Old but severe", score=95, last_seen=ago(days=5)),
            make_threat("Newest", score=40, last_seen=ago(hours=1)),
            make_threat("Middle", score=60, last_seen=ago(days=2))]


def test_the_list_is_newest_first_or_highest_score_first(client, three):
    assert listed(client.get("/threats/").content.decode()) == ["Newest", "Middle", "Old but severe"]
    assert listed(client.get("/threats/?sort=score").content.decode()) == ["Old but severe", "Middle", "Newest"]


def test_the_list_filters(client, three):
    make_threat("Greenish", tlp=TLP.GREEN)
    assert listed(client.get("/threats/?min_score=50").content.decode()) == ["Middle", "Old but severe"]
    assert listed(client.get("/threats/?q=newe").content.decode()) == ["Newest"]
    assert listed(client.get("/threats/?tlp=green").content.decode()) == []  # anonymous: CLEAR only


def test_the_list_pages_by_keyset(client, monkeypatch, three):
    monkeypatch.setattr(query, "PAGE_SIZE", 2)
    first = client.get("/threats/?sort=score").content.decode()
    assert listed(first) == ["Old but severe", "Middle"]
    link = first.split('rel="next" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert listed(client.get(link).content.decode()) == ["Newest"]


@pytest.mark.parametrize("params", ["sort=alpha", "min_score=101", "min_score=-1", "tlp=purple", "after=xyz"])
def test_bad_list_parameters_are_a_400(client, params):
    response = client.get(f"/threats/?{params}")
    assert response.status_code == 400 and params.split("=")[0] in response.content.decode()


def test_the_detail_page_shows_everything_about_the_threat(client):
    threat = make_threat("Lazarus phishing wave", score=77, actors=["Lazarus Group"],
                         malware=[("AgentTesla", "malware")],
                         techniques=[("T1566.001", "Spearphishing Attachment")], cves=["CVE-2021-44228"])
    threat.summary = "Banks targeted."
    threat.save()
    threat.attack_patterns.filter(technique_id="T1566.001").update(tactics=["initial-access"])
    sight(make_ioc("domain", "c2.example.net", tlp=TLP.CLEAR), threat)
    sight(make_ioc("domain", "fp.example.net", status="false_positive", tlp=TLP.CLEAR), threat)
    html = client.get(f"/threats/{threat.public_id}").content.decode()
    for text in ("Lazarus phishing wave", "77", "TLP:CLEAR", "Banks targeted.", "Lazarus Group", "AgentTesla",
                 "CVE-2021-44228", "c2.example.net", f"https://research.example.org/{threat.public_id}/0",
                 "https://attack.mitre.org/techniques/T1566/001/"):
        assert text in html, text
    assert "fp.example.net" not in html  # false positives are never listed
    grid = html.split('id="tactics"', 1)[1].split('<h2>', 1)[0]
    assert grid.index("initial-access") < grid.index("T1566.001") < grid.index("execution")
    for suffix in ("iocs?format=txt", "iocs?format=csv", "iocs?format=json", "stix", "attack-navigator"):
        href = f"/api/threats/{threat.public_id}/{suffix}"
        assert f'href="{href}"' in html
        assert client.get(href).status_code == 200


def test_the_ioc_table_is_bounded(client, monkeypatch):
    monkeypatch.setattr(query, "IOC_PAGE_LIMIT", 2)
    monkeypatch.setattr(query, "IOC_FETCH_CHUNK", 1)  # several chunks: false positives skipped across them
    threat = make_threat("Big one")
    sight(make_ioc("domain", "benign.example.net", status="false_positive", tlp=TLP.CLEAR), threat)
    for n in range(3):
        sight(make_ioc("ipv4", f"192.0.2.{n + 1}", tlp=TLP.CLEAR), threat)
    html = client.get(f"/threats/{threat.public_id}").content.decode()
    assert "The first 2 cited are listed; the downloads above carry them all." in html
    assert "192.0.2.1" in html and "192.0.2.2" in html and "192.0.2.3" not in html
    assert "benign.example.net" not in html
    monkeypatch.setattr(query, "IOC_PAGE_LIMIT", 3)
    html = client.get(f"/threats/{threat.public_id}").content.decode()
    assert "192.0.2.3" in html and 'id="more-iocs"' not in html


def test_unknown_ids_are_404(client):
    assert client.get("/threats/deadbeef").status_code == 404
    assert client.get("/threats/not-an-id").status_code == 404


def _misp_link(html: str) -> str | None:
    downloads = html.split('id="downloads"', 1)[1].split("</div>", 1)[0]
    if "MISP event" not in downloads:
        return None
    return downloads.split("MISP event", 1)[0].rsplit('href="', 1)[1].split('"', 1)[0]


def test_the_misp_event_download_matches_the_feed_the_caller_can_read(client):
    from apikeys.tiers import Tier
    from tests.access import make_user

    clear = make_threat("Clear one")
    sight(make_ioc("domain", "clear-c2.example.net", tlp=TLP.CLEAR), clear)
    link = _misp_link(client.get(f"/threats/{clear.public_id}").content.decode())
    assert link == f"/misp/{clear.uuid}.json"
    event = client.get(link)
    assert event.status_code == 200 and event.json()["Event"]["uuid"] == str(clear.uuid)

    pending_only = make_threat("Nothing confirmed yet")
    sight(make_ioc("domain", "maybe.example.net", status="pending", tlp=TLP.CLEAR), pending_only)
    assert _misp_link(client.get(f"/threats/{pending_only.public_id}").content.decode()) is None

    green = make_threat("Green one", tlp=TLP.GREEN)
    sight(make_ioc("domain", "green-c2.example.net", tlp=TLP.GREEN), green)
    client.force_login(make_user("reader", Tier.RESEARCHER))
    link = _misp_link(client.get(f"/threats/{green.public_id}").content.decode())
    assert link == f"/api/misp/{green.uuid}.json"
    event = client.get(link)
    assert event.status_code == 200 and event.json()["Event"]["uuid"] == str(green.uuid)
