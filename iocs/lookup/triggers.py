"""PostgreSQL tells the web workers when a lookup answer may have changed (``NOTIFY``).

The lookup reads three tables: IOCs, sightings and threats. A statement-level trigger on each
sends ``NOTIFY tc_lookup`` for any insert, update, delete or truncate, whoever runs it: the ORM,
the classifier's bulk ``UPDATE``, ``seed_demo``'s ``COPY``, a migration, a DBA in ``psql``.
PostgreSQL delivers a notification when the writing transaction commits (never for one rolled
back) and sends one per channel and transaction however many statements fired it, so a writer pays
one trigger call per statement and one queue entry per transaction.

:mod:`.memo` listens on the channel and drops what it remembered. Triggers rather than Python
signals for the same reason as the feeds' removal log (``iocs/feeds/triggers.py``): bulk updates
and raw SQL send no signal, and a change the memo missed would be a stale verdict served until the
process restarts. SQLite has no notifications and keeps no memo; it gets no triggers.

(Re)installed after every ``migrate`` (``IocsConfig.ready``): ``CREATE OR REPLACE`` and
``DROP TRIGGER IF EXISTS`` make it idempotent.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections

CHANNEL = "tc_lookup"
FUNCTION = "tc_lookup_changed"
TRIGGER = "tc_lookup_changed"


def _tables() -> list[str]:
    from iocs.models import IOC
    from threats.models import Sighting, Threat

    return [IOC._meta.db_table, Sighting._meta.db_table, Threat._meta.db_table]


def statements(quote) -> list[str]:
    """The SQL that installs the function and one trigger per table (identifiers are constants)."""
    out = [f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$"
           f" BEGIN PERFORM pg_notify('{CHANNEL}', ''); RETURN NULL; END $$"]
    for table in _tables():
        out += [f"DROP TRIGGER IF EXISTS {TRIGGER} ON {quote(table)}",
                f"CREATE TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {quote(table)}"
                f" FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"]
    return out


def install(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Create or replace the triggers; False on SQLite or while a table is missing."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return False
    if not set(_tables()) <= set(connection.introspection.table_names()):
        return False
    with connection.cursor() as cursor:
        for statement in statements(connection.ops.quote_name):
            cursor.execute(statement)
    return True


def installed_on(using: str = DEFAULT_DB_ALIAS) -> set[str]:
    """The tables that carry the trigger (for the tests and the health check)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return set()
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                       " WHERE t.tgname = %s AND NOT t.tgisinternal", [TRIGGER])
        return {row[0] for row in cursor.fetchall()}


def install_after_migrate(sender, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    if getattr(sender, "label", None) == "iocs":
        install(using)
