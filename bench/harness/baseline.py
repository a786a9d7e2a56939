"""The database's own speed: the feed's rows written by ``psql -c "COPY (…) TO STDOUT"``.

The SQL is the feed's own (compiled from the same querysets, parameters inlined by psycopg), so the
baseline reads exactly the rows the endpoint streams; only the rendering and HTTP are left out.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet


def inline_sql(qs: QuerySet) -> str:
    """The queryset's SQL with its parameters inlined (psycopg's client-side quoting)."""
    from psycopg import ClientCursor

    sql, params = qs.query.sql_with_params()
    connection.ensure_connection()
    return ClientCursor(connection.connection).mogrify(sql, params)


@dataclass(frozen=True)
class Copy:
    seconds: float
    bytes: int


def copy(database_url: str, sql: str, *, csv: bool = False) -> Copy:
    """Run ``COPY (sql) TO STDOUT`` through psql and read its output as a client would."""
    options = " WITH (FORMAT csv)" if csv else ""
    cmd = ["psql", database_url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", f"COPY ({sql}) TO STDOUT{options}"]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    size = 0
    assert proc.stdout is not None
    while chunk := proc.stdout.read(1 << 16):
        size += len(chunk)
    err = proc.stderr.read() if proc.stderr else b""
    if proc.wait() != 0:
        raise RuntimeError(f"psql COPY failed: {err.decode(errors='replace')[:500]}")
    return Copy(time.perf_counter() - start, size)
