"""Each IOC type is found and normalised exactly as the IOC table stores it; wallets must pass
their checksums."""

import hashlib

import pytest

from iocs import wallets
from iocs.extraction import extract_iocs
from iocs.normalize import normalize

MD5 = hashlib.md5(b"x", usedforsecurity=False).hexdigest()
SHA1 = hashlib.sha1(b"x", usedforsecurity=False).hexdigest()
SHA256 = hashlib.sha256(b"x").hexdigest()


def _values(text: str, ioc_type: str) -> list[str]:
    return [x.value for x in extract_iocs(text) if x.type == ioc_type]


@pytest.mark.parametrize(
    ("text", "ioc_type", "value"),
    [
        ("server 198.51.100.23 answered", "ipv4", "198.51.100.23"),
        ("port 198.51.100.23:8443 open", "ipv4", "198.51.100.23"),
        ("v6 2001:DB8:0:0:8:800:200C:417A up", "ipv6", "2001:db8::8:800:200c:417a"),
        ("v6 2001:db8::8:800:200c:417a up", "ipv6", "2001:db8::8:800:200c:417a"),
        ("v6 [2a03:2880:f10c:83::25]:443 up", "ipv6", "2a03:2880:f10c:83::25"),
        ("domain Update-Check.Example-Mal.COM seen", "domain", "update-check.example-mal.com"),
        ("domain _spf.evil-mail.com seen", "domain", "_spf.evil-mail.com"),
        ("onion abcdefghij234567.onion seen", "domain", "abcdefghij234567.onion"),
        ("url HTTP://Evil-C2.COM:8080/Gate.php?id=A1 seen", "url", "http://evil-c2.com:8080/Gate.php?id=A1"),
        ("url https://evil-c2.com/x#frag seen", "url", "https://evil-c2.com/x"),
        ("scheme-less evil-c2.com/wp-content/x.php seen", "url", "http://evil-c2.com/wp-content/x.php"),
        ("scheme-less 203.0.113.9/bins/mips seen", "url", "http://203.0.113.9/bins/mips"),
        (f"md5 {MD5.upper()} seen", "md5", MD5),
        (f"sha1 {SHA1} seen", "sha1", SHA1),
        (f"sha256 {SHA256} seen", "sha256", SHA256),
        ("mail Ops.Team+x@Evil-Mail.com seen", "email", "ops.team+x@evil-mail.com"),
        ("mailto:ops@evil-mail.com seen", "email", "ops@evil-mail.com"),
        ("cve cve-2021-44228 and CVE\u20112017\u201111882 seen", "cve", "CVE-2021-44228"),
        ("technique T1059.001 used", "attack-pattern", "T1059.001"),
        ("technique T1566 used", "attack-pattern", "T1566"),
    ],
)
def test_each_type_is_found_normalised(text, ioc_type, value):
    assert value in _values(text, ioc_type)
    if ioc_type not in ("cve", "attack-pattern"):
        assert normalize(ioc_type, value) == value


def test_cve_with_unicode_hyphens_is_normalised():
    assert "CVE-2017-11882" in _values("CVE\u20112017\u201111882", "cve")


def test_bitcoin_addresses_need_a_valid_checksum():
    good_b58 = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
    good_bech32 = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
    bad = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb"
    text = f"pay {good_b58} or {good_bech32.upper()} not {bad}"
    assert sorted(_values(text, "btc")) == sorted([good_b58, good_bech32])


def test_ethereum_mixed_case_must_pass_eip55():
    good = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
    bad = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d35A"
    assert _values(f"eth {good} and {bad}", "eth") == [good.lower()]


def test_monero_needs_a_valid_checksum():
    good = wallets.encode_monero(18, hashlib.sha256(b"a").digest(), hashlib.sha256(b"b").digest())
    bad = good[:-1] + ("1" if good[-1] != "1" else "2")
    assert _values(f"xmr {good} / {bad}", "xmr") == [good]


def test_hashes_next_to_file_names_are_found():
    text = f"{SHA256}  invoice.exe\n{SHA1}:dropper.dll\n{MD5}.bin"
    assert _values(text, "sha256") == [SHA256]
    assert _values(text, "sha1") == [SHA1]
    assert _values(text, "md5") == [MD5]


def test_internationalised_names_are_stored_in_punycode():
    text = ("Phishing on b\u00fccher-shop.example-store.de, "
            "\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444/login and evil[.]\u4e2d\u56fd")
    values = {x.value for x in extract_iocs(text)}
    assert "xn--bcher-shop-9db.example-store.de" in values
    assert "http://xn--e1afmkfd.xn--p1ai/login" in values
    assert "evil.xn--fiqs8s" in values
    assert not any(v.startswith("cher-shop") for v in values)
