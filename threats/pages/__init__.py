"""``/threats/`` and ``/threats/<id>``: the incident clusters as server-rendered pages."""
