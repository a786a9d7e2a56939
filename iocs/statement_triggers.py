"""Statement-level triggers with transition tables, as two parts of ``iocs`` install them: the
lookup memo's notifications (``iocs/lookup/triggers.py``) and the stored CSV blocks' change log
(``iocs/feeds/segments/triggers.py``). PostgreSQL only.

Each part names its triggers ``<prefix>_<event>`` and its functions ``<prefix>_<role>`` (one per
table it watches) and ``<prefix>_all`` (what a ``TRUNCATE`` calls); it checks they are all there
and enabled before relying on them, as a restored dump, a ``DISABLE TRIGGER`` or a migrate that
never ran would leave its readers stale.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import DEFAULT_DB_ALIAS, connections

TRANSITIONS = {"INSERT": "NEW TABLE AS new_rows", "DELETE": "OLD TABLE AS old_rows",
               "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows"}
ENABLED_SQL = ("SELECT count(*) FROM pg_trigger WHERE tgname LIKE %s AND NOT tgisinternal AND tgenabled <> 'D'"
               " AND tgrelid = ANY(%s::regclass[])")


# Only names (quoted by the backend) and constants are formatted into this SQL.
def on_table(prefix: str, table: str, role: str, events: Iterable[str]) -> list[str]:
    """(Re)create ``<prefix>_<event>`` on ``table`` for each event, calling ``<prefix>_<role>()`` with
    the changed rows as ``new_rows``/``old_rows``, and ``<prefix>_truncate`` calling ``<prefix>_all()``."""
    out = []
    for event in events:
        name = f"{prefix}_{event.lower()}"
        out += [f"DROP TRIGGER IF EXISTS {name} ON {table}",
                f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {TRANSITIONS[event]}"
                f" FOR EACH STATEMENT EXECUTE FUNCTION {prefix}_{role}()"]
    out += [f"DROP TRIGGER IF EXISTS {prefix}_truncate ON {table}",
            f"CREATE TRIGGER {prefix}_truncate AFTER TRUNCATE ON {table}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {prefix}_all()"]
    return out


def enabled_query(prefix: str, tables: Iterable[str]) -> tuple[str, list]:
    """How many of the triggers named ``<prefix>…`` on ``tables`` exist and are enabled."""
    return ENABLED_SQL, [prefix + "%", list(tables)]


def install(statements: Callable[[Callable[[str], str]], list[str]], tables: Iterable[str],
            using: str = DEFAULT_DB_ALIAS) -> bool:
    """Run ``statements(quote_name)``; False on another engine or while one of ``tables`` is missing."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return False
    if not set(tables) <= set(connection.introspection.table_names()):
        return False
    with connection.cursor() as cursor:
        for statement in statements(connection.ops.quote_name):
            cursor.execute(statement)
    return True
