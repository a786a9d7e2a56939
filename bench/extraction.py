"""Extraction benchmark: our extractor + classifier beside the three open-source peers, in one run.

    bash bench/setup_peers.sh                       # once: the peers' own virtualenv (.venv-bench)
    .venv/bin/python bench/extraction.py            # all rows; --set dev --repeat 5 by default
    .venv/bin/python bench/extraction.py --only ours

Every row is one run of ``../shared/corpus/score.py`` (its adapters for the peers, the functions
below for us), one after another so they do not compete for the CPU. Our rows: ``published`` is
what ThreatCluster would publish (extraction, then the classifier, false positives dropped; each
document is an article whose publisher is unknown) and ``extracted`` is extraction alone.

This module is also the extractor ``score.py`` loads for our rows: ``published(text)`` and
``extracted(text)`` follow its contract ``f(text) -> [(type, value)]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SCORED_TYPES = frozenset({"ipv4", "ipv6", "domain", "url", "md5", "sha1", "sha256", "email", "btc", "eth", "xmr",
                          "cve"})


def published(text: str) -> list[tuple[str, str]]:
    """What ThreatCluster publishes from ``text``: extraction, then the classifier (FPs dropped)."""
    from iocs.classifier import classify_extracted
    from iocs.extraction import extract_iocs

    return [(x.type, x.value) for x, verdict in classify_extracted(extract_iocs(text))
            if verdict.published and x.type in SCORED_TYPES]


def extracted(text: str) -> list[tuple[str, str]]:
    """Everything ThreatCluster extracts from ``text`` (no classifier)."""
    from iocs.extraction import extract_iocs

    return [(x.type, x.value) for x in extract_iocs(text) if x.type in SCORED_TYPES]


PEERS = (
    ("iocsearcher 3.1.0", "adapters/iocsearcher_adapter.py:extract"),
    ("ioc-finder 9.4.1", "adapters/ioc_finder_adapter.py:extract"),
    ("iocextract 1.16.1", "adapters/iocextract_adapter.py:extract"),
)


def _score(python: str, corpus: Path, spec: str, args: argparse.Namespace, extra: list[str]) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        target = out.name
    cmd = [python, str(corpus / "score.py"), "--extractor", spec, "--set", args.set, "--repeat", str(args.repeat),
           "--json", target, *extra]
    try:
        subprocess.run(cmd, cwd=corpus, check=True, capture_output=True, text=True)
        return json.loads(Path(target).read_text())
    except subprocess.CalledProcessError as exc:
        raise SystemExit(f"score.py failed for {spec}:\n{exc.stderr[-2000:]}") from exc
    finally:
        Path(target).unlink(missing_ok=True)


def _cells(res: dict) -> list[str]:
    def prf(key: str) -> str:
        row = res["per_type"].get(key)
        if not row:
            return "-"
        return " / ".join("  - " if row[k] is None else f"{row[k]:.3f}".lstrip("0") for k in ("p", "r", "f1"))

    return [prf("overall"), prf("network"), prf("domain"), prf("hashes"), f"{res['mb_per_s']:.2f}"]


def _table(rows: list[tuple[str, dict]]) -> str:
    head = ["extractor", "overall P / R / F1", "network P / R / F1", "domain P / R / F1", "hashes P / R / F1", "MB/s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join([name, *_cells(res)]) + " |" for name, res in rows]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default=os.environ.get("TC_SHARED", str(ROOT.parent / "shared")))
    ap.add_argument("--peers-python", default=str(ROOT / ".venv-bench" / "bin" / "python"),
                    help="python of the peers' virtualenv (bench/setup_peers.sh)")
    ap.add_argument("--set", default="dev")
    ap.add_argument("--repeat", type=int, default=5,
                    help="timing passes per extractor, the best kept (several: a shared machine is noisy)")
    ap.add_argument("--only", choices=["ours", "peers", "all"], default="all")
    ap.add_argument("--json", help="write every row's full score.py result to this file")
    args = ap.parse_args()
    corpus = Path(args.shared) / "corpus"
    if not (corpus / "score.py").exists():
        raise SystemExit(f"no {corpus}/score.py (use --shared)")
    rows: list[tuple[str, dict]] = []
    if args.only in ("ours", "all"):
        me = str(Path(__file__).resolve())
        rows.append(("**ThreatCluster: published** (extract + classify)", _score(sys.executable, corpus,
                                                                                 f"{me}:published", args, [])))
        rows.append(("ThreatCluster: extracted (no classifier)", _score(sys.executable, corpus, f"{me}:extracted",
                                                                         args, [])))
    if args.only in ("peers", "all"):
        if not Path(args.peers_python).exists():
            raise SystemExit(f"no peers' virtualenv at {args.peers_python}: run bash bench/setup_peers.sh")
        for name, spec in PEERS:
            rows.append((name, _score(args.peers_python, corpus, spec, args, [])))
        rows.append(("iocsearcher + all MISP warninglists", _score(args.peers_python, corpus, PEERS[0][1], args,
                                                                    ["--filter", "warninglists"])))
    machine = rows[0][1]["machine"]
    print(f"# {len(rows[0][1]['per_doc'])} documents ({args.set}), {rows[0][1]['bytes'] / 1e6:.2f} MB; "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {machine['cpu']}, {machine['cores']} cores, "
          f"Python {machine['python']} ({platform.system()}); best of {args.repeat} passes")
    print(_table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(dict(rows), indent=1))


if __name__ == "__main__":
    main()
