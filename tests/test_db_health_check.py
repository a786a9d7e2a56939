"""The PostgreSQL health check looks at the socket: no round trip for a live session, and a
session the server ended (restart, pg_terminate_backend) is seen as unusable before it is used."""

import time
from unittest import mock

import pytest
from django.db import connection, connections
from django.db.backends.postgresql import base as django_postgresql

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def session():
    if connection.vendor != "postgresql":
        pytest.skip("the check is PostgreSQL's")
    wrapper = connections.create_connection("default")
    wrapper.connect()
    yield wrapper
    wrapper.close()


def test_settings_use_the_socket_check(session):
    assert type(session).__module__ == "threatcluster.db.postgresql.base"


def test_a_live_session_is_usable_without_a_query(session):
    with mock.patch.object(django_postgresql.DatabaseWrapper, "is_usable", side_effect=AssertionError("SELECT 1")):
        assert all(session.is_usable() for _ in range(100))
    with session.cursor() as cursor:  # and the session still answers
        cursor.execute("SELECT 2")
        assert cursor.fetchone() == (2,)


def test_a_session_the_server_ended_is_unusable(session):
    pid = session.connection.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        assert cursor.fetchone() == (True,)
    deadline = time.monotonic() + 5
    while session.is_usable() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert session.is_usable() is False


def test_a_closed_session_is_unusable(session):
    session.connection.close()
    assert session.is_usable() is False
