"""stix.StixTime: the database formats timestamps exactly as stix_time does (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from iocs.models import IOC
from threats import stix


@pytest.mark.django_db
@pytest.mark.parametrize("moment", [
    datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC),
    datetime(2024, 5, 1, 10, 0, 59, 999999, tzinfo=UTC),
    datetime(2024, 12, 31, 23, 59, 59, 1000, tzinfo=UTC),
    datetime(2024, 5, 1, 2, 30, 0, 123456, tzinfo=timezone(timedelta(hours=-5))),
])
def test_database_formatting_matches_python(moment):
    IOC.objects.create(type="domain", value="evil.example.com", first_seen=moment, last_seen=moment)
    text, last = IOC.objects.values_list(stix.StixTime("first_seen"), stix.StixTime("last_seen")).get()
    assert text == last == stix.stix_time(moment)
    assert stix.stix_time(text) == text  # strings pass through the builders unchanged
