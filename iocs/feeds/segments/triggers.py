# ruff: noqa: S608 - only table names (quoted by the backend) and constants are formatted into SQL here
"""Triggers that log which parts of blocks of IOC ids each writing transaction changed (``SegmentChange``).

A stored CSV segment (:mod:`.store`) is trusted only while no transaction it did not see changed
anything its block renders from, and a part of it (``PART`` ids) is rendered again only where one
did. What a part's lines are made of, and so what is logged:

- an IOC inserted, updated or deleted, confirmed before or after (a pending IOC is in no feed):
  its part;
- a sighting inserted, updated or deleted: its IOC's part (old and new);
- a threat whose public id or TLP changed, or that is deleted: the parts of the IOCs it cites;
- an article whose date, URL or title changed, or that is deleted: the parts of the IOCs it cites;
- a ``TRUNCATE`` of any of the four tables: part -1, every part.

Each row is ``(part, pg_current_xact_id())``: the writing transaction's top-level id, the same
inside savepoints, gone with it when it rolls back; ``ON CONFLICT DO NOTHING`` keeps one row per
part and transaction. Statement-level triggers with transition tables, as for the lookup memo
(``iocs/lookup/triggers.py``), and for the same reason: bulk updates, ``COPY`` and raw SQL send no
Django signal. Inserts only: writers never wait on each other here (no counter row to lock).

(Re)installed after every ``migrate``; PostgreSQL only (SQLite keeps the Python CSV renderer).
A session with ``session_replication_role = replica`` (some restore tools) fires no triggers:
after loading data that way, run ``manage.py feed_segments --flush``.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS

from iocs import statement_triggers as db_triggers

PREFIX = "tc_segment_changed"  # every trigger and function installed here
IDS = 512  # IOC ids per stored block (~110 KB of CSV at the benchmark's density)
PART = 64  # IOC ids per part: what a change makes render again (~14 KB of CSV at the benchmark's density)
PARTS = IDS // PART
EVERY_PART = -1


def _tables() -> dict[str, str]:
    from iocs.models import IOC
    from threats.models import Article, Sighting, Threat

    from ..models import SegmentChange

    return {"ioc": IOC._meta.db_table, "sighting": Sighting._meta.db_table, "threat": Threat._meta.db_table,
            "article": Article._meta.db_table, "log": SegmentChange._meta.db_table}


def _log(parts_sql: str, log: str) -> str:
    """PL/pgSQL: log the parts ``parts_sql`` returns (a ``part`` column) for this transaction."""
    return (f"INSERT INTO {log} (part, xid) SELECT DISTINCT x.part, pg_current_xact_id()::text::bigint"
            f" FROM ({parts_sql}) x ON CONFLICT DO NOTHING;")


def _per_operation(new_sql: str, old_sql: str, log: str) -> str:
    return (f"IF TG_OP = 'INSERT' THEN {_log(new_sql, log)}\n"
            f"ELSIF TG_OP = 'UPDATE' THEN {_log(f'{new_sql} UNION ALL {old_sql}', log)}\n"
            f"ELSE {_log(old_sql, log)}\nEND IF;")


def _cited(changed_ids_sql: str, column: str, sighting: str) -> str:
    """The parts of the IOCs cited through ``column`` (threat_id, article_id) by the changed rows."""
    return f"SELECT s.ioc_id / {PART} AS part FROM {sighting} s WHERE s.{column} IN ({changed_ids_sql})"


def _function(name: str, body: str) -> str:
    return (f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n{body}\nRETURN NULL;\nEND $$")


# Only names and constants are formatted into this SQL: no value from outside.
def statements(quote) -> list[str]:
    t = {role: quote(table) for role, table in _tables().items()}
    log, sighting = t["log"], t["sighting"]
    confirmed = "r.status = 'confirmed'"
    threat_changed = ("SELECT o.id FROM old_rows o JOIN new_rows r ON r.id = o.id"
                      " WHERE r.public_id IS DISTINCT FROM o.public_id OR r.tlp IS DISTINCT FROM o.tlp")
    article_changed = ("SELECT o.id FROM old_rows o JOIN new_rows r ON r.id = o.id"
                       " WHERE r.published_at IS DISTINCT FROM o.published_at"
                       " OR r.fetched_at IS DISTINCT FROM o.fetched_at"
                       " OR r.url IS DISTINCT FROM o.url OR r.title IS DISTINCT FROM o.title")

    def cited(column: str, changed: str) -> str:
        return (f"IF TG_OP = 'UPDATE' THEN {_log(_cited(changed, column, sighting), log)}\n"
                f"ELSE {_log(_cited('SELECT o.id FROM old_rows o', column, sighting), log)}\nEND IF;")

    out = [
        _function(f"{PREFIX}_ioc", _per_operation(f"SELECT r.id / {PART} AS part FROM new_rows r WHERE {confirmed}",
                                                  f"SELECT r.id / {PART} AS part FROM old_rows r WHERE {confirmed}",
                                                  log)),
        _function(f"{PREFIX}_sighting", _per_operation(f"SELECT r.ioc_id / {PART} AS part FROM new_rows r",
                                                       f"SELECT r.ioc_id / {PART} AS part FROM old_rows r", log)),
        _function(f"{PREFIX}_threat", cited("threat_id", threat_changed)),
        _function(f"{PREFIX}_article", cited("article_id", article_changed)),
        _function(f"{PREFIX}_all", _log(f"SELECT {EVERY_PART} AS part", log)),
    ]
    events = {"ioc": ("INSERT", "UPDATE", "DELETE"), "sighting": ("INSERT", "UPDATE", "DELETE"),
              "threat": ("UPDATE", "DELETE"), "article": ("UPDATE", "DELETE")}
    for role, table_events in events.items():
        out += db_triggers.on_table(PREFIX, t[role], role, table_events)
    return out


EXPECTED = 14  # insert/update/delete/truncate on IOCs and sightings; update/delete/truncate on threats, articles


def _watched() -> list[str]:
    return [table for role, table in _tables().items() if role != "log"]


def all_enabled(cursor) -> bool:
    """Whether every trigger is there and enabled: without one, a change would go unlogged and a
    stored segment served stale (a restored dump, a ``DISABLE TRIGGER``, a migrate that never ran)."""
    cursor.execute(*db_triggers.enabled_query(PREFIX, _watched()))
    row = cursor.fetchone()
    return bool(row) and row[0] == EXPECTED


def install(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Create or replace the triggers; False on SQLite or while a table is missing."""
    return db_triggers.install(statements, _tables().values(), using)


def install_after_migrate(sender, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    if getattr(sender, "label", None) == "feeds":  # post_migrate runs once per app, after all of them
        install(using)
