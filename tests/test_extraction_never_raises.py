"""Extraction, refanging and normalisation never raise on arbitrary text, and every extracted value
is already in its canonical form (normalising it again changes nothing)."""

import contextlib
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iocs.extraction import extract_iocs, refang, refang_document
from iocs.normalize import InvalidIOC, infer_type, normalize

# Text biased towards the characters IOCs and defanging are made of, plus any Unicode.
_ALPHABET = st.sampled_from(list(string.ascii_letters + string.digits + ".:/[]()@-_|`*#=\n\t hxX"))
_IOC_ISH = st.text(alphabet=_ALPHABET, max_size=300)
_ANY = st.text(max_size=300)
_FRAGMENTS = st.lists(st.sampled_from([
    "hxxp[:]//", "evil[.]com", "[dot]", "(at)", "1.2.3.4", "2001:db8::1", "::", "d41d8cd98f00b204e9800998ecf8427e",
    "|", "----\n", "```\n", "== IoCs\n", "- ", "bc1q", "0x", "CVE-2021-1", "T1059.001", "magnet:?dn=", "\u200b",
    "xn--bcher-kva.example", "\\.", " . ", "www.a.orgText", "libc.so", "Linux/SSHDoor.AC",
]), max_size=20).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_IOC_ISH, _ANY, _FRAGMENTS, st.tuples(_FRAGMENTS, _ANY).map("".join)))
def test_extract_refang_and_normalize_never_raise(text):
    doc = refang_document(text)
    assert doc.original == text
    assert refang(text) == doc.text
    for item in extract_iocs(text):
        assert item.value and isinstance(item.context, str)
        assert 0 <= item.offset <= len(text)
        if item.type not in ("cve", "attack-pattern"):
            assert normalize(item.type, item.value) == item.value
    for ioc_type in ("ipv4", "ipv6", "domain", "url", "md5", "email", "btc", "eth", "xmr"):
        with contextlib.suppress(InvalidIOC):
            normalize(ioc_type, text)
    infer_type(text)


def test_pathological_inputs_stay_linear():
    """Repeated anchors ("://", "@", ".", ":") must not make extraction quadratic."""
    import time

    for text in ("http://a" * 50_000, "a@" * 100_000, "a." * 100_000, ":" * 200_000, "[.]" * 50_000,
                 "x1.y@z.com http://a.b/c 1.2.3.4 " * 5_000):
        started = time.process_time()
        extract_iocs(text)
        assert time.process_time() - started < 5, text[:20]
