"""Text blocks a statement renders in the database, streamed to the response as they are computed.

The feed bodies PostgreSQL writes itself (:mod:`.csvsql`, :mod:`.txtsql`) come as rows of
``(block number, text)``: one statement, one snapshot, psycopg's ``Cursor.stream`` (no server-side
cursor, each row leaves as soon as the server sends it). Python only forwards the blocks.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import connection


def blocks(sql: str, params: list, *, what: str) -> Iterator[str]:
    """The text of each row of ``sql`` (``(key, text)`` rows whose keys must ascend), in order."""
    with connection.cursor() as cursor:
        # Logged like any other query when queries are (DEBUG, the tests' CaptureQueriesContext).
        logged = cursor.debug_sql(sql, params) if connection.queries_logged else contextlib.nullcontext()
        rows = cursor.cursor.stream(sql, params)  # psycopg: one statement, rows as the server sends them
        last = None
        with logged:
            try:
                for key, text in rows:
                    if last is not None and key <= last:  # the statement orders them: never
                        raise RuntimeError(f"{what} blocks out of order")
                    last = key
                    yield text
            finally:
                rows.close()  # mid-stream (a client gone): psycopg cancels the statement
