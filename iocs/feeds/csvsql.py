"""The CSV feed rendered by PostgreSQL: cells, quoting, formula neutralising, citations, CRLF.

The Python renderer (:mod:`.renderers.csv` over :mod:`.query` and :mod:`.citations`) spends most of
a million-IOC feed in Python, row by row. Here PostgreSQL writes the same bytes, already joined
into one block per range of ids (~110 KB each at the benchmark's density), so Python forwards a few
thousand strings instead of rendering 700,000 rows; ``defang`` is applied here too. The Python
renderer stays the reference (tests compare both byte for byte) and the path for SQLite and for
small datasets (:func:`available`); a delta's additions come from here, its removals (few, after
them) from Python. Like :mod:`.citations`, this is the feeds' API layer: it reads ``threats``' tables.

One statement, one snapshot, streamed (psycopg ``Cursor.stream``: no server-side cursor, nothing
materialised, each block leaves as soon as it is computed):

- Range starts come from a recursive CTE (the first id, then the first id at least ``RANGE``
  further: gaps in the ids cost one index probe). For each range a ``LATERAL`` subquery renders
  that range's rows of :meth:`Dataset.additions` (the same queryset, compiled by Django: the same
  rows) into one string, in id order. Ranges come out in order (a nested loop over ascending
  starts); Python checks it, as an ``ORDER BY`` would make PostgreSQL sort the whole body first.
- Citations per range: the range's sightings (an index range scan), each with its article and
  its threat within the caller's clearance (a citation by a threat above it is never joined),
  looked up by key and memoized, then a window per IOC, newest first, keeping five (``lead`` over
  an ordered window: the order is the window's, never an aggregate's input order).

Byte for byte what :class:`~.renderers.csv.CsvRenderer` writes: ``csv.writer`` quotes a cell when it
holds ``,``, ``"``, CR or LF (doubling quotes), ``neutralise`` prefixes ``'`` to a cell starting
with a formula character, ``sources_cell`` splits titles on Python's whitespace (``str.split``:
``WHITESPACE`` below) and ``rstrip``\\ s each citation. Cells that can hold none of these (type and
confidence, filtered to known names; TLP slugs; timestamps) are written as they are. Every column
used is NOT NULL (or coalesced): a NULL line would silently drop a row from ``string_agg``.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db import connection
from django.db.models import F

from iocs.models import IOC
from iocs.normalize import IOCType
from threats.models import Article, Sighting, Threat

from . import generation, sqlstream
from .citations import MAX_CITATIONS
from .query import Dataset
from .renderers.base import TLP_SLUGS
from .renderers.csv import FORMULA_TRIGGERS

# What str.split() and str.rstrip() treat as whitespace (every c with c.isspace(); a test checks it).
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
              "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
# Ids per block: ~110 KB of CSV at the benchmark's density (70% of ids published, ~320 B a row). A block
# is held whole (by libpq, then as a str), and titles, URLs and values are written by attackers: with
# every field at its maximum length, full of quotes, a block is 15.5 M characters (62 M with 2048 ids;
# tests/test_feed_csv_sql_block_bound.py). 512 against 2048 made no measurable difference in speed
# (the 221 MB feed: 4.54-4.62 s against 4.53 s, bench/run.py --only feeds --feeds csv --runs 3).
RANGE = 512
MIN_ROWS = 20_000  # smaller datasets keep the Python renderer (break-even here: ~20,000 rows)
SPARSE = 0.25  # a dataset under this share of the IOC table takes the sparse citation plan
MARKER = "/* iocs.feeds.csvsql */"  # names the statement in pg_stat_activity, logs and the tests
ROW_FIELDS = ("type", "value", "confidence", "reason", "tlp", "first_seen", "last_seen")


def available(dataset: Dataset) -> bool:
    """PostgreSQL renders the dataset's CSV, unless it is SQLite's or small: under ``MIN_ROWS`` (its
    generation's count) the Python renderer is quicker, as it reads only its rows by index where
    the statement walks every id range (a feed poll with nothing new: 20 ms against 0.6 s here)."""
    if connection.vendor != "postgresql":
        return False
    gen = generation.load(dataset.key)
    return gen is None or gen.additions >= MIN_ROWS


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _cell(var: str) -> tuple[str, list]:
    """The column ``var`` as ``csv.writer`` writes ``neutralise(var)``: ``'`` before a formula
    character, then quoted (quotes doubled) when it holds ``,``, ``"``, CR or LF."""
    formula = f"ascii({var}) = ANY(%s::int[])"
    special = " OR ".join(f"strpos({var}, {char}) > 0" for char in ("','", """'"'""", r"E'\n'", r"E'\r'"))
    # The common cell needs neither and is returned as it is (not copied).
    sql = (f"""(CASE WHEN {special} THEN '"' || (CASE WHEN {formula} THEN '''' ELSE '' END) """
           f"""|| replace({var}, '"', '""') || '"' WHEN {formula} THEN '''' || {var} ELSE {var} END)""")
    return sql, [[ord(c) for c in FORMULA_TRIGGERS]] * 2


def _defanged(var: str) -> tuple[str, list]:
    """:func:`iocs.normalize.defang` of the IOC ``var`` (``i``'s value by its type) in SQL.

    URLs: a leading ``http`` in any case becomes ``hxxp`` (four characters for four: positions do
    not move), then ``scheme[:]//host`` with the host's dots bracketed, up to the first ``/``, as
    ``str.partition`` splits; without ``://`` every dot. Domains and IPv4: dots; IPv6: colons;
    e-mail: ``local[@]domain`` with the domain's dots. Other types unchanged.
    """
    value = f"{var}.value"
    hxxp = f"(CASE WHEN {value} ~ '^[Hh][Tt][Tt][Pp]' THEN 'hxxp' || substr({value}, 5) ELSE {value} END)"
    sep = f"strpos({value}, '://')"
    rest = f"substr({value}, {sep} + 3)"
    host = f"split_part({rest}, '/', 1)"
    sql = f"""(CASE
      WHEN {var}.type = %s THEN
        CASE WHEN {sep} = 0 THEN replace({hxxp}, '.', '[.]')
             ELSE left({hxxp}, {sep} - 1) || '[:]//' || replace({host}, '.', '[.]')
                  || substr({rest}, length({host}) + 1) END
      WHEN {var}.type IN (%s, %s) THEN replace({value}, '.', '[.]')
      WHEN {var}.type = %s THEN replace({value}, ':', '[:]')
      WHEN {var}.type = %s THEN split_part({value}, '@', 1) || '[@]'
        || replace(CASE WHEN strpos({value}, '@') > 0 THEN substr({value}, strpos({value}, '@') + 1) ELSE '' END,
                   '.', '[.]')
      ELSE {value} END)"""
    return sql, [t.value for t in (IOCType.URL, IOCType.DOMAIN, IOCType.IPV4, IOCType.IPV6, IOCType.EMAIL)]


def _citations_sql(clearance: int, sparse: tuple[str, list] | None, lo: str, hi: str) -> tuple[str, list]:
    """``(ioc_id, cell)`` for the ids in ``[lo, hi)``: ``sources_cell`` of the newest five.

    Each sighting looks its article and threat up by primary key (``LATERAL``: a nested loop
    whatever the estimates). A hash join would be cheaper when the planner hashes the articles,
    once; but it picks the side per range, and hashing the range's sightings instead reads every
    article for every range (45 s instead of 0.3 s for a day's delta here). A title that needs no
    normalising skips the regex.

    Dense datasets take every sighting of the range (a range scan, lookups memoized: ~1 µs a
    sighting); ``sparse`` ones (``(rows SQL, its parameters)``) only those of their own rows, whose
    estimates are then too low for PostgreSQL to memoize (~3 µs a citation, but few of them).
    """
    leads = ", ".join(f"lead(z.cite, {k}) OVER cw" for k in range(1, MAX_CITATIONS))
    own, own_on, own_where, own_params = "", "", "", []
    if sparse is not None:
        own, own_params = f"({sparse[0]}) r JOIN ", list(sparse[1])
        own_on, own_where = " ON s.ioc_id = r.id", f" AND r.id >= {lo} AND r.id < {hi}"
    # Table names, column references and constants only are formatted in; every value is a parameter.
    sql = f"""
      SELECT w.ioc_id, w.cell FROM (
        SELECT z.ioc_id, row_number() OVER cw AS rn, concat_ws(' | ', z.cite, {leads}) AS cell
        FROM (
          SELECT s.ioc_id, s.article_id, art.at,
                 CASE WHEN art.untitled THEN rtrim(art.head || thr.tid || art.tail, %s)
                      ELSE art.head || thr.tid || art.tail END AS cite
          FROM {own}{_table(Sighting)} s{own_on}
          CROSS JOIN LATERAL (
                SELECT a.at, a.title = '' AS untitled, a.day || ' ' AS head,
                       CASE WHEN a.title = '' THEN ' ' || a.url ELSE ' ' || a.url || ' ' || a.title END AS tail
                FROM (SELECT coalesce(published_at, fetched_at) AS at,
                             coalesce(nullif(to_char(coalesce(published_at, fetched_at) AT TIME ZONE 'UTC',
                                                     'YYYY-MM-DD'), ''), '-') AS day,
                             coalesce(nullif(url, ''), '-') AS url,
                             CASE WHEN title ~ %s
                                  THEN regexp_replace(btrim(replace(title, '|', '/'), %s), %s, ' ', 'g')
                                  ELSE title END AS title
                      FROM {_table(Article)} WHERE id = s.article_id OFFSET 0) a
                OFFSET 0) art
          CROSS JOIN LATERAL (
                SELECT coalesce(nullif(t.public_id, ''), '-') AS tid
                FROM {_table(Threat)} t WHERE t.id = s.threat_id AND t.tlp <= %s OFFSET 0) thr
          WHERE s.ioc_id >= {lo} AND s.ioc_id < {hi}{own_where}
          OFFSET 0) z
        WINDOW cw AS (PARTITION BY z.ioc_id ORDER BY z.at DESC, z.article_id DESC)) w
      WHERE w.rn = 1"""  # noqa: S608
    # str.split() changes a title iff it holds other whitespace than single inner spaces (or a "|").
    untouched = "[|" + WHITESPACE.replace(" ", "") + "]|  |^ | $"
    return sql, [WHITESPACE, *own_params, untouched, WHITESPACE, f"[{WHITESPACE}]+", int(clearance)]


def chunk(dataset: Dataset, *, lo: str, hi: str, sparse: bool = False, by: int | None = None) -> tuple[str, list]:
    """A subquery for a ``LATERAL`` join: the CSV text (``body``, NULL for no row) of the dataset's
    rows with ids in ``[lo, hi)``, two SQL expressions over the outer query's columns (or
    constants). With ``by``, one row per ``id / by`` that holds any row (``part``), with ``oldest``,
    its rows' oldest ``last_seen`` (when its first row leaves the window).

    The rows are :meth:`Dataset.addition_values` compiled by Django (its filters, its parameters).
    """
    values = dataset.addition_values(ROW_FIELDS, text_times=True).order_by()
    if by is not None:
        values = values.annotate(seen_at=F("last_seen"))
    rows_sql, rows_params = values.query.sql_with_params()
    cites_sql, cites_params = _citations_sql(dataset.clearance, (rows_sql, rows_params) if sparse else None,
                                             lo, hi)
    value, value_params = _cell("x.shown")
    reason, reason_params = _cell("x.reason")
    sources, sources_params = _cell("x.cell")
    end = (",add,," if dataset.is_delta else "") + "\r\n"  # a delta's addition: action, cause, removed_at
    line = (f"x.type || ',' || {value} || ',' || x.confidence || ',' || {reason} || ',' || "
            f"coalesce((%s::text[])[x.tlp + 1], '') || ',' || x.first_seen_iso || ',' || x.last_seen_iso || ',' || "
            f"{sources} || %s")
    shown, shown_params = _defanged("i") if dataset.params.defang else ("i.value", [])
    once = "OFFSET 0" if dataset.params.defang else ""  # a subquery scan: the defanged value computed once
    grouped = ("x.id / %s AS part, ", ", min(x.seen_at) AS oldest", "GROUP BY 1") if by is not None else ("", "", "")
    sql = f"""(
        SELECT {grouped[0]}string_agg({line}, '' ORDER BY x.id) AS body{grouped[1]}
        FROM (SELECT i.*, {shown} AS shown, coalesce(c.cell, '') AS cell
              FROM ({rows_sql}) i
              LEFT JOIN ({cites_sql}) c ON c.ioc_id = i.id
              WHERE i.id >= {lo} AND i.id < {hi} {once}) x
        {grouped[2]}
      )"""  # noqa: S608
    params = [*value_params, *reason_params, list(TLP_SLUGS), *sources_params, end, *shown_params, *rows_params,
              *cites_params]
    return sql, ([by] if by is not None else []) + params


def statement(dataset: Dataset, *, sparse: bool = False) -> tuple[str, list]:
    """``(range start, CSV text)`` rows, in id order: the SQL and its parameters."""
    body, body_params = chunk(dataset, lo="b.lo", hi=f"b.lo + {int(RANGE)}", sparse=sparse)
    # Range starts: the first id, then the first id at least RANGE further on (one index probe each,
    # so gaps in the ids cost nothing); read lazily, as the nested loop asks for the next range.
    sql = f"""{MARKER}
      WITH RECURSIVE b(lo) AS (
          SELECT min(id) FROM {_table(IOC)}
        UNION ALL
          SELECT (SELECT min(n.id) FROM {_table(IOC)} n WHERE n.id >= b.lo + %s) FROM b WHERE b.lo IS NOT NULL)
      SELECT b.lo, chunk.body
      FROM b CROSS JOIN LATERAL {body} chunk
      WHERE chunk.body IS NOT NULL"""  # noqa: S608
    return sql, [RANGE, *body_params]


def is_sparse(dataset: Dataset) -> bool:
    """Whether the dataset holds under ``SPARSE`` of the IOC table (its generation's count, from the
    cache, against the planner's row estimate): its citations are then cheaper looked up from its
    own rows than from every sighting (a day's delta here: 1.4 s instead of 4.4 s; the public feed
    1.8 s instead of 4.1 s). Without a generation, or before the table was ever analysed: dense."""
    gen = generation.load(dataset.key)
    if gen is None:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [_table(IOC)])
        row = cursor.fetchone()
    return bool(row) and gen.additions < SPARSE * row[0]


def chunks(dataset: Dataset) -> Iterator[str]:
    """The CSV lines of the dataset's additions, one block per id range, as they are computed."""
    sql, params = statement(dataset, sparse=is_sparse(dataset))
    yield from sqlstream.blocks(sql, params, what="CSV")
