"""IOC values are stored in one canonical form, so the same IOC written twice is one row."""

import pytest
from django.db import IntegrityError, transaction

from iocs.models import IOC
from iocs.normalize import InvalidIOC, IOCType, defang, infer_type, normalize, refang


@pytest.mark.parametrize(
    ("ioc_type", "raw", "expected"),
    [
        ("ipv4", " 198.51.100.7 ", "198.51.100.7"),
        ("ipv4", "198[.]51[.]100[.]7", "198.51.100.7"),
        ("ipv6", "2001:0DB8:0000:0000:0000:0000:0000:0007", "2001:db8::7"),
        ("ipv6", "[2001:db8::7]", "2001:db8::7"),
        ("domain", "Evil[.]Example.COM.", "evil.example.com"),
        ("domain", "evil(dot)example(.)com", "evil.example.com"),
        ("domain", "bücher.example", "xn--bcher-kva.example"),
        ("url", "hxxp://Evil[.]COM/Path?Q=1", "http://evil.com/Path?Q=1"),
        ("url", "hXXps[://]evil.com:443/a/B", "https://evil.com/a/B"),
        ("url", "http://evil.com:8080", "http://evil.com:8080/"),
        ("url", "https://evil.com/x#frag", "https://evil.com/x"),
        ("url", "http://[2001:DB8::1]/x", "http://[2001:db8::1]/x"),
        ("url", "http://evil.com/caf\u00e9", "http://evil.com/caf%C3%A9"),
        ("md5", "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e"),
        ("sha1", "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ("email", "Phish[@]Evil[.]Example.com", "phish@evil.example.com"),
        ("email", "a.b[at]evil.com", "a.b@evil.com"),
        ("btc", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"),
        ("btc", "BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"),
        ("eth", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"),
    ],
)
def test_it_normalizes(ioc_type, raw, expected):
    assert normalize(ioc_type, raw) == expected


@pytest.mark.parametrize(
    ("ioc_type", "raw"),
    [
        ("ipv4", "010.1.1.1"),
        ("ipv4", "300.1.1.1"),
        ("domain", "invoice"),
        ("domain", "-bad-.com"),
        ("url", "http://exa mple.com/"),
        ("url", "javascript:alert(1)"),
        ("md5", "xyz"),
        ("btc", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb"),  # checksum broken
        ("eth", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"),  # EIP-55 broken
        ("xmr", "4" + "1" * 94),
        ("email", "no-at-sign.example.com"),
        ("nope", "x"),
        ("domain", ""),
    ],
)
def test_it_rejects_invalid_values(ioc_type, raw):
    with pytest.raises(InvalidIOC):
        normalize(ioc_type, raw)


def test_refang_and_defang_round_trip():
    assert refang("hxxps[:]//bad[.]example[.]com/x") == "https://bad.example.com/x"
    for ioc_type, value in [("url", "https://bad.example.com/x"), ("domain", "bad.example.com"),
                            ("ipv4", "198.51.100.7"), ("email", "a@bad.example.com"), ("ipv6", "2001:db8::1")]:
        defanged = defang(ioc_type, value)
        assert defanged != value
        assert normalize(ioc_type, defanged) == value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("hxxp://evil[.]com/x", ("url", "http://evil.com/x")),
        ("EVIL.com", ("domain", "evil.com")),
        ("198.51.100.7", ("ipv4", "198.51.100.7")),
        ("2001:db8::7", ("ipv6", "2001:db8::7")),
        ("D41D8CD98F00B204E9800998ECF8427E", ("md5", "d41d8cd98f00b204e9800998ecf8427e")),
        ("x@evil.com", ("email", "x@evil.com")),
        ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", ("btc", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")),
        ("hello world", None),
    ],
)
def test_it_infers_the_type(value, expected):
    assert infer_type(value) == expected


@pytest.mark.django_db
def test_the_same_ioc_twice_is_one_row():
    IOC.objects.create(type=IOCType.DOMAIN, value="Evil[.]Example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        IOC.objects.create(type=IOCType.DOMAIN, value="evil.example.COM.")
    ioc, created = IOC.objects.get_or_create(type=IOCType.DOMAIN, value=normalize("domain", "EVIL.example.com"))
    assert not created
    assert IOC.objects.count() == 1
    assert ioc.value == "evil.example.com"


@pytest.mark.django_db
def test_the_same_value_under_two_types_is_two_iocs():
    IOC.objects.create(type=IOCType.DOMAIN, value="evil.example.com")
    IOC.objects.create(type=IOCType.URL, value="http://evil.example.com/")
    assert IOC.objects.count() == 2


@pytest.mark.django_db
def test_confidence_is_set_only_when_confirmed():
    with pytest.raises(IntegrityError), transaction.atomic():
        IOC.objects.create(type="md5", value="d41d8cd98f00b204e9800998ecf8427e", status="pending", confidence="high")
    with pytest.raises(IntegrityError), transaction.atomic():
        IOC.objects.create(type="md5", value="d41d8cd98f00b204e9800998ecf8427e", status="confirmed", confidence="")


@pytest.mark.django_db
def test_bulk_updates_move_updated_at():
    ioc = IOC.objects.create(type=IOCType.DOMAIN, value="evil.example.com")
    before = ioc.updated_at
    IOC.objects.filter(pk=ioc.pk).update(status="false_positive")
    ioc.refresh_from_db()
    assert ioc.updated_at > before


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP://evil.com/x", "http://evil.com/x"),
        ("hXXps[:]//evil[.]com", "https://evil.com"),
        ("plain words, no IOC (here).", "plain words, no IOC (here)."),
        ("http://evil.com/a", "http://evil.com/a"),
    ],
)
def test_refang_fast_path_keeps_the_rules(raw, expected):
    assert refang(raw) == expected
