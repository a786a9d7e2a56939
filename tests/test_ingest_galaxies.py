"""Galaxy matching: real names and synonyms are found, common words and look-alikes are not."""

import pytest

from threats.ingest import galaxies


def names(text: str) -> set[str]:
    return {e.name for e in galaxies.find_entities(text)}


@pytest.mark.parametrize(("text", "expected"), [
    ("The campaign is attributed to APT28.", {"APT28"}),
    ("ESET tracks this group as Sednit; others call it Fancy Bear.", {"APT28"}),
    ("Sofacy's new downloader", {"APT28"}),
    ("A spam wave delivered Emotet, also known as Heodo.", {"Emotet"}),
    ("The operators deployed Cobalt Strike beacons.", {"Cobalt Strike"}),
    ("Credentials were dumped with Mimikatz.", {"Mimikatz"}),
    ("The Royal ransomware gang encrypted the servers.", {"Royal"}),
    ("Lazarus Group targeted defence contractors", {"Lazarus Group"}),
    ("APT 29 and apt29 are the same group", {"APT29"}),
    ("(Turla) used the Gazer backdoor", {"Turla", "Gazer"}),
])
def test_it_finds_names_and_synonyms(text, expected):
    assert expected <= names(text)


@pytest.mark.parametrize("text", [
    "The royal family visited the palace.",  # a common word, no cue
    "Royal Mail delivered the parcel.",  # capitalised, still no cue
    "Children play in the garden and bees hive.",  # lower-case common words
    "A snake crossed the road.",
    "The dropped file emotet.dll was renamed.",  # part of a file name
    "Traffic went to lazarus.example.com over HTTPS.",  # part of a domain
    "The anti-Emotet campaign by police",  # glued with a hyphen
    "Hosted by Cloudflare, Inc. in the US",  # 'Inc' is a ransomware name, here a company suffix
    "We used ping and ipconfig and cmd to check the network.",  # built-in tools
    "Glary Malware Hunter Pro was bundled with a crack.",  # 'Hunter' is only a synonym of Tinba
    "emotet in lower case inside a hashtag #emotetbeacon",  # lower-case span of a capitalised name
])
def test_it_ignores_false_friends(text):
    assert names(text) == set(), text


def test_word_boundaries_keep_possessives_and_punctuation():
    matches = galaxies.default_matcher().find("APT28's tooling, (Emotet) and \"Turla\".")
    assert [m.text for m in matches] == ["APT28", "Emotet", "Turla"]


def test_shared_synonyms_never_merge_two_actors():
    apt28, apt29 = galaxies.lookup("actor", "APT28"), galaxies.lookup("actor", "APT29")
    assert apt28 is not None and apt29 is not None and apt28 is not apt29
    assert galaxies.lookup("actor", "Cozy Bear") is apt29
    assert galaxies.lookup("actor", "Turla Group") is galaxies.lookup("actor", "Turla")
    assert galaxies.lookup("actor", "MITRE ID G0016") is None


def test_usable_name_rules():
    assert galaxies.usable_name("APT28")
    assert not galaxies.usable_name("Trojan.Heur.JP.juW@ayZZvMb")
    assert not galaxies.usable_name("Win32/Zegost.BW")
    assert not galaxies.usable_name("42")
    assert not galaxies.usable_name("ab")


def test_attack_pattern_table_has_names_and_tactics():
    name, tactics = galaxies.attack_patterns()["T1059.001"]
    assert name == "PowerShell" and "execution" in tactics
