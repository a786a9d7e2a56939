#!/usr/bin/env bash
# Creates .venv-bench: a separate virtualenv holding the three open-source extractors we compare
# against (iocsearcher, ioc-finder, iocextract, pinned in ../shared/corpus/requirements.txt).
# They are measured, never imported by ThreatCluster, so they stay out of requirements*.txt.
#   bash bench/setup_peers.sh            # then: .venv/bin/python bench/extraction.py
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="${SHARED:-../shared}"
PYTHON="${PYTHON:-python3.11}"
[ -f "$SHARED/corpus/requirements.txt" ] || { echo "needs $SHARED/corpus (set SHARED=...)" >&2; exit 1; }
[ -x .venv-bench/bin/python ] || "$PYTHON" -m venv .venv-bench
.venv-bench/bin/pip install --disable-pip-version-check -q -r "$SHARED/corpus/requirements.txt"
echo "peers installed in $(pwd)/.venv-bench"
