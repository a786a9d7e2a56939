"""The classifier writes its verdicts with one UPDATE per distinct verdict, not one expression per row:
every row gets its own verdict, ``updated_at`` moves (feed deltas and TAXII trust it), and the
statements stay few whatever the batch size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from iocs.classifier import classifier_version, classify
from iocs.classifier.service import classify_pending
from iocs.classifier.warninglists import get_warninglists
from iocs.models import IOC, Status

pytestmark = pytest.mark.django_db
LISTED = {"v": 1, "sightings": 1, "defanged": 1, "listed": 1, "ioc_section": 1, "keywords": ["c2"]}


def test_each_row_gets_its_own_verdict_in_few_statements():
    start = timezone.now()
    rows = [IOC(type="domain", value=f"evil-{n}-c2-host.com", evidence=LISTED, source_count=1) for n in range(120)]
    rows += [IOC(type="ipv4", value=f"10.0.0.{n}", evidence=LISTED) for n in range(1, 60)]
    rows += [IOC(type="domain", value=f"plain-{n}-site.net", evidence={"v": 1, "sightings": 1}) for n in range(40)]
    IOC.objects.bulk_create(rows)
    wl = get_warninglists()
    expected = {}
    for ioc in IOC.objects.all():
        verdict = classify(ioc.type, ioc.value, ioc.evidence, ioc.source_count, warninglists=wl)
        expected[ioc.pk] = (verdict.status, verdict.confidence, verdict.reason)
    with CaptureQueriesContext(connection) as ctx:
        result = classify_pending(batch_size=500)
    assert result.classified == len(expected)
    got = {pk: (s, c, r) for pk, s, c, r in IOC.objects.values_list("pk", "status", "confidence", "reason")}
    assert got == expected
    assert {s for s, _, _ in got.values()} >= {Status.CONFIRMED, Status.FALSE_POSITIVE}
    updates = [q for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("UPDATE")]
    assert len(updates) == len(set(expected.values())) < 20
    assert all("CASE" not in q["sql"] for q in updates)
    assert not IOC.objects.filter(updated_at__lt=start).exists()
    assert set(IOC.objects.values_list("classifier_version", flat=True)) == {classifier_version()}
    assert not IOC.objects.filter(classified_at__isnull=True).exists()
