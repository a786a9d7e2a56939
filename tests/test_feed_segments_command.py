"""``manage.py feed_segments``: what the stored CSV blocks hold, ``--prune`` and ``--flush``."""

import io

import pytest
from django.core.management import call_command
from django.db import connection

from iocs.feeds import csvsql
from iocs.feeds.models import FeedSegment
from tests.feeds_helpers import csv_dataset, make_ioc, render_csv

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("feeds_env")]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("feed_segments", *args, stdout=out)
    return out.getvalue()


def test_report_prune_and_flush(monkeypatch):
    if connection.vendor != "postgresql":
        assert "keeps none" in run()
        return
    monkeypatch.setattr(csvsql, "MIN_ROWS", 0)
    make_ioc("a.example.com")
    render_csv(csv_dataset(), in_database=True)
    report = run()
    assert "Triggers: all enabled." in report and "1 blocks" in report
    assert "Dropped 0 blocks" in run("--prune")  # still valid and read today
    assert FeedSegment.objects.count() == 1
    assert "Dropped 1 stored blocks." in run("--flush")
    assert not FeedSegment.objects.exists()
