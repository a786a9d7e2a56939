"""Password guessing is rate limited: sign-in POSTs per client address, on /login and the admin's login."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from apikeys import sign_in_limits
from apikeys.tiers import Tier
from tests.access import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def limit(settings):
    settings.LOGIN_RATE_LIMIT = "3/m"


def address() -> str:
    """An address of this test's own: counters of other tests (or runs) in the shared cache are not ours."""
    n = uuid.uuid4().int
    return f"10.{n % 250}.{n // 250 % 250}.{n // 62500 % 250 + 1}"


def sign_in(client: Client, ip: str, password: str, path: str = "/login", **extra):
    return client.post(path, {"username": "alice", "password": password, **extra}, REMOTE_ADDR=ip)


def test_past_the_limit_the_form_answers_429_and_checks_no_password(client):
    make_user("alice", Tier.RESEARCHER)
    ip = address()
    assert [sign_in(client, ip, "wrong").status_code for _ in range(3)] == [200, 200, 200]
    refused = sign_in(client, ip, "pw-alice")  # the right password, but one attempt too many
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "Too many sign-in attempts" in refused.content.decode()
    assert "_auth_user_id" not in client.session  # not signed in
    assert client.get("/login", REMOTE_ADDR=ip).status_code == 200  # reading the form is not counted


def test_other_addresses_still_sign_in(client):
    make_user("alice", Tier.RESEARCHER)
    busy = address()
    for _ in range(4):
        sign_in(client, busy, "wrong")
    done = sign_in(client, address(), "pw-alice", next="/account/")
    assert done.status_code == 302 and done.url == "/account/"


def test_the_admin_login_is_limited_too(client):
    make_user("root", Tier.PUBLIC, is_staff=True, is_superuser=True)
    ip = address()
    statuses = [client.post("/admin/login/?next=/admin/", {"username": "root", "password": "nope"},
                            REMOTE_ADDR=ip).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.post("/admin/login/?next=/admin/", {"username": "root", "password": "pw-root"}, REMOTE_ADDR=ip)
    assert refused.status_code == 429 and 'name="next" value="/admin/"' in refused.content.decode()


def test_a_broken_cache_lets_people_sign_in(client, monkeypatch):
    make_user("alice", Tier.RESEARCHER)

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(sign_in_limits, "get_usage", broken)
    ip = address()
    assert [sign_in(client, ip, "wrong").status_code for _ in range(5)] == [200] * 5
