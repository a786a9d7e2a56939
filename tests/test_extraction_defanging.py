"""Every common defanging style is undone, flagged as the author's defanging, and the context keeps
the text as the author wrote it."""

import pytest

from iocs.extraction import extract_iocs, refang


def _one(text: str, ioc_type: str):
    found = [x for x in extract_iocs(text) if x.type == ioc_type]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("text", "ioc_type", "value"),
    [
        ("C2: hxxp://evil.example.org/gate.php", "url", "http://evil.example.org/gate.php"),
        ("C2: hXXps://evil.example.org/a", "url", "https://evil.example.org/a"),
        ("C2: h**p://evil.example.org/a", "url", "http://evil.example.org/a"),
        ("C2: hxxp[:]//evil.example.org/a", "url", "http://evil.example.org/a"),
        ("C2: http[://]evil.example.org/a", "url", "http://evil.example.org/a"),
        ("C2: hxxps(://)evil.example.org/a", "url", "https://evil.example.org/a"),
        ("C2: fxp://files.evil-host.net/x.bin", "url", "ftp://files.evil-host.net/x.bin"),
        ("C2 domain evil[.]example-c2.com", "domain", "evil.example-c2.com"),
        ("C2 domain evil(.)example-c2.com", "domain", "evil.example-c2.com"),
        ("C2 domain evil{.}example-c2.com", "domain", "evil.example-c2.com"),
        ("C2 domain evil[dot]example-c2[dot]com", "domain", "evil.example-c2.com"),
        ("C2 domain evil(DOT)example-c2(dot)com", "domain", "evil.example-c2.com"),
        ("C2 domain evil [.] example-c2 [.] com", "domain", "evil.example-c2.com"),
        ("C2 domain evil . example-c2 . com", "domain", "evil.example-c2.com"),
        ("C2 at 203.0.113[.]7 today", "ipv4", "203.0.113.7"),
        ("C2 at 203[.]0[.]113[.]7 today", "ipv4", "203.0.113.7"),
        ("C2 at 2001:db8:85a3[:]8a2e:370:7334:1:2 today", "ipv6", "2001:db8:85a3:8a2e:370:7334:1:2"),
        ("mail phish[@]evil-mail.com now", "email", "phish@evil-mail.com"),
        ("mail phish(@)evil-mail[.]com now", "email", "phish@evil-mail.com"),
        ("mail phish[at]evil-mail[.]com now", "email", "phish@evil-mail.com"),
        ("mail phish{at}evil-mail.com now", "email", "phish@evil-mail.com"),
        ("see hxxp://evil-host.com[/]payload.exe", "url", "http://evil-host.com/payload.exe"),
    ],
)
def test_each_defanging_style_is_refanged_and_flagged(text, ioc_type, value):
    found = _one(text, ioc_type)
    assert found.value == value
    assert found.defanged
    assert found.article_defangs


def test_context_keeps_the_author_defanged_text():
    found = _one("The backdoor contacts hxxp://evil[.]example-c2.com/api for tasks.", "url")
    assert "hxxp://evil[.]example-c2.com/api" in found.context


def test_plain_values_are_not_flagged_defanged():
    found = _one("Contact https://evil-c2.com/x now.", "url")
    assert not found.defanged and not found.article_defangs


def test_markup_noise_is_not_defanging():
    assert not _one("domain evil\\.example-c2.com here", "domain").defanged  # Markdown escape
    assert _one("domain evil\u200b.example-c2.com here", "domain").value == "evil.example-c2.com"  # zero width


def test_refang_leaves_prose_alone():
    prose = "Version 1.2 (stable) [draft] at noon: ok."
    assert refang(prose) == prose
    assert refang("hxxps[:]//a[.]b(.)c[/]d") == "https://a.b.c/d"
