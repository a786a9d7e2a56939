"""threats.stix: patterns, ids, timestamps, TLP 2.0 markings, the streamed bundle, validated for real."""

from __future__ import annotations

import itertools
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
import stix2
from django.test import override_settings
from stix2patterns.validator import run_validator

from apikeys.tlp import TLP
from iocs.normalize import IOCType
from tests.stix_samples import T0, T1, rows_of_every_type, values_of_every_type
from tests.validators import assert_valid
from tests.validators import run_validator as run_shared_validator
from threats import stix

OFFICIAL_TLP2 = {  # oasis-open/cti-stix-common-objects, FORMATS.md 2.4
    TLP.CLEAR: ("marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "TLP:CLEAR", "clear"),
    TLP.GREEN: ("marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "TLP:GREEN", "green"),
    TLP.AMBER: ("marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "TLP:AMBER", "amber"),
    TLP.AMBER_STRICT: ("marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", "TLP:AMBER+STRICT",
                       "amber+strict"),
    TLP.RED: ("marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "TLP:RED", "red"),
}


def test_every_ioc_type_has_a_pattern_that_parses():
    seen_types = set()
    for ioc_type, value in values_of_every_type():
        text = stix.pattern(ioc_type, value)
        assert run_validator(text, stix_version="2.1") == [], text
        seen_types.add(ioc_type)
    assert seen_types == set(IOCType.values)


@pytest.mark.parametrize(("ioc_type", "value", "expected"), [
    ("ipv4", "198.51.100.7", "[ipv4-addr:value = '198.51.100.7']"),
    ("ipv6", "2001:db8::7", "[ipv6-addr:value = '2001:db8::7']"),
    ("domain", "evil.example.com", "[domain-name:value = 'evil.example.com']"),
    ("md5", "d41d8cd98f00b204e9800998ecf8427e", "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']"),
    ("sha1", "a" * 40, f"[file:hashes.'SHA-1' = '{'a' * 40}']"),
    ("sha256", "b" * 64, f"[file:hashes.'SHA-256' = '{'b' * 64}']"),
    ("email", "x@evil.example.com", "[email-addr:value = 'x@evil.example.com']"),
    ("btc", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
     "[cryptocurrency-wallet:value = '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2']"),
    ("eth", "0x" + "c" * 40, f"[cryptocurrency-wallet:value = '0x{'c' * 40}']"),
    ("url", "http://e.example.com/a'b\\c", "[url:value = 'http://e.example.com/a\\'b\\\\c']"),
])
def test_pattern_text(ioc_type, value, expected):
    assert stix.pattern(ioc_type, value) == expected


def test_escaping_is_needed_and_sufficient():
    value = "http://evil.example.com/'\\'"
    unescaped = f"[url:value = '{value}']"
    assert run_validator(unescaped, stix_version="2.1") != []  # the naive pattern is a syntax error
    assert run_validator(stix.pattern("url", value), stix_version="2.1") == []


def test_unknown_type_is_refused():
    with pytest.raises(ValueError, match="no STIX pattern"):
        stix.pattern("cve", "CVE-2021-44228")


@pytest.mark.parametrize(("value", "expected"), [
    (datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC), "2024-05-01T10:00:00.000Z"),
    (datetime(2024, 5, 1, 10, 0, 0, 987654, tzinfo=UTC), "2024-05-01T10:00:00.987Z"),
    (datetime(2024, 5, 1, 12, 0, 0, 5000, tzinfo=timezone(timedelta(hours=2))), "2024-05-01T10:00:00.005Z"),
    (datetime(2024, 5, 1, 10, 0, 0), "2024-05-01T10:00:00.000Z"),
])
def test_stix_time(value, expected):
    assert stix.stix_time(value) == expected


def test_ids_are_deterministic_uuid5_in_the_org_namespace():
    a = stix.indicator_id("domain", "evil.example.com")
    assert a == stix.indicator_id("domain", "evil.example.com")
    assert a != stix.indicator_id("domain", "evil2.example.com")
    assert a != stix.indicator_id("url", "evil.example.com")
    assert uuid.UUID(a.split("--")[1]).version == 5
    with override_settings(ORG_UUID="0b7f3c1e-2a4d-4e5f-8a9b-0c1d2e3f4a5b"):
        assert stix.indicator_id("domain", "evil.example.com") != a
    # the key separator keeps composite keys apart
    assert stix.stix_id("x", "a|b", "c") != stix.stix_id("x", "a", "b|c")


def test_indicator_properties():
    row = {"type": "domain", "value": "evil.example.com", "status": "confirmed", "confidence": "medium",
           "reason": "seen in 3 reports", "first_seen": T0, "created_at": T0, "updated_at": T1}
    obj = stix.indicator(row, marking_id=stix.marking_id(TLP.GREEN))
    assert obj["confidence"] == 50
    assert obj["indicator_types"] == ["malicious-activity"]
    assert obj["valid_from"] == "2024-05-01T10:00:00.123Z"
    assert (obj["created"], obj["modified"]) == ("2024-05-01T10:00:00.123Z", "2024-06-02T08:30:00.000Z")
    assert obj["object_marking_refs"] == [OFFICIAL_TLP2[TLP.GREEN][0]]
    assert obj["created_by_ref"] == stix.publisher_identity_id()
    assert obj["name"] == "evil.example.com" and "seen in 3 reports" in obj["description"]
    pending = stix.indicator({**row, "status": "pending", "confidence": ""}, marking_id=obj["object_marking_refs"][0])
    assert "confidence" not in pending and pending["indicator_types"] == ["unknown"]
    assert "pending" in pending["description"] and pending["labels"] == ["pending-review"]
    assert "labels" not in obj
    assert pending["id"] == obj["id"]  # the same IOC, the same indicator, whatever its verdict


def test_modified_never_precedes_created():
    row = {"type": "ipv4", "value": "198.51.100.7", "first_seen": T1, "created_at": T1, "updated_at": T0}
    obj = stix.indicator(row, marking_id=stix.marking_id(TLP.CLEAR))
    assert obj["modified"] == obj["created"]


@pytest.mark.parametrize("level", list(TLP))
def test_marking_definitions_are_the_official_ones(level):
    obj = stix.marking_definition(level)
    want_id, want_name, want_slug = OFFICIAL_TLP2[level]
    assert (obj["id"], obj["name"]) == (want_id, want_name)
    assert obj["extensions"][stix.TLP2_EXTENSION_ID] == {"extension_type": "property-extension", "tlp_2_0": want_slug}
    assert obj["created"] == "2022-10-01T00:00:00.000Z" and "created_by_ref" not in obj
    stix2.parse(obj, allow_custom=False)


def test_bundle_stream_equals_the_bundle():
    marking = stix.marking_id(TLP.AMBER)
    objs = [stix.marking_definition(TLP.AMBER), stix.publisher_identity(marking_id=marking)]
    objs += [stix.indicator(r, marking_id=marking) for r in rows_of_every_type()] * 500  # several chunks
    text = "".join(stix.bundle_stream(iter(objs), bundle_id="bundle--6f1b7c1e-2a4d-4e5f-8a9b-0c1d2e3f4a5b"))
    assert json.loads(text) == stix.bundle(objs, bundle_id="bundle--6f1b7c1e-2a4d-4e5f-8a9b-0c1d2e3f4a5b")
    assert "spec_version" not in json.loads(text)
    empty = json.loads("".join(stix.bundle_stream([])))
    assert empty["objects"] == [] and empty["id"].startswith("bundle--")


def test_bundle_stream_is_lazy():
    """An endless source still yields its first pieces: nothing is materialised."""
    marking = stix.marking_id(TLP.CLEAR)
    row = rows_of_every_type()[0]
    endless = (stix.indicator({**row, "value": f"198.51.{n // 256 % 256}.{n % 256}", "type": "ipv4"},
                              marking_id=marking) for n in itertools.count())
    stream = stix.bundle_stream(endless)
    head = next(stream)
    assert head.startswith('{"type":"bundle"') and len(next(stream)) < 200_000


@pytest.mark.shared
@pytest.mark.parametrize("level", list(TLP))
def test_validators_accept_every_type_at_every_level(level):
    marking = stix.marking_id(level)
    identity = stix.publisher_identity(marking_id=marking)
    objs = [stix.marking_definition(level), identity]
    objs += [stix.indicator(r, marking_id=marking, created_by_ref=identity["id"]) for r in rows_of_every_type()]
    bundle = json.loads("".join(stix.bundle_stream(objs)))
    stix2.parse(bundle, allow_custom=False)
    result = assert_valid("validate_stix.py", "--expect-tlp", TLP(level).slug, data=bundle)
    assert "cryptocurrency-wallet=3" in result.stdout and "file=" in result.stdout


@pytest.mark.shared
def test_validator_notices_a_broken_pattern():
    """The harness can fail: an unescaped quote is rejected."""
    marking = stix.marking_id(TLP.CLEAR)
    obj = stix.indicator(rows_of_every_type()[0], marking_id=marking)
    obj["pattern"] = "[url:value = 'http://e.example.com/'x']"
    bundle = stix.bundle([stix.marking_definition(TLP.CLEAR), stix.publisher_identity(marking_id=marking), obj])
    assert run_shared_validator("validate_stix.py", data=bundle).returncode == 1
