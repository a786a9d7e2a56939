"""Give each pytest-xdist worker its own Redis database (loaded early with ``-p``, see pyproject).

The cache, the rate-limit counters and the Celery broker live in ``REDIS_URL``'s database. Two
xdist workers sharing it would see each other's counters and cached feeds, and one worker's
``cache.clear()`` would disturb the other's tests. Django's settings read ``REDIS_URL`` when
pytest-django loads them, which is after ``-p`` plugins are imported, so the variable is adjusted
here: worker ``gwN`` uses database ``base - 1 - N`` (CI's 15 becomes 14, 13, ...). The test
database needs nothing: pytest-django already suffixes its name per worker.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit


def _worker_url(url: str, worker: str) -> str:
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    index = int(worker.removeprefix("gw"))
    db = (base - 1 - index) % 16
    return urlunsplit(parts._replace(path=f"/{db}"))


_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker.startswith("gw") and os.environ.get("REDIS_URL"):
    os.environ["REDIS_URL"] = _worker_url(os.environ["REDIS_URL"], _worker)
