"""Timestamps formatted by the database (``2024-05-01T10:00:00Z``), for the text formats.

Parsing a million timestamps into ``datetime`` objects and formatting them back is a large share
of a CSV or JSON feed's time in Python; the database does it for free while it reads the row.
Both engines the project runs on are supported (PostgreSQL, SQLite); values are UTC. (In the
SQLite templates ``%%%%`` becomes ``%%`` in the compiled SQL, which the driver reads as one ``%``.)
"""

from __future__ import annotations

from django.db.models import CharField, Func


class IsoTimestamp(Func):
    """``YYYY-MM-DDTHH:MM:SSZ`` of a timestamp (UTC)."""

    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection,
                           template="to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
                           **extra)

    def as_sqlite(self, compiler, connection, **extra):
        template = "strftime('%%%%Y-%%%%m-%%%%dT%%%%H:%%%%M:%%%%SZ', %(expressions)s)"
        return self.as_sql(compiler, connection, template=template, **extra)


class IsoDate(Func):
    """``YYYY-MM-DD`` of a timestamp (UTC)."""

    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection,
                           template="to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD')", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="strftime('%%%%Y-%%%%m-%%%%d', %(expressions)s)", **extra)
