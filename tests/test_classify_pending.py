"""The batch classifier: pending IOCs get a verdict, reviewed IOCs are never changed by any run,
the pending count is refreshed, and the command and the Celery task run the same service."""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from iocs.classifier import classifier_version
from iocs.classifier.service import classify_pending, pending_total
from iocs.models import IOC, Status
from iocs.stats import PENDING_COUNT_KEY, pending_count
from iocs.tasks import classify_pending_iocs

LISTED = {"v": 1, "sightings": 1, "defanged": 1, "listed": 1, "ioc_section": 1, "keywords": ["c2"]}


def _make(value: str, ioc_type: str = "domain", **fields) -> IOC:
    return IOC.objects.create(type=ioc_type, value=value, evidence=fields.pop("evidence", LISTED), **fields)


@pytest.mark.django_db
def test_pending_iocs_get_verdicts_with_reason_and_version():
    evil = _make("evil-c2-host.com", source_count=1)
    private = _make("10.2.3.4", "ipv4")
    result = classify_pending(batch_size=1)
    assert (result.classified, result.confirmed, result.false_positive) == (2, 1, 1)
    evil.refresh_from_db()
    private.refresh_from_db()
    assert (evil.status, evil.confidence) == (Status.CONFIRMED, "high")
    assert private.status == Status.FALSE_POSITIVE and private.confidence == "" and "reserved" in private.reason
    for row in (evil, private):
        assert row.classifier_version == classifier_version() and row.classified_at is not None and row.reason


@pytest.mark.django_db
def test_reviewed_iocs_are_never_changed_by_reruns():
    staff = get_user_model().objects.create_user("analyst")
    reviewed_at = timezone.now()
    kept = _make("10.9.9.9", "ipv4", status=Status.CONFIRMED, confidence="high", reason="checked by hand",
                 reviewed_by=staff, reviewed_at=reviewed_at)
    pending_but_reviewed = _make("google.com", status=Status.PENDING, reviewed_by=staff, reviewed_at=reviewed_at)
    before = {row.pk: (row.status, row.confidence, row.reason, row.updated_at) for row in (kept, pending_but_reviewed)}
    for _ in range(2):
        classify_pending()
        classify_pending(reclassify=True)
    for row in (kept, pending_but_reviewed):
        row.refresh_from_db()
        assert (row.status, row.confidence, row.reason, row.updated_at) == before[row.pk]
        assert row.classifier_version == ""


@pytest.mark.django_db
def test_a_second_run_finds_nothing_and_reclassify_only_touches_other_versions():
    _make("evil-c2-host.com")
    assert classify_pending().classified == 1
    assert classify_pending().classified == 0
    assert pending_total(reclassify=True) == 0
    IOC.objects.update(classifier_version="0.9+old")
    assert classify_pending(reclassify=True).classified == 1


@pytest.mark.django_db
def test_limit_and_progress():
    for i in range(7):
        _make(f"evil-{i}-c2.com")
    seen = []
    result = classify_pending(batch_size=3, limit=5, progress=seen.append)
    assert result.classified == 5 and sum(seen) == 5
    assert IOC.objects.filter(status=Status.PENDING).count() == 2


@pytest.mark.django_db
def test_the_pending_count_is_refreshed():
    _make("evil-c2-host.com")
    assert pending_count() == 1
    assert cache.get(PENDING_COUNT_KEY) == 1
    classify_pending()
    assert cache.get(PENDING_COUNT_KEY) is None
    assert pending_count() == 0


@pytest.mark.django_db
def test_command_shows_progress_and_summary(capsys):
    _make("evil-c2-host.com")
    _make("192.168.1.1", "ipv4")
    call_command("classify_iocs", "--dry-run")
    assert "2 IOC(s) would be classified" in capsys.readouterr().out
    call_command("classify_iocs", "--batch-size", "1")
    captured = capsys.readouterr()
    assert "Classified 2 IOC(s): 1 confirmed, 1 false positive(s)." in captured.out
    assert "ioc" in captured.err  # the tqdm progress bar


@pytest.mark.django_db
def test_celery_task_runs_the_same_service():
    _make("evil-c2-host.com")
    result = classify_pending_iocs.apply(kwargs={"batch_size": 10}).get()  # in-process, with or without a broker
    assert result == {"classified": 1, "confirmed": 1, "false_positive": 0}
