"""PostgreSQL with a health check that costs no round trip (``base.DatabaseWrapper``)."""
