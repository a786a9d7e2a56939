"""Shortcuts on every API request give the answers of the long way: the parsed lookup value (a
remembered pure function, errors included), the rate-limit bucket of an address, and session
authentication without a session cookie (no lazy user loaded, still anonymous)."""

import pytest
from django.contrib.auth.models import User
from django.test import RequestFactory
from rest_framework.request import Request

from apikeys.authentication import QuietSessionAuthentication
from apikeys.throttling import _ip_bucket
from iocs.lookup import params
from iocs.normalize import InvalidIOC, infer_type, normalize


@pytest.mark.parametrize("raw, ioc_type", [
    ("C2.Example.ORG.", None), ("hxxps://evil[.]example/x?a=1", None), ("192.0.2.1", None),
    ("2001:DB8::1", None), ("D41D8CD98F00B204E9800998ECF8427E", None), ("evil.example", "domain"),
    ("user[@]mail.example", None),
])
def test_a_remembered_key_is_the_normalised_one(raw, ioc_type):
    expected = (ioc_type, normalize(ioc_type, raw)) if ioc_type else infer_type(raw)
    for _ in range(2):  # computed, then remembered
        key = params.to_key(raw, ioc_type)
        assert (key.type, key.value) == expected


@pytest.mark.parametrize("raw, ioc_type, message", [
    ("not an ioc at all", None, "not a recognised IOC value"),
    ("not-an-ip", "ipv4", "not an IPv4 address"),
    ("   ", None, "empty value"),
    ("a" * 3000, None, "longer than"),
])
def test_a_remembered_error_is_raised_again(raw, ioc_type, message):
    for _ in range(2):
        with pytest.raises(InvalidIOC, match=message):
            params.to_key(raw, ioc_type)


def test_the_parse_memo_is_bounded():
    assert params._parsed.cache_info().maxsize == 2048


@pytest.mark.parametrize("address, bucket", [
    ("203.0.113.7", "203.0.113.7"), ("::ffff:203.0.113.7", "203.0.113.7"),
    ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"), ("not-an-address", "not-an-address"),
])
def test_the_address_bucket_is_the_same_every_time(address, bucket):
    assert _ip_bucket(address) == bucket == _ip_bucket(address)


class _Watched:
    """Stands in for Django's lazy ``request.user``: fails if anything reads it."""

    def __getattr__(self, name):
        raise AssertionError(f"request.user.{name} was loaded")


def test_no_session_cookie_means_no_user_loaded():
    django_request = RequestFactory().get("/api/iocs/lookup")
    django_request.user = _Watched()
    assert QuietSessionAuthentication().authenticate(Request(django_request)) is None


@pytest.mark.django_db
def test_a_session_still_authenticates(client):
    user = User.objects.create_user("analyst", password="correct horse battery staple")
    client.force_login(user)
    assert client.get("/api/account/").status_code == 200
    client.cookies.clear()
    assert client.get("/api/account/").status_code in (401, 403)
