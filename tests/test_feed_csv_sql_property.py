"""Property: for any text in an IOC's value and reason and in its reports' titles and URLs, whatever
its type, defanged or not, the CSV PostgreSQL writes is the Python renderer's, byte for byte
(iocs/feeds/csvsql.py)."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iocs.feeds import csvsql
from iocs.models import IOC
from tests.feeds_helpers import csv_dataset, make_ioc, render_csv
from threats.models import Article, Sighting, Threat

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("feeds_env")]

# PostgreSQL text holds no NUL (and UTF-8 no surrogate); CSV's and spreadsheets' own characters and
# Python-only whitespace are drawn often, unicode at large the rest of the time.
SHAPED = st.sampled_from([",", '"', "\r", "\n", "\t", "|", "=", "+", "-", "@", " ", "\u3000", "\x1c", "\x85",
                          "\u2028", "'", "\\", ".", "é", "\U0001d518"])
TEXT = st.one_of(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30),
                 st.lists(SHAPED, max_size=8).map("".join))
CASE = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


URLISH = st.lists(st.sampled_from(["http", "HtTp", "://", "/", ".", "@", ":", "a", "é", ",", '"', "\n", "="]),
                  max_size=10).map("".join)
TYPES = st.sampled_from(["url", "domain", "ipv4", "ipv6", "email", "md5"])


@CASE
@given(value=st.one_of(TEXT, URLISH), reason=TEXT, titles=st.lists(TEXT, max_size=7),
       urls=st.lists(TEXT, max_size=7), ioc_type=TYPES, defang=st.booleans(), sparse=st.booleans())
def test_any_text_renders_the_same(value, reason, titles, urls, ioc_type, defang, sparse):
    if connection.vendor != "postgresql":
        pytest.skip("the SQL renderer is PostgreSQL's (SQLite keeps the Python renderer)")
    with transaction.atomic():  # each example in a savepoint, rolled back
        ioc = make_ioc("property.example.com", "url")
        IOC.objects.filter(pk=ioc.pk).update(type=ioc_type, value=value, reason=reason)
        threat = Threat.objects.create(title="t")
        now = timezone.now()
        for n, title in enumerate(titles):
            url = f"{urls[n]}#{n}" if n < len(urls) else "" if n == len(urls) else f"#{n}"  # unique, one maybe empty
            article = Article.objects.create(url=url, title=title, published_at=now - timedelta(days=n % 3))
            Sighting.objects.create(ioc=ioc, article=article, threat=threat)
        dataset = csv_dataset(query={"defang": "true"} if defang else None)
        with mock.patch.object(csvsql, "is_sparse", return_value=sparse):  # either citation plan
            assert render_csv(dataset, in_database=True) == render_csv(dataset, in_database=False)
        transaction.set_rollback(True)
