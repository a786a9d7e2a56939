"""Shared fixtures and the CI rule that a skipped test is a failure.

``TC_STRICT=1`` (set by ``.ci/run``) turns every skip into a failure at the end of the session:
in CI, ``../shared``, PostgreSQL and Redis are present, so nothing has a reason to skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Fixtures shared by the feed tests (feeds_env, clock) and the TAXII tests (callers).
pytest_plugins = ["tests.feeds_helpers", "tests.taxii_helpers"]

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
STRICT = os.environ.get("TC_STRICT") == "1"


def require_shared(*parts: str) -> Path:
    """The path under ../shared, or skip (a user's machine has no ../shared)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs ../shared/{'/'.join(parts)}")
    return path


@pytest.fixture(autouse=True)
def _no_process_memos():
    """Every test starts without the process's memo of the pending count (``iocs.stats.LOCAL_TTL``)
    and without rate-limit leases (``apikeys.throttling.leases``): tests create pending IOCs without
    the classifier's invalidation and clear the shared cache, where the leases were reserved.
    The lookup memo's listening session is closed after each test: an open session would keep the
    test database from being dropped (its answers are already dropped by every write)."""
    from apikeys import throttling
    from iocs import stats
    from iocs.lookup import memo

    stats.forget_local_pending_count()
    throttling.leases.forget()
    memo.forget()
    yield
    memo.forget()


@pytest.fixture
def shared_dir() -> Path:
    return require_shared()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not STRICT:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped and session.exitstatus == 0:
        reporter.write_line(f"TC_STRICT: {len(skipped)} test(s) skipped; in CI every test must run.", red=True)
        session.exitstatus = 1
