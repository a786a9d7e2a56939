"""Django's PostgreSQL backend, with a connection health check that costs no round trip.

``CONN_HEALTH_CHECKS`` makes Django check a persistent connection before its first use in each
request, so that a PostgreSQL restart or failover (every backend terminated) costs no 500
(``tests/test_fault_postgres_restart.py``). Django checks with ``SELECT 1``: a round trip on every
request, 0.16 ms of a 1.2 ms lookup at 1,000,000 IOCs (``bench/run.py``).

A server that ends a session (restart, ``pg_terminate_backend``, idle timeout) sends its FATAL
message and closes the socket, so the idle connection's socket becomes readable. An idle connection
otherwise receives nothing unprompted (Django's connections LISTEN to nothing: the lookup memo
listens on a session of its own, ``iocs/lookup/memo.py``). So: a socket with nothing to read is
an open session, and only a readable one is asked ``SELECT 1`` (Django's check, which also consumes
what arrived and tells a notice from a goodbye). What this cannot see, a peer gone without a word
(a cut network), ``SELECT 1`` could not see either without waiting for TCP's timeout.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        if self.connection is None or self.connection.closed:
            return False
        try:
            readable, _, _ = select.select([self.connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        return super().is_usable() if readable else True
