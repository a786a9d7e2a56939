"""/iocs: live counts, the pending count, the 30-day chart, the keyset-paginated table and the lookup page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apikeys.tlp import TLP
from iocs.models import IOC, Status
from iocs.pages import keyset, query
from tests.scenario import fresh_cache, make_ioc, make_threat, sight  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]


def ipv4(n: int, **kwargs) -> IOC:
    return make_ioc("ipv4", f"203.0.113.{n}", tlp=TLP.CLEAR, **kwargs)


def table_values(html: str) -> list[str]:
    body = html.split('id="ioc-table"', 1)[1].split("</table>", 1)[0]
    return [part.split("</a>", 1)[0].rsplit(">", 1)[1] for part in body.split('<td class="value">')[1:]]


def test_it_shows_counts_by_type_and_confidence_and_the_pending_count(client):
    ipv4(1, confidence="high")
    ipv4(2, confidence="low")
    make_ioc("domain", "a.example.net", confidence="medium", tlp=TLP.CLEAR)
    make_ioc("domain", "b.example.net", status=Status.PENDING, tlp=TLP.CLEAR)
    make_ioc("domain", "c.example.net", status=Status.FALSE_POSITIVE, tlp=TLP.CLEAR)
    counts = query.confirmed_counts(TLP.CLEAR)
    assert counts["all"] == {"high": 1, "medium": 1, "low": 1, "total": 3}
    assert counts["ipv4"]["total"] == 2 and counts["domain"]["medium"] == 1
    html = client.get("/iocs").content.decode()
    assert '<div class="n" id="pending-count">1</div>' in html
    assert "<th scope=\"row\">ipv4</th><td class=\"num\">1</td><td class=\"num\">0</td><td class=\"num\">1</td>" in html


def test_aggregates_are_cached_not_recounted_per_request(client, django_assert_max_num_queries):
    ipv4(1)
    client.get("/iocs")  # warms the cache
    ipv4(2)
    assert query.confirmed_counts(TLP.CLEAR)["all"]["total"] == 1  # still the cached number
    with django_assert_max_num_queries(3):  # the table page, the session-less user: no aggregate query
        client.get("/iocs")


def test_the_chart_has_one_bar_segment_per_type_and_day(client):
    now = timezone.now()
    for n in range(3):
        IOC.objects.filter(pk=ipv4(n + 1).pk).update(first_seen=now - timedelta(days=1))
    old = ipv4(9)
    IOC.objects.filter(pk=old.pk).update(first_seen=now - timedelta(days=40))
    make_ioc("domain", "d.example.net", tlp=TLP.CLEAR)
    series = query.daily_confirmed(TLP.CLEAR)
    assert len(series.days) == 30 and series.days[-1] == now.date()
    assert series.counts["ipv4"][-2] == 3 and sum(series.counts["ipv4"]) == 3
    assert series.counts["domain"][-1] == 1
    html = client.get("/iocs").content.decode()
    assert f"<title>{(now - timedelta(days=1)).date().isoformat()} · ipv4: 3</title>" in html
    assert "ipv4 (3)" in html and "domain (1)" in html


def test_the_table_pages_by_keyset_newest_first(client, monkeypatch):
    monkeypatch.setattr(query, "TABLE_PAGE_SIZE", 2)
    now = timezone.now()
    for n in range(5):
        IOC.objects.filter(pk=ipv4(n + 1).pk).update(first_seen=now - timedelta(hours=n))
    seen, pages, url = [], [], "/iocs"
    for _ in range(3):
        html = client.get(url).content.decode()
        pages.append(table_values(html))
        seen += pages[-1]
        if 'rel="next"' not in html:
            break
        url = "/iocs?" + html.split('rel="next" href="/iocs?', 1)[1].split('"', 1)[0].replace("&amp;", "&")
        assert "offset" not in url
    assert [len(p) for p in pages] == [2, 2, 1]
    assert seen == [f"203.0.113.{n}" for n in range(1, 6)]


def test_the_table_filters_by_type_and_confidence(client):
    ipv4(1, confidence="high")
    ipv4(2, confidence="low")
    make_ioc("domain", "e.example.net", confidence="high", tlp=TLP.CLEAR)
    assert table_values(client.get("/iocs?type=ipv4&confidence=high").content.decode()) == ["203.0.113.1"]
    assert sorted(table_values(client.get("/iocs?confidence=high").content.decode())) == ["203.0.113.1",
                                                                                          "e.example.net"]


@pytest.mark.parametrize("params", ["type=ftp", "confidence=certain", "after=garbage",
                                    f"after={keyset.encode([1, 2])}"])
def test_bad_parameters_are_a_400_naming_them(client, params):
    response = client.get(f"/iocs?{params}")
    assert response.status_code == 400
    assert params.split("=")[0] in response.content.decode()


def test_the_endpoint_guide_builds_curl_lines_from_the_site_url(client, settings):
    settings.SITE_URL = "https://cti.example.org"
    html = client.get("/iocs").content.decode()
    assert "curl -sS https://cti.example.org/api/iocs/public/feed.txt" in html
    assert "X-API-Key: $TC_API_KEY" in html and "iocs:read" in html and "misp:read" in html
    assert "https://cti.example.org/api/misp" in html  # the MISP Add-feed table


def test_the_lookup_page_shows_the_verdict_and_the_clusters(client):
    ioc = ipv4(7, confidence="medium")
    threat = make_threat("Campaign against ports", tlp=TLP.CLEAR)
    sight(ioc, threat)
    html = client.get("/iocs/lookup", {"value": "203.0.113[.]7"}).content.decode()
    assert "confirmed · medium confidence" in html
    assert f'<a href="/threats/{threat.public_id}">Campaign against ports</a>' in html


def test_the_lookup_page_says_not_seen_and_rejects_garbage(client):
    assert 'id="not-found"' in client.get("/iocs/lookup", {"value": "198.51.100.99"}).content.decode()
    response = client.get("/iocs/lookup", {"value": "not an ioc at all"})
    assert response.status_code == 400 and 'id="lookup-error"' in response.content.decode()
    assert client.get("/iocs/lookup", {"value": "x", "type": "nope"}).status_code == 400


def test_the_lookup_page_shares_the_apis_rate_limit(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "default": {**settings.RATE_LIMITS["default"], "public": "2/m"}}
    assert client.get("/api/iocs/lookup", {"value": "198.51.100.1"}).status_code == 200
    assert client.get("/iocs/lookup", {"value": "198.51.100.1"}).status_code == 200
    limited = client.get("/iocs/lookup", {"value": "198.51.100.1"})
    assert limited.status_code == 429 and 1 <= int(limited["Retry-After"]) <= 60
    assert client.get("/iocs").status_code == 200  # the landing page itself is not metered


def test_keyset_pages_split_ties_by_id(monkeypatch):
    monkeypatch.setattr(query, "TABLE_PAGE_SIZE", 2)
    same = timezone.now() - timedelta(hours=1)
    ids = [ipv4(n + 1).pk for n in range(5)]
    IOC.objects.filter(pk__in=ids).update(first_seen=same)
    seen, cursor = [], None
    for _ in range(4):
        rows, token = query.newest_confirmed(TLP.CLEAR, query.TableFilters(), cursor)
        seen += [row["id"] for row in rows]
        if token is None:
            break
        cursor = keyset.decode(token, [type(same), int])
    assert seen == sorted(ids, reverse=True)


def test_a_due_aggregate_is_recomputed_by_one_request_while_others_get_the_old_one(monkeypatch):
    ipv4(1)
    assert query.confirmed_counts(TLP.CLEAR)["all"]["total"] == 1
    ipv4(2)
    clock = [timezone.now().timestamp() + query.AGGREGATE_TTL + 1]
    monkeypatch.setattr(query.time, "time", lambda: clock[0])
    key = f"pages:iocs:counts:v2:{int(TLP.CLEAR)}:refreshing"
    from django.core.cache import cache

    cache.add(key, 1, 60)  # another request is recomputing
    assert query.confirmed_counts(TLP.CLEAR)["all"]["total"] == 1  # served stale, no second computation
    cache.delete(key)
    assert query.confirmed_counts(TLP.CLEAR)["all"]["total"] == 2  # this request takes the refresh
    assert cache.get(key) is None


def test_the_beat_task_refreshes_every_level_so_page_views_run_no_aggregate_query(
        client, django_assert_max_num_queries, settings):
    from iocs.tasks import refresh_page_aggregates

    assert "iocs.refresh_page_aggregates" in {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    ipv4(1)
    make_ioc("domain", "green.example.net", tlp=TLP.GREEN)
    assert query.confirmed_counts(TLP.CLEAR)["all"]["total"] == 1
    ipv4(2)
    assert refresh_page_aggregates() == len(TLP)  # what the beat entry runs
    assert query.confirmed_counts(TLP.CLEAR)["all"]["total"] == 2  # fresh although the old entry was not due
    assert query.confirmed_counts(TLP.GREEN)["all"]["total"] == 3
    assert sum(map(sum, query.daily_confirmed(TLP.CLEAR).counts.values())) == 2
    with django_assert_max_num_queries(3):
        client.get("/iocs")


def test_the_landing_page_shows_misps_add_feed_settings_for_this_site(client, settings):
    settings.SITE_URL = "https://cti.example.org"
    html = client.get("/iocs").content.decode()
    section = html.split('<section class="misp-feeds">', 1)[1].split("</section>", 1)[0]
    assert "Public MISP feed" in section and "https://cti.example.org/misp" in section
    assert "https://cti.example.org/api/misp" in section  # the token feed, with a token placeholder
