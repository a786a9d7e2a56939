"""Package: per-threat REST endpoints (scope 2)."""
