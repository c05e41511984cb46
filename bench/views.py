"""Time and peak memory of the picture pages and files on a large store, each request in a
process of its own (the peak RSS is then that request's, over the app's start).

Run as `python -m bench.views --dir DIR [PATH ...]`, `DIR` a corpus made by
`python -m bench.corpus --docs 10000 --claims 100000 --out DIR`. Without paths it measures
`/timeline`, `/timeline?claimant=X` (X the claimant with the most claims), `/matrix`,
`/timeline.json`, `/timeline.svg`, `/matrix.svg`, `/matrix.json`, one child process each,
and prints a row a request: status, seconds, bytes answered, RSS once the index is built and
the process's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
import urllib.parse
from collections import Counter
from pathlib import Path

from annotate import create_app
from bench.page import _rss


def one(folder: Path, path: str) -> dict[str, object]:
    """Start the app over `folder`, build its index, GET `path` once."""
    app = create_app(
        {
            "SEEDS": str(folder / "seeds"),
            "STORE": str(folder / "store"),
            "REVIEWER": "bench",
            "SECRET_KEY": "bench",
        }
    )
    ws = app.extensions["annotate"]
    ws.store.counts()  # what `annotate serve` does before it listens
    ws.corpus.documents()
    client = app.test_client()
    client.get("/healthz")
    if "{claimant}" in path:
        most = Counter(s.claimant for s in ws.find()).most_common(1)[0]
        path = path.replace("{claimant}", urllib.parse.quote_plus(most[0]))
    before = _rss()
    started = time.perf_counter()
    resp = client.get(path)
    size = len(resp.get_data())
    seconds = time.perf_counter() - started
    return {
        "path": path,
        "status": resp.status_code,
        "seconds": round(seconds, 2),
        "bytes": size,
        "rss_before_mb": round(before),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


PATHS = [
    "/timeline",
    "/timeline?claimant={claimant}",
    "/matrix",
    "/timeline.json",
    "/timeline.svg",
    "/matrix.svg",
    "/matrix.json",
]


def main(argv: list[str] | None = None) -> int:
    """Print the figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.views", description=__doc__)
    parser.add_argument("--dir", type=Path, required=True, help="a corpus from bench.corpus")
    parser.add_argument("--one", action="store_true", help="one path, in this process (JSON)")
    parser.add_argument("paths", nargs="*")
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.dir, args.paths[0])))
        return 0
    print(f"{'request':<52} {'status':>6} {'s':>7} {'bytes':>11} {'RSS MB':>7} {'peak MB':>8}")
    for path in args.paths or PATHS:
        out = subprocess.run(
            [sys.executable, "-m", "bench.views", "--dir", str(args.dir), "--one", path],
            capture_output=True,
            text=True,
            check=True,
        )
        row = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{row['path'][:52]:<52} {row['status']:>6} {row['seconds']:>7.2f} "
            f"{row['bytes']:>11,} {row['rss_before_mb']:>7} {row['peak_mb']:>8}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
