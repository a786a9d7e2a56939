"""The plain-text feeds rendered by PostgreSQL: one value per line, as ``TxtRenderer`` writes it.

``TxtRenderer`` writes ``one_line(value) + "\\n"`` per row; Python doing that for the public
blocklist (82,000 rows at 1,000,000 IOCs) took longer than the query itself (432-574 ms against
323-368 ms for the database writing the same 1.6 MB, ``bench/run.py``). Here the statement is
:meth:`Dataset.additions` as Django compiles it (the same rows, the host-name rule included), each
value with its control characters percent-encoded as ``one_line`` does (``%0A`` …; only values that
hold one pay for it), joined into blocks in id order. The provenance lines
on top stay Python's (:func:`.renderers.base.header_lines`).

A block is a range of ``BLOCK_IDS`` ids (``GROUP BY id / BLOCK_IDS``): PostgreSQL scans the rows
with its parallel workers, sorts them once by block (each block's own lines by id), and the blocks
stream in order. Numbering the rows instead (``row_number() OVER (ORDER BY id)``) took twice as long
(363 against 175 ms for the public list at 1,000,000 IOCs: a serial scan and two sorts). SQLite and
``defang`` keep the Python renderer, the reference the tests hold these bytes to.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db import connection

from . import sqlstream
from .query import Dataset

BLOCK_IDS = 8192  # ids a block: at most 8,192 lines (~170 KB of domains when dense; a few in a sparse list)
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
      SELECT r.id / %s AS block, string_agg({line} || E'\\n', '' ORDER BY r.id)
      FROM ({rows_sql}) r
      GROUP BY 1
      ORDER BY 1"""  # noqa: S608 (only the compiled queryset and constants are formatted in)
    return sql, [BLOCK_IDS, *line_params, *rows_params]


def chunks(dataset: Dataset) -> Iterator[str]:
    """The lines of the dataset's additions, one block per range of BLOCK_IDS ids, as they are computed."""
    sql, params = statement(dataset)
    yield from sqlstream.blocks(sql, params, what="txt")
