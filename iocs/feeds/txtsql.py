"""The plain-text feeds rendered by PostgreSQL: one value per line, as ``TxtRenderer`` writes it.

``TxtRenderer`` writes ``one_line(value) + "\\n"`` per row; Python doing that for the public
blocklist (82,000 rows at 1,000,000 IOCs) took longer than the query itself (432-574 ms against
323-368 ms for the database writing the same 1.6 MB, ``bench/run.py``). Here the statement is
:meth:`Dataset.additions` as Django compiles it (the same rows, the host-name rule included), each
value with its control characters percent-encoded as ``one_line`` does (``%0A`` …; only values that
hold one pay for it), joined into blocks of ``BLOCK_ROWS`` lines in id order. The provenance lines
on top stay Python's (:func:`.renderers.base.header_lines`).

Unlike :mod:`.csvsql` (a range of ids per block, right for a feed that holds most IOCs), the blocks
here are numbered over the rows themselves (``row_number() OVER (ORDER BY id)``): a blocklist holds a
few per cent of the table, and ranges of ids would read all of it. PostgreSQL sorts the rows once,
then the blocks stream. SQLite and ``defang`` keep the Python renderer, the reference the tests hold
these bytes to.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db import connection

from . import sqlstream
from .query import Dataset

BLOCK_ROWS = 4096  # ~80 KB of domains and addresses a block
MARKER = "/* iocs.feeds.txtsql */"  # names the statement in pg_stat_activity, logs and the tests
CONTROL = [chr(code) for code in (*range(1, 32), 0x7F)]  # one_line's; PostgreSQL text never holds NUL


def available(dataset: Dataset) -> bool:
    """PostgreSQL renders this dataset's lines (``defang`` rewrites values in Python: it stays there)."""
    return connection.vendor == "postgresql" and not dataset.params.defang


def _one_line(var: str) -> tuple[str, list]:
    """``one_line(var)``: each control character as ``%XX``, other text as it is."""
    encoded, params = var, []
    for char in CONTROL:
        encoded = f"replace({encoded}, %s, %s)"
        params += [char, f"%{ord(char):02X}"]
    return f"(CASE WHEN {var} ~ %s THEN {encoded} ELSE {var} END)", ["[\x01-\x1f\x7f]", *params]


def statement(dataset: Dataset) -> tuple[str, list]:
    """``(block number, text)`` rows in order: the SQL and its parameters (values are parameters)."""
    rows_sql, rows_params = dataset.addition_values(("value",)).order_by().query.sql_with_params()
    line, line_params = _one_line("r.value")
    sql = f"""{MARKER}
      SELECT t.block, string_agg(t.line, '' ORDER BY t.id)
      FROM (SELECT r.id, {line} || E'\\n' AS line, (row_number() OVER (ORDER BY r.id) - 1) / %s AS block
            FROM ({rows_sql}) r) t
      GROUP BY t.block
      ORDER BY t.block"""  # noqa: S608 (only the compiled queryset and constants are formatted in)
    return sql, [*line_params, BLOCK_ROWS, *rows_params]


def chunks(dataset: Dataset) -> Iterator[str]:
    """The lines of the dataset's additions, in blocks of BLOCK_ROWS, as they are computed."""
    sql, params = statement(dataset)
    yield from sqlstream.blocks(sql, params, what="txt")
