"""Timestamps formatted by the database, for exports of many rows.

Django loads every PostgreSQL ``timestamptz`` through a pure-Python parser (its ``BaseTzLoader``
subclasses psycopg's Python loader), ~15 µs a value: a third of a 10,000-IOC export went there, and
then as much again formatting them back to text. ``StixTime("first_seen")`` asks the database for the
finished STIX string instead (UTC, milliseconds truncated like :func:`stix_time`, ``Z``); every
builder here accepts such strings where it takes datetimes.
"""

from __future__ import annotations

from django.db import NotSupportedError
from django.db.models import CharField, Func


class StixTime(Func):
    """A datetime *column* as a STIX timestamp string (``NULL`` stays ``None``)."""

    output_field = CharField()
    arity = 1

    def as_sql(self, compiler, connection, **extra):
        raise NotSupportedError(f"StixTime supports PostgreSQL and SQLite, not {connection.vendor}")

    def as_postgresql(self, compiler, connection, **extra):
        template = "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
        return super().as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        # Django stores "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC; string surgery truncates like stix_time.
        sql, params = compiler.compile(self.source_expressions[0])
        if params:
            raise NotSupportedError("StixTime takes a column, not an expression with parameters")
        text = (f"(substr({sql}, 1, 10) || 'T' || substr({sql}, 12, 8) || '.' || "
                f"substr({sql} || '.000000', 21, 3) || 'Z')")
        return text, []
