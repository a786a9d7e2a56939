"""A gunicorn access logger that never writes a credential.

Feed tokens may travel in the query string (``?token=…``, for tools that cannot send headers), and
gunicorn's access log writes the request line as received. This logger redacts the values of
credential parameters in the request line, query string and referrer, and credential headers if a
custom ``access_log_format`` logs them. ``gunicorn.conf.py`` (read from the working directory)
installs it.
"""

from __future__ import annotations

import re

from gunicorn.glogging import Logger

REDACTED = "[redacted]"
_PARAM = re.compile(r"(?i)((?:^|[?&;])(?:token|api_key|apikey|key|password|reset_token)=)[^&;#\s\"]*")
_HEADERS = ("{authorization}i", "{x-api-key}i", "{cookie}i", "{proxy-authorization}i")


def redact(text: str) -> str:
    return _PARAM.sub(lambda m: m.group(1) + REDACTED, text)


class ScrubbingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name in ("r", "q", "f"):
            if isinstance(atoms.get(name), str):
                atoms[name] = redact(atoms[name])
        for name in _HEADERS:
            if atoms.get(name):
                atoms[name] = REDACTED
        return atoms
