"""What only looks like an IOC is not extracted: file and library names on real TLDs, detection
names, package names, times, versions, hashes inside URLs or names, hex blobs, magnet links."""

import hashlib

import pytest

from iocs.extraction import extract_iocs

MD5 = hashlib.md5(b"y", usedforsecurity=False).hexdigest()


def _pairs(text: str) -> set[tuple[str, str]]:
    return {(x.type, x.value) for x in extract_iocs(text)}


@pytest.mark.parametrize(
    "text",
    [
        "The loader patches libc.so.6 and loads libXXX.so from /lib64/libkeyutils.so.1.",
        "It drops invoice.pdf, svchost.exe and wp-login.php, then runs setup.py and install.sh.",
        "The archive loader.zip contains movie.mov; the Apache module mod_env.so is loaded.",
        "ESET detects it as Linux/SSHDoor.AC, Win32/Agent.AB and MSIL/OilRig.D.",
        "Also seen: SSHDoor.AC and Agent.ABC variants (Trojan.Win32.Agent.xyz).",
        "The app com.example.wallet.app requests android.permission.CAMERA from com.fitness.",
        "At 12:30:45 and again at 10:15::30 the sample ran.",
        "Version 6.1.7601.17514 of the DLL, ver 1.2.3.4, v2.0.0.1 and build 10.0.0.1 were seen.",
        "OID 1.3.6.1.4.1.311.2.1.21 appears in the certificate.",
    ],
)
def test_impostors_are_not_extracted(text):
    network = {p for p in _pairs(text) if p[0] in ("domain", "ipv4", "ipv6", "url", "email")}
    assert network == set()


def test_file_like_tld_is_a_domain_with_a_network_cue():
    assert ("domain", "update-server.zip") in _pairs("C2 domain: update-server[.]zip")
    assert ("domain", "update-server.zip") not in _pairs("It unpacks update-server.zip to disk.")


def test_glued_markup_is_cut_at_the_case_change():
    pairs = _pairs("Read it at https://www.example-vendor.orgWeLiveSecurity today")
    assert ("url", "https://www.example-vendor.org/") in pairs


def test_hashes_inside_urls_and_names_are_not_hashes():
    text = f"Get hxxp://evil-c2.com/{MD5} and sample_{MD5}_x.bin"
    pairs = _pairs(text)
    assert ("url", f"http://evil-c2.com/{MD5}") in pairs
    assert ("md5", MD5) not in pairs


def test_lines_of_a_wrapped_hex_blob_are_not_hashes():
    blob = "\n".join(hashlib.sha512(str(i).encode()).hexdigest()[:80] for i in range(3))
    text = f"RSA modulus:\n----\n{blob}\n{MD5}\n----\n"
    assert ("md5", MD5) not in _pairs(text)


def test_magnet_links_do_not_leak_file_names_or_versions():
    text = "|magnet:?xt=urn:btih:abc&dn=Tool 4.0.9.3 Setup.v2.zip&xl=1| -"
    assert _pairs(text) == set()


def test_numbers_and_letters_only_runs_are_not_hashes():
    assert _pairs("id " + "1" * 32 + " and " + "abcdef" * 6 + "ab") == set()
