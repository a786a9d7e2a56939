"""seed_demo builds a deterministic dataset covering every type, status, confidence and TLP level."""

import pytest
from django.core.management import CommandError, call_command

from apikeys.tlp import TLP
from iocs.models import IOC, Confidence, Status
from iocs.normalize import IOCType, normalize
from threats import demo
from threats.models import Sighting, Threat


def _seed(seed: int) -> str:
    call_command("seed_demo", "--threats", "12", "--iocs", "600", "--seed", str(seed), "--flush", verbosity=0)
    return demo.dataset_fingerprint()


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_dataset():
    first = _seed(7)
    assert _seed(7) == first
    assert _seed(8) != first


@pytest.mark.django_db
def test_it_covers_every_type_status_confidence_and_tlp():
    _seed(3)
    assert set(IOC.objects.values_list("type", flat=True)) == set(IOCType.values)
    assert set(IOC.objects.values_list("status", flat=True)) == set(Status.values)
    assert set(IOC.objects.filter(status="confirmed").values_list("confidence", flat=True)) == set(Confidence.values)
    assert set(Threat.objects.values_list("tlp", flat=True)) == set(TLP.values)
    for ioc_type, value in IOC.objects.values_list("type", "value"):
        assert normalize(ioc_type, value) == value  # valid hashes, wallets with checksums, ...
    assert Sighting.objects.count() >= IOC.objects.count()
    threat = Threat.objects.first()
    assert threat.actors.exists() and threat.malware.exists() and threat.attack_patterns.exists()
    assert len(threat.public_id) == 8 and int(threat.public_id, 16) >= 0


@pytest.mark.django_db
def test_ioc_visibility_is_the_least_restrictive_tlp_of_its_threats():
    _seed(5)
    for ioc in IOC.objects.prefetch_related("sightings__threat")[:200]:
        assert ioc.tlp == min(s.threat.tlp for s in ioc.sightings.all())


@pytest.mark.django_db
def test_it_refuses_to_mix_with_existing_data():
    _seed(1)
    with pytest.raises(CommandError):
        call_command("seed_demo", "--iocs", "10", verbosity=0)
    call_command("seed_demo", "--iocs", "10", "--if-empty", verbosity=0)
    assert IOC.objects.count() == 600
