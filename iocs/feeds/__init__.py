"""Bulk IOC feeds (scope 1): public blocklists, token feeds, exports and the v1 API.

One query (``query.py``) builds each dataset from validated parameters (``params.py``) and the
caller's clearance; one renderer per format (``renderers/``) turns rows into text; the views are
thin. ``http.py`` adds validators, conditional GET, gzip and the artifact cache (``artifacts.py``).
Removals reach consumers through the log kept by database triggers (``models.Removal``,
``triggers.py``); the rule is in ``query.py``.
"""
