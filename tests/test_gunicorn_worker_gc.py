"""A gunicorn worker freezes what it loaded at start-up out of the garbage collector's reach, so a full
collection under load walks only what requests made (5-7 ms instead of 90-112 ms: bench/RESULTS.md)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Runs in a fresh interpreter: freezing the test process would change collections for every later test.
SCRIPT = """
import gc, runpy
import django
django.setup()
config = runpy.run_path("gunicorn.conf.py")
assert gc.get_freeze_count() == 0
config["post_worker_init"](None)
frozen = gc.get_freeze_count()
gc.collect()
print(frozen, len(gc.get_objects()))
"""


def test_post_worker_init_freezes_the_start_up_heap():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "threatcluster.settings",
           "SECRET_KEY": os.environ.get("SECRET_KEY") or "test-only-" + "0" * 40}
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    frozen, still_tracked = (int(n) for n in result.stdout.split())
    assert frozen > 100_000  # Django, DRF, stix2, pymisp and the app: what a worker keeps for life
    assert still_tracked < frozen // 10  # a full collection walks only a small rest
