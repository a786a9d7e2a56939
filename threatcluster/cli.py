"""``threatcluster``: the command-line client of a ThreatCluster server, for token and key holders.

    threatcluster feed [--format csv] [--confidence high] [--types domain,ipv4] [--days 7] [-o FILE]
    threatcluster export [--format csv] [--hours 24] [-o FILE]
    threatcluster lookup VALUE [VALUE ...] [--type domain] [--limit 20]   (- reads values from stdin)
    threatcluster threat ID iocs|stix|navigator [--format csv] [--tlp amber] [-o FILE]
    threatcluster misp pull DIR [--public]

The server, feed token and API key come from ``--url``/``--token``/``--api-key`` or the environment
(``THREATCLUSTER_URL``, ``THREATCLUSTER_TOKEN``, ``THREATCLUSTER_API_KEY``). With an API key the
``/api/public/v1/`` twins are used. Downloads stream to stdout or a file with a progress bar, and
repeated pulls send the stored ETag so an unchanged feed costs a 304. Exit codes: 0 success (or not
modified), 1 other error, 2 usage, 3 not authenticated (401), 4 forbidden (403), 5 not found (404; 410
for a threat merged or deleted, the message naming the survivor),
6 rate limited (429, with the server's Retry-After), 7 network failure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import requests
from tqdm import tqdm

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_401, EXIT_403, EXIT_404, EXIT_429, EXIT_NETWORK = 0, 1, 2, 3, 4, 5, 6, 7
STATUS_EXIT = {401: EXIT_401, 403: EXIT_403, 404: EXIT_404, 410: EXIT_404, 429: EXIT_429}  # 410: merged/deleted
USER_AGENT = "threatcluster-cli/1.0"
CHUNK = 64 * 1024
LOOKUP_BATCH = 100  # values per POST /api/iocs/lookup (the server's maximum)


class CLIError(Exception):
    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Client:
    base_url: str
    token: str | None = None
    api_key: str | None = None
    timeout: float = 60.0
    quiet: bool = False

    def headers(self) -> dict[str, str]:
        headers = {"User-Agent": USER_AGENT}
        if self.api_key:
            headers["X-API-Key"] = self.api_key
        elif self.token:
            headers["Authorization"] = f"Token {self.token}"
        return headers

    def url(self, path: str) -> str:
        return f"{self.base_url.rstrip('/')}/{path.lstrip('/')}"

    def request(self, method: str, path: str, *, params: dict | None = None, json_body: dict | None = None,
                etag: str | None = None, stream: bool = False) -> requests.Response:
        headers = self.headers()
        if etag:
            headers["If-None-Match"] = etag
        try:
            response = requests.request(method, self.url(path), params={k: v for k, v in (params or {}).items()
                                                                         if v not in (None, "", False)},
                                        json=json_body, headers=headers, timeout=self.timeout, stream=stream)
        except requests.RequestException as exc:
            raise CLIError(f"cannot reach {self.base_url}: {exc}", EXIT_NETWORK) from exc
        if response.status_code >= 400:
            raise _http_error(response)
        return response


def _http_error(response: requests.Response) -> CLIError:
    try:
        body = response.json()
        detail = body.get("detail") or body.get("error") or response.reason
        if isinstance(body.get("errors"), dict):
            detail = "; ".join(f"{k}: {' '.join(map(str, v)) if isinstance(v, list) else v}"
                               for k, v in body["errors"].items())
    except ValueError:
        detail = response.reason
    message = f"HTTP {response.status_code}: {detail}"
    if response.status_code == 429 and response.headers.get("Retry-After"):
        message += f" (retry after {response.headers['Retry-After']} s)"
    return CLIError(message, STATUS_EXIT.get(response.status_code, EXIT_ERROR))


#
# Downloads with conditional GET
#
def _etag_store(output: Path) -> Path:
    return output.with_name(f".{output.name}.etag")


def download(client: Client, path: str, params: dict, output: str | None, *, label: str) -> int:
    """Stream ``path`` to ``output`` (or stdout); reuse the stored ETag when writing to a file."""
    target = Path(output) if output and output != "-" else None
    etag = None
    if target is not None and target.exists() and _etag_store(target).exists():
        etag = _etag_store(target).read_text().strip() or None
    response = client.request("GET", path, params=params, etag=etag, stream=True)
    if response.status_code == 304:
        _say(client, f"{label}: not modified since the last pull ({target})")
        return EXIT_OK
    total = int(response.headers.get("Content-Length") or 0) or None
    if target is None:
        _copy(response, sys.stdout.buffer, total, label, client.quiet or sys.stdout.isatty())
        return EXIT_OK
    partial = target.with_name(f".{target.name}.part")
    with partial.open("wb") as fh:
        _copy(response, fh, total, label, client.quiet)
    partial.replace(target)
    if response.headers.get("ETag"):
        _etag_store(target).write_text(response.headers["ETag"])
    _say(client, f"{label}: wrote {target}")
    return EXIT_OK


def _copy(response: requests.Response, out: IO[bytes], total: int | None, label: str, quiet: bool) -> None:
    with tqdm(total=total, unit="B", unit_scale=True, desc=label, disable=quiet, file=sys.stderr) as bar:
        for chunk in response.iter_content(CHUNK):
            out.write(chunk)
            bar.update(len(chunk))
    out.flush()


def _say(client: Client, message: str) -> None:
    if not client.quiet:
        print(message, file=sys.stderr)


#
# Commands
#
def _feed_params(args: argparse.Namespace) -> dict:
    return {"format": args.format, "confidence": args.confidence, "types": args.types, "days": args.days,
            "hours": args.hours, "since": args.since, "defang": "true" if args.defang else None}


def cmd_feed(client: Client, args: argparse.Namespace) -> int:
    path = "api/public/v1/iocs/feed" if client.api_key else "api/iocs/feed"
    return download(client, path, _feed_params(args), args.output, label="feed")


def cmd_export(client: Client, args: argparse.Namespace) -> int:
    path = "api/public/v1/iocs/export" if client.api_key else "api/iocs/export"
    return download(client, path, _feed_params(args), args.output, label="export")


def lookup_values(values: list[str], stdin: IO[str]) -> list[str]:
    """The values to look up: ``-`` stands for standard input, one value a line (blank lines and
    ``#`` comments skipped), so log extracts can be piped in."""
    out: list[str] = []
    for value in values:
        if value != "-":
            out.append(value)
            continue
        for line in stdin:
            line = line.strip()
            if line and not line.startswith("#"):
                out.append(line)
    return out


def cmd_lookup(client: Client, args: argparse.Namespace) -> int:
    values = lookup_values(args.values, sys.stdin)
    if not values:
        raise CLIError("no values to look up", EXIT_USAGE)
    if len(values) == 1:
        response = client.request("GET", "api/iocs/lookup",
                                  params={"value": values[0], "type": args.type, "limit": args.limit})
        results = [response.json()]
    else:  # batches of the server's maximum, in order: one call per LOOKUP_BATCH values
        results = []
        options = {**({"type": args.type} if args.type else {}), **({"limit": args.limit} if args.limit else {})}
        for start in range(0, len(values), LOOKUP_BATCH):
            body = {"values": values[start:start + LOOKUP_BATCH], **options}
            data = client.request("POST", "api/iocs/lookup", json_body=body).json()
            results += data.get("results", data) if isinstance(data, dict) else data
    if args.json:
        print(json.dumps(results if len(results) > 1 else results[0], indent=2))
        return EXIT_OK
    for result in results:
        print(_describe(result))
    return EXIT_OK


def _describe(result: dict) -> str:
    query = result.get("query") or result.get("value") or ""
    if not result.get("found"):
        return f"{query}: not seen"
    ioc = result.get("ioc", {})
    verdict = ioc.get("status", "")
    if ioc.get("confidence"):
        verdict += f" ({ioc['confidence']})"
    lines = [f"{ioc.get('type', '')} {ioc.get('value', query)}: {verdict}".strip()]
    if ioc.get("reason"):
        lines.append(f"  reason: {ioc['reason']}")
    for cluster in result.get("clusters", []):
        lines.append(f"  {cluster.get('id')}  score {cluster.get('threat_score')}  {cluster.get('title')}")
    if result.get("more_clusters"):
        lines.append("  (more clusters: use --limit up to 100)")
    return "\n".join(lines)


THREAT_VIEWS = {"iocs": "iocs", "stix": "stix", "navigator": "attack-navigator"}


def cmd_threat(client: Client, args: argparse.Namespace) -> int:
    view = THREAT_VIEWS[args.view]
    prefix = "api/public/v1/threats" if client.api_key and view != "attack-navigator" else "api/threats"
    params = {"format": args.format if view == "iocs" else None, "tlp": args.tlp,
              "defang": "true" if args.defang else None}
    return download(client, f"{prefix}/{args.id}/{view}", params, args.output, label=f"threat {args.id} {args.view}")


def cmd_misp_pull(client: Client, args: argparse.Namespace) -> int:
    """Mirror a MISP feed into DIR: manifest.json, every listed event, hashes.csv (ETags reused)."""
    base = "misp" if args.public else "api/misp"
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    download(client, f"{base}/manifest.json", {}, str(folder / "manifest.json"), label="manifest")
    manifest = json.loads((folder / "manifest.json").read_text())
    for uuid in tqdm(sorted(manifest), desc="events", unit="event", disable=client.quiet, file=sys.stderr):
        download(client, f"{base}/{uuid}.json", {}, str(folder / f"{uuid}.json"), label=uuid)
    download(client, f"{base}/hashes.csv", {}, str(folder / "hashes.csv"), label="hashes.csv")
    _say(client, f"MISP feed: {len(manifest)} events in {folder}")
    return EXIT_OK


#
# Argument parsing
#
def _add_feed_filters(parser: argparse.ArgumentParser, formats: list[str]) -> None:
    parser.add_argument("--format", default="txt", choices=formats)
    parser.add_argument("--confidence", help="confirmed (all levels) or high,medium,low")
    parser.add_argument("--types", help="comma-separated IOC types, e.g. domain,ipv4,url")
    parser.add_argument("--days", type=int)
    parser.add_argument("--hours", type=int)
    parser.add_argument("--since", help="ISO date or datetime: changes since then (adds and removals)")
    parser.add_argument("--defang", action="store_true")
    parser.add_argument("-o", "--output", help="file to write (default: stdout)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="threatcluster", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("THREATCLUSTER_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--token", default=os.environ.get("THREATCLUSTER_TOKEN"), help="feed token")
    parser.add_argument("--api-key", default=os.environ.get("THREATCLUSTER_API_KEY"), help="API key (tc_...)")
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars or messages")
    sub = parser.add_subparsers(dest="command", required=True)

    feed = sub.add_parser("feed", help="download the IOC feed")
    _add_feed_filters(feed, ["txt", "csv", "json", "stix", "hosts", "rpz", "suricata"])
    feed.set_defaults(func=cmd_feed)
    export = sub.add_parser("export", help="download an IOC export file")
    _add_feed_filters(export, ["txt", "csv", "json"])
    export.set_defaults(func=cmd_export)

    lookup = sub.add_parser("lookup", help="which clusters mention these values")
    lookup.add_argument("values", nargs="+", help=f"values to look up; - reads them from stdin, one a line "
                        f"(more than one: batches of {LOOKUP_BATCH}, a feed token or key needed)")
    lookup.add_argument("--type")
    lookup.add_argument("--limit", type=int)
    lookup.add_argument("--json", action="store_true", help="print the raw JSON")
    lookup.set_defaults(func=cmd_lookup)

    threat = sub.add_parser("threat", help="one incident: its IOCs, STIX bundle or ATT&CK Navigator layer")
    threat.add_argument("id", help="8-hex threat id")
    threat.add_argument("view", choices=sorted(THREAT_VIEWS))
    threat.add_argument("--format", choices=["txt", "csv", "json"], default="csv")
    threat.add_argument("--tlp", help="a stricter TLP marking for the STIX bundle")
    threat.add_argument("--defang", action="store_true")
    threat.add_argument("-o", "--output")
    threat.set_defaults(func=cmd_threat)

    misp = sub.add_parser("misp", help="MISP feed")
    misp_sub = misp.add_subparsers(dest="misp_command", required=True)
    pull = misp_sub.add_parser("pull", help="mirror the MISP feed into a folder")
    pull.add_argument("dir")
    pull.add_argument("--public", action="store_true", help="the public mirror (no token)")
    pull.set_defaults(func=cmd_misp_pull)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) and EXIT_USAGE
    client = Client(args.url, token=args.token, api_key=args.api_key, timeout=args.timeout, quiet=args.quiet)
    try:
        return args.func(client, args)
    except CLIError as exc:
        print(f"threatcluster: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
