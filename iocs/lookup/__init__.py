"""Package: reverse lookup of IOC values (scope 3)."""
