"""The STIX id -> IOC index behind TAXII ``match[id]``: filled for rows that lack it, rebuilt when
``ORG_UUID`` changes, and the same ids as the builder's."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from iocs.models import IOC
from tests.feeds_helpers import bulk_iocs, make_ioc
from threats import stix
from threats.models import IndicatorId
from threats.taxii import ids

pytestmark = pytest.mark.django_db


def test_sync_indexes_what_is_missing_once():
    bulk_iocs(30, "idx")
    assert ids.sync() == 30
    assert ids.sync() == 0
    extra = make_ioc("one-more.example.com")
    assert ids.sync() == 1
    row = IndicatorId.objects.get(ioc=extra)
    assert f"indicator--{row.stix_uuid}" == stix.indicator_id("domain", "one-more.example.com")


def test_lookup_by_id_and_org_uuid_change(settings):
    ioc = make_ioc("lookup.example.com")
    wanted = stix.indicator_id("domain", "lookup.example.com")
    assert list(IOC.objects.filter(id__in=ids.ioc_ids_for([wanted, "malware--00000000-0000-4000-8000-000000000000"])))\
        == [ioc]
    settings.ORG_UUID = "0f0e0d0c-0b0a-4908-8706-050403020100"
    moved = stix.indicator_id("domain", "lookup.example.com")
    assert moved != wanted
    assert list(IOC.objects.filter(id__in=ids.ioc_ids_for([moved]))) == [ioc]
    assert not IOC.objects.filter(id__in=ids.ioc_ids_for([wanted])).exists()


def test_command():
    bulk_iocs(5, "cmd")
    out = StringIO()
    call_command("taxii_index", stdout=out)
    assert "Indexed 5 IOC(s)." in out.getvalue()
