"""A read-only TAXII 2.1 server (``/taxii2/``): the standard way OpenCTI, Sentinel, Splunk and MISP poll STIX.

- :mod:`.protocol`: media types, TAXII timestamps, the error body;
- :mod:`.params`: the query parameters of ``objects/`` and ``manifest/`` and the opaque ``next`` token;
- :mod:`.collections`: which collections exist and who may read them;
- :mod:`.pages`, :mod:`.indicators` and :mod:`.threat_graphs`: one page of a collection, in (date added,
  id) order, keyset-paged, never OFFSET;
- :mod:`.ids`: the STIX id -> IOC index that ``match[id]`` needs;
- :mod:`.views`, :mod:`.urls`: thin DRF views (authentication, tiers, TLP clearance, rate limits from ``apikeys``).

Every STIX object comes from the one builder in :mod:`threats.stix`, so an IOC or a threat has the same ids
here as in ``/api/threats/{id}/stix`` and the bulk feeds.
"""
