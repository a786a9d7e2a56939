"""PostgreSQL tells the web workers which lookup answers a committed change may have changed (``NOTIFY``).

The lookup reads three tables: IOCs, sightings and threats. Statement-level triggers on each
(with transition tables: the rows the statement changed) send ``NOTIFY tc_lookup`` naming what to
forget (see :func:`statements`), whoever writes: the ORM, the classifier's bulk ``UPDATE``,
``seed_demo``'s ``COPY``, a migration, a DBA in ``psql``. PostgreSQL delivers notifications when
the writing transaction commits (never for one rolled back). A writer pays one trigger call per
statement and one small payload per statement and transaction.

Naming what changed, rather than "something changed", keeps the memo useful while ingestion runs:
with one commit a second anywhere, a memo emptied at every commit answered almost nothing from
memory (0.38x of ``/livez`` against 0.48x with no writes, ``bench/RESULTS.md``).

:mod:`.memo` listens on the channel. Triggers rather than Python signals for the same reason as the
feeds' removal log (``iocs/feeds/triggers.py``): bulk updates and raw SQL send no signal, and a
change the memo missed would be a stale verdict served until the process restarts. SQLite has no
notifications and keeps no memo; it gets no triggers.

(Re)installed after every ``migrate`` (``IocsConfig.ready``): ``CREATE OR REPLACE`` and
``DROP TRIGGER IF EXISTS`` make it idempotent.
"""

from __future__ import annotations

import hashlib

from django.db import DEFAULT_DB_ALIAS, connections

from iocs import statement_triggers as db_triggers

CHANNEL = "tc_lookup"
TRIGGER = "tc_lookup_changed"  # the prefix of every trigger and function installed here
EVERYTHING = "*"
MAX_ITEMS = 400  # more keys or ids than this in one statement: the payload says "everything" (8,000-byte limit)


def key_digest(ioc_type: str, value: str) -> str:
    """What a notification names an IOC's (type, value) by: the first 16 hex digits of an MD5 (the
    payload's size is limited, values are up to 2,048 characters). Two keys that share a digest
    only cost each other an extra forgetting."""
    return hashlib.md5(f"{ioc_type}\t{value}".encode(), usedforsecurity=False).hexdigest()[:16]


def _tables() -> dict[str, str]:
    from iocs.models import IOC
    from threats.models import Sighting, Threat

    return {"ioc": IOC._meta.db_table, "sighting": Sighting._meta.db_table, "threat": Threat._meta.db_table}


# Only constants are formatted into this SQL (names, prefixes, limits): no value from outside.
def _notify(select_items: str, prefix: str) -> str:
    """PL/pgSQL that sends ``prefix`` + the items ``select_items`` returns, or everything past MAX_ITEMS."""
    return f"""
    SELECT count(*), string_agg(item, ',') INTO n, items FROM (SELECT DISTINCT item FROM ({select_items}) x) y;
    IF n > {MAX_ITEMS} THEN PERFORM pg_notify('{CHANNEL}', '{EVERYTHING}');
    ELSIF n > 0 THEN PERFORM pg_notify('{CHANNEL}', '{prefix}' || items);
    END IF;"""  # noqa: S608


def _per_operation(item: str, prefix: str) -> str:
    """An insert names its new rows, a delete its old ones, an update both (a value or a link changed)."""
    new, old = f"SELECT {item} FROM new_rows r", f"SELECT {item} FROM old_rows r"  # noqa: S608
    return (f"IF TG_OP = 'INSERT' THEN{_notify(new, prefix)}\n"
            f"ELSIF TG_OP = 'UPDATE' THEN{_notify(f'{new} UNION ALL {old}', prefix)}\n"
            f"ELSE{_notify(old, prefix)}\nEND IF;")


def _function(name: str, body: str) -> str:
    return (f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"DECLARE n bigint; items text;\nBEGIN\n{body}\nRETURN NULL;\nEND $$")


def statements(quote) -> list[str]:
    """The functions and statement-level triggers (with transition tables: the changed rows).

    What each change makes the memo forget:

    - an IOC inserted, updated or deleted: the answers for its (type, value), old and new
      (``k:`` + key digests; a value never seen before is remembered as "not found" too);
    - a sighting inserted, updated or deleted: the answers of its IOCs (``i:`` + IOC ids);
    - a threat updated or deleted: the answers that show it, and every answer cut at its ``limit``
      (``t:`` + threat ids: an answer that holds all of an IOC's visible clusters and not this one is
      not cited by it, while a cut one may be); a new TLP changes who sees it: everything;
    - a truncate, or more than ``MAX_ITEMS`` in one statement: everything (``*``).
    A new threat changes nothing until its sightings arrive.
    """
    t = {role: quote(table) for role, table in _tables().items()}
    digest = "left(md5(r.type || chr(9) || r.value), 16) AS item"
    tlp_changed = ("EXISTS (SELECT 1 FROM old_rows o JOIN new_rows r ON r.id = o.id"
                   " WHERE r.tlp IS DISTINCT FROM o.tlp)")  # planned only for updates: a delete has no new_rows
    threat_rows = _notify("SELECT r.id::text AS item FROM old_rows r", "t:")
    out = [
        _function(f"{TRIGGER}_ioc", _per_operation(digest, "k:")),
        _function(f"{TRIGGER}_sighting", _per_operation("r.ioc_id::text AS item", "i:")),
        _function(f"{TRIGGER}_threat", f"IF TG_OP = 'UPDATE' THEN\nIF {tlp_changed} THEN"
                                       f" PERFORM pg_notify('{CHANNEL}', '{EVERYTHING}');\n"
                                       f"ELSE{threat_rows}\nEND IF;\nELSE{threat_rows}\nEND IF;"),
        _function(f"{TRIGGER}_all", f"PERFORM pg_notify('{CHANNEL}', '{EVERYTHING}');"),
    ]
    events = {"ioc": ("INSERT", "UPDATE", "DELETE"), "sighting": ("INSERT", "UPDATE", "DELETE"),
              "threat": ("UPDATE", "DELETE")}
    for role, table in t.items():
        out.append(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {table}")  # the first version's single trigger
        out += db_triggers.on_table(TRIGGER, table, role, events[role])
    out.append(f"DROP FUNCTION IF EXISTS {TRIGGER}()")  # the first version's function
    return out


EXPECTED = 11  # triggers installed by statements(): insert/update/delete/truncate on three tables, no threat insert


def all_enabled(session) -> bool:
    """Whether every trigger is there and enabled (a psycopg session): the memo relies on them, and a
    restored dump, a manual ``DISABLE TRIGGER`` or a migrate that never ran would leave it stale."""
    row = session.execute(*db_triggers.enabled_query(TRIGGER, _tables().values())).fetchone()
    return bool(row) and row[0] == EXPECTED


def install(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Create or replace the triggers; False on SQLite or while a table is missing."""
    return db_triggers.install(statements, _tables().values(), using)


def installed_on(using: str = DEFAULT_DB_ALIAS) -> dict[str, set[str]]:
    """Table -> the names of our triggers on it (for the tests and the health check)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                       " WHERE t.tgname LIKE %s AND NOT t.tgisinternal", [TRIGGER + "%"])
        out: dict[str, set[str]] = {}
        for table, name in cursor.fetchall():
            out.setdefault(table, set()).add(name)
        return out


def install_after_migrate(sender, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    if getattr(sender, "label", None) == "iocs":
        install(using)
