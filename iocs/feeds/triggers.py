"""Database triggers that write the removal log (``models.Removal``) whenever a confirmed IOC leaves
the published set: its status changes, its TLP becomes stricter, its confidence, type or value
changes, or it is deleted.

Triggers rather than Python hooks: ``QuerySet.update()`` (the classifier's bulk path) sends no
signal, and a removal that is not logged is a blocklist entry that never goes away downstream.
They are (re)installed after every ``migrate``: SQLite drops a table's triggers when Django
rebuilds the table to alter it. PostgreSQL and SQLite are supported (the project's two engines).
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections

# Which IOC updates are removals (OLD = before, NEW = after). Loosening the TLP or a new last_seen
# is not; a confidence change may be one for callers who asked for the old level only.
_WHEN = ("OLD.status = 'confirmed' AND (NEW.status <> 'confirmed' OR NEW.tlp > OLD.tlp"
         " OR NEW.confidence <> OLD.confidence OR NEW.type <> OLD.type OR NEW.value <> OLD.value)")
_CAUSE = ("CASE WHEN NEW.status = 'false_positive' THEN 'false_positive'"
          " WHEN NEW.status <> 'confirmed' THEN 'pending' WHEN NEW.tlp > OLD.tlp THEN 'tlp'"
          " WHEN NEW.confidence <> OLD.confidence THEN 'confidence' ELSE 'changed' END")
_COLUMNS = "(ioc_id, type, value, tlp, confidence, last_seen, first_seen, created_at, cause, at)"
_OLD = "OLD.id, OLD.type, OLD.value, OLD.tlp, OLD.confidence, OLD.last_seen, OLD.first_seen, OLD.created_at"
TRIGGER_NAMES = ("feeds_removal_on_update", "feeds_removal_on_delete")


# Table names come from the models' Meta and are quoted by the backend: no outside input reaches SQL.
def _postgresql(ioc: str, log: str) -> list[str]:
    return [
        f"""CREATE OR REPLACE FUNCTION feeds_record_removal() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    INSERT INTO {log} {_COLUMNS} VALUES ({_OLD}, 'deleted', clock_timestamp());
    RETURN OLD;
  END IF;
  INSERT INTO {log} {_COLUMNS} VALUES ({_OLD}, {_CAUSE}, clock_timestamp());
  RETURN NEW;
END $$""",  # noqa: S608
        f"DROP TRIGGER IF EXISTS feeds_removal_on_update ON {ioc}",
        f"CREATE TRIGGER feeds_removal_on_update AFTER UPDATE ON {ioc} FOR EACH ROW WHEN ({_WHEN})"
        " EXECUTE FUNCTION feeds_record_removal()",
        f"DROP TRIGGER IF EXISTS feeds_removal_on_delete ON {ioc}",
        f"CREATE TRIGGER feeds_removal_on_delete AFTER DELETE ON {ioc} FOR EACH ROW"
        " WHEN (OLD.status = 'confirmed') EXECUTE FUNCTION feeds_record_removal()",
    ]


def _sqlite(ioc: str, log: str) -> list[str]:
    now = "strftime('%Y-%m-%d %H:%M:%f', 'now')"  # the format Django stores datetimes in, in UTC
    return [
        "DROP TRIGGER IF EXISTS feeds_removal_on_update",
        f"CREATE TRIGGER feeds_removal_on_update AFTER UPDATE ON {ioc} FOR EACH ROW WHEN {_WHEN} BEGIN"  # noqa: S608
        f" INSERT INTO {log} {_COLUMNS} VALUES ({_OLD}, {_CAUSE}, {now}); END",
        "DROP TRIGGER IF EXISTS feeds_removal_on_delete",
        f"CREATE TRIGGER feeds_removal_on_delete AFTER DELETE ON {ioc} FOR EACH ROW WHEN OLD.status = 'confirmed'"  # noqa: S608
        f" BEGIN INSERT INTO {log} {_COLUMNS} VALUES ({_OLD}, 'deleted', {now}); END",
    ]


def install(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Create or replace the triggers; False when the engine is not supported or a table is missing."""
    from iocs.models import IOC

    from .models import Removal

    connection = connections[using]
    tables = set(connection.introspection.table_names())
    if IOC._meta.db_table not in tables or Removal._meta.db_table not in tables:
        return False
    builders = {"postgresql": _postgresql, "sqlite": _sqlite}
    build = builders.get(connection.vendor)
    if build is None:
        return False
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for statement in build(quote(IOC._meta.db_table), quote(Removal._meta.db_table)):
            cursor.execute(statement)
    return True


def installed(using: str = DEFAULT_DB_ALIAS) -> set[str]:
    """Names of our triggers present in the database (for tests and the health check)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname = ANY(%s)", [list(TRIGGER_NAMES)])
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            return set()
        return {row[0] for row in cursor.fetchall()} & set(TRIGGER_NAMES)


def install_after_migrate(sender, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    if getattr(sender, "label", None) == "feeds":
        install(using)
