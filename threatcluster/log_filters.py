"""Logging filters.

``ConciseCacheErrors``: with Redis down, django-redis (``IGNORE_EXCEPTIONS``) logs every ignored
cache error at ERROR with a full traceback, several per request: a flood that buries everything
else. This keeps one WARNING line per process every ``interval`` seconds, naming the error and how
many were folded into it. The requests themselves are served without the cache either way.
"""

from __future__ import annotations

import logging
import threading
import time


class ConciseCacheErrors(logging.Filter):
    def __init__(self, interval: float = 10.0) -> None:
        super().__init__()
        self.interval = interval
        self._last = float("-inf")
        self._folded = 0
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        with self._lock:
            now = time.monotonic()
            if now - self._last < self.interval:
                self._folded += 1
                return False
            folded, self._folded, self._last = self._folded, 0, now
        error = record.exc_info[1] if record.exc_info else None
        reason = f"{type(error).__name__}: {error}" if error else record.getMessage()
        record.msg = "cache unavailable, serving without it (%s)%s"
        record.args = (reason, f"; {folded} more such errors since the last report" if folded else "")
        record.exc_info = record.exc_text = None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True
