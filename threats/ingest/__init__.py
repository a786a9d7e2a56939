"""Ingestion: from security reporting to clustered threats.

- :mod:`.fetch` polite HTTP (User-Agent, timeout, size cap, conditional GET, checked redirects);
  :mod:`.text` pages, summaries and local files reduced to text;
- :mod:`.feeds` RSS/Atom polling with per-source interval, back-off and the last error kept;
- :mod:`.articles` one article through extraction, galaxy names, clustering, sightings and score;
- :mod:`.galaxies` actors, malware and tools from the offline MISP galaxies (matching rules there);
- :mod:`.clustering` the rule that puts an article in a threat; :mod:`.scoring` threat_score;
- :mod:`.record` the idempotent write path (IOCs pending, sightings, entities, evidence);
  :mod:`.visibility` source counts and seen dates (TLP via ``threats.services``);
- :mod:`.misp`, :mod:`.stix` imports of MISP events and STIX 2.1 bundles (:mod:`.imports` shared);
- :mod:`.targets` what ``manage.py ingest`` does with each argument.

Celery tasks (``threats.tasks``) and the command only call these functions.
"""
