"""The MISP feed is built from threats; it keeps no tables of its own."""
