"""TAXII query parameters, fed arbitrary text (and the characters timestamps, ids and tokens are made
of), either parse or raise the TaxiiError that becomes a 400: never anything else (a 500)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from threats.taxii.params import KNOWN, Position, encode_next, parse_query
from threats.taxii.protocol import TaxiiError, accepts_taxii, parse_time

_SHAPED = st.sampled_from(["0", "1", "2024", "-05", "-01", "T", "10:00:00", ".", "123456789012", "Z", "z", "+02:00",
                           "-13:99", "²", "\uff13", "\u0661", ",", "indicator--",
                           "5c3b8e2a-1f0d-4a57-9d43-7c6b2f1e8a90",
                           "last", "first", "all", "2.1", "2.0", "\x00", "\u200b", ":", "%", "[", "]", "eyJ", "=",
                           "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "2024-02-30T00:00:00Z"])
TEXT = st.one_of(st.text(max_size=60), st.lists(_SHAPED, max_size=8).map("".join))
QUERY = st.dictionaries(st.sampled_from([*KNOWN, "match[x]", "format"]), TEXT, max_size=6)
FAST = settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(QUERY, st.one_of(st.none(), TEXT))
def test_parse_query_never_raises_anything_but_a_taxii_400(params, object_id):
    try:
        query = parse_query(params, "collection", object_id)
    except TaxiiError as exc:
        assert exc.status == 400 and exc.title
        return
    assert 1 <= query.limit <= 5000


@FAST
@given(TEXT)
def test_timestamps_and_accept_headers(text):
    try:
        parsed = parse_time(text)
    except ValueError:
        pass
    else:
        assert parsed.tzinfo is not None
    assert accepts_taxii(text) in (True, False)


@FAST
@given(TEXT)
def test_next_tokens_we_did_not_issue_are_a_400(text):
    token = encode_next(Position(parse_time("2024-05-01T10:00:00.5Z"), 1, 7, 3), "fp")
    for candidate in (text, token + text, text + token):
        if candidate == token:
            continue
        try:
            parse_query({"next": candidate}, "collection")
        except TaxiiError as exc:
            assert exc.status == 400
