"""Memory: the server's RSS after every list, export and page request, and the peak RSS of
`annotate export` and `annotate check --format json` at two sizes.

Run as `python -m bench.memory --dir DIR [--small DIR2] [--skip-server] [--skip-cli]`, where
`DIR` holds a corpus from `python -m bench.corpus --docs 10000 --claims 100000 --out DIR`
(`seeds/`, `store/` and `bench-corpus.json`; nothing in it is changed: every request is a
read). `--small DIR2`: a second, smaller corpus (say `--docs 1000 --claims 10000`) for the
growth of the commands; without it only `DIR` is measured.

1. `annotate serve` is started as a user starts it (`bench.serving`: a fresh process of this
   checkout, its default server and threads) with a public base URL (so that the claimreview
   export is allowed), and sent, one after another, every list of the API (following the
   `next` links of `GET /api/claims?limit=1000` to the last page), every export format, the
   W3C annotation container and its pages, and every page of the app. After each request it
   prints the status, the bytes of the answer (read in pieces, never held), the time and the
   server's VmRSS from /proc (summed over its processes, where `--workers N` forks some);
   then the largest VmRSS and the peak (VmHWM). Target: under
   300 MB at 100,000 claims.
2. `annotate export --format json|w3c|csv|claimreview --output FILE` and
   `annotate check --format json` run as fresh processes on each corpus: wall time and their
   peak RSS (ru_maxrss of the process, from `os.wait4`), and the growth from the small corpus
   to the large one (1.0 = linear time; memory should stay about flat).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from bench import serving

BASE_URL = "https://factcheck.example.org"
"""A public base URL: with the default (loopback), the claimreview export is refused."""

LIMIT_MB = 300
"""Issue #18's target for the server's RSS at 100,000 claims."""


def rss_kb(server: serving.Server, key: str = "VmRSS") -> int:
    """One figure of /proc/<pid>/status, in kB, summed over the server's processes (one by
    default; with `--workers N`, the one started and its workers)."""
    return server.memory()[key]


def fetch(host: str, port: int, path: str) -> tuple[int, int, dict[str, str], float]:
    """GET `path`: status, bytes of the body (read 64 kB at a time and dropped), the headers
    (lower-case names) and the seconds it took."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection(host, port, timeout=600)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        size = 0
        while chunk := resp.read(65536):
            size += len(chunk)
        headers = {k.lower(): v for k, v in resp.getheaders()}
        return resp.status, size, headers, time.perf_counter() - started
    finally:
        conn.close()


def next_link(headers: dict[str, str]) -> str | None:
    """The `rel="next"` URL of a `Link` header, if any."""
    for part in headers.get("link", "").split(","):
        m = re.match(r'\s*<([^>]+)>;\s*rel="next"', part)
        if m:
            return m.group(1)
    return None


def requests(corpus: dict[str, object]) -> list[str]:
    """Every list, export and page request of the app, in the order they are sent."""
    busiest = quote(str(corpus["busiest"]))
    return [
        "/healthz",
        "/api/openapi.json",
        "/api/documents",
        "/api/documents?limit=1000&offset=9000",
        "/api/claims",
        "/api/claims?verdict=confirmed&limit=1000",
        "/api/claims?verdict=unreviewed&offset=30000",
        "/api/claims?claimant=a&limit=1000",
        f"/api/claims?doc={busiest}&limit=1000",
        "/api/claims?q=hospital+beds&limit=1000",
        "/api/queue",
        "/api/queue?status=unreviewed&limit=1000",
        "/api/queue?reviewer=bench&limit=1000&offset=5000",
        "/api/agreement",
        f"/api/agreement?doc={busiest}",
        "/api/export?format=json",
        "/api/export?format=json&history=1",
        "/api/export?format=csv",
        "/api/export?format=w3c",
        "/api/export?format=claimreview",
        "/annotations/",
        "/annotations/?page=0&iris=0",
        "/annotations/?page=500&iris=1",
        "/",
        "/?page=100",
        "/claims",
        "/claims?sort=-updated&page=500",
        "/claims?verdict=disputed&sort=claimant",
        "/claims?q=hospital+beds",
        f"/claims?doc={busiest}",
        "/queue",
        "/agreement",
        "/export",
        f"/documents/{busiest}",
        f"/documents/{busiest}/text",
        f"/documents/{busiest}/claims",
    ]


def server_run(corpus_dir: Path) -> int:
    """Part 1; the largest VmRSS seen, in kB."""
    corpus = json.loads((corpus_dir / "bench-corpus.json").read_text())
    print(
        f"annotate serve on {corpus['claims']:,} claims, {corpus['docs']:,} documents "
        f"({corpus_dir})",
        flush=True,
    )
    server = serving.start(
        corpus_dir / "seeds",
        corpus_dir / "store",
        env={
            "ANNOTATE_BASE_URL": BASE_URL,
            "ANNOTATE_ORG_URL": BASE_URL,
            "ANNOTATE_ORG_LOGO": f"{BASE_URL}/logo.png",
        },
        timeout=600,
    )
    try:
        up = serving.wait_ok(server, "/", timeout=600)
        print(f"started: first page after {up:.1f} s; VmRSS {rss_kb(server) / 1024:.0f} MB")
        print(f"{'request':58} {'status':>6} {'bytes':>12} {'s':>7} {'VmRSS MB':>9} {'PSS MB':>7}")
        worst = rss_kb(server)
        for path in requests(corpus):
            status, size, _, took = fetch(server.host, server.port, path)
            now = rss_kb(server)
            worst = max(worst, now)
            pss = rss_kb(server, "Pss")
            print(
                f"{path[:58]:58} {status:>6} {size:>12,} {took:>7.2f} {now / 1024:>9.0f}"
                f" {pss / 1024:>7.0f}",
                flush=True,
            )
        # One list followed to its end through its `next` links.
        path: str | None = "/api/claims?limit=1000"
        pages = total = 0
        started = time.perf_counter()
        while path:
            status, size, headers, _ = fetch(server.host, server.port, path)
            if status != 200:
                raise SystemExit(f"{path}: {status}")
            pages += 1
            total += size
            worst = max(worst, rss_kb(server))
            path = next_link(headers)
        now = rss_kb(server)
        print(
            f"{'/api/claims?limit=1000, every page by `next`':58} {pages:>4} pg {total:>12,} "
            f"{time.perf_counter() - started:>7.2f} {now / 1024:>9.0f}"
        )
        peak = rss_kb(server, "VmHWM")
        verdict = "under" if max(worst, peak) < LIMIT_MB * 1024 else "OVER"
        print(
            f"largest VmRSS after a request {worst / 1024:.0f} MB, peak (VmHWM) {peak / 1024:.0f}"
            f" MB: {verdict} the {LIMIT_MB} MB target (summed over the server's processes:"
            f" pages they share counted in each; PSS, counting them once, now "
            f"{rss_kb(server, 'Pss') / 1024:.0f} MB)",
            flush=True,
        )
        return worst
    finally:
        server.stop()


def command(args: list[str]) -> tuple[float, int, int]:
    """Wall seconds, peak RSS (kB) and exit status of one `python -m annotate ...` (output
    dropped)."""
    env = {**os.environ, "PYTHONPATH": str(serving.ROOT)}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "annotate", *args],
        cwd=serving.ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - started, usage.ru_maxrss, proc.returncode


Growth = dict[str, list[tuple[int, float, int]]]
"""Per command, (claims, wall seconds, peak RSS kB) on each corpus."""


def cli_run(dirs: list[Path], out: Path, only: tuple[str, ...] = ()) -> Growth:
    """Part 2 (the commands named in `only`, when given); the figures."""
    jobs = [
        ("export json", ["export", "--format", "json"]),
        ("export w3c", ["export", "--format", "w3c"]),
        ("export csv", ["export", "--format", "csv"]),
        (
            "export claimreview",
            [
                "export",
                "--format",
                "claimreview",
                "--base-url",
                BASE_URL,
                "--org-url",
                BASE_URL,
                "--org-logo",
                f"{BASE_URL}/logo.png",
            ],
        ),
        ("check --format json", ["check", "--format", "json"]),
    ]
    jobs = [job for job in jobs if not only or job[0] in only]
    figures: Growth = {}
    print(f"{'command':22} {'claims':>8} {'wall s':>8} {'peak RSS MB':>12} {'output MB':>10}")
    for d in dirs:
        claims = json.loads((d / "bench-corpus.json").read_text())["claims"]
        where = ["--seeds", str(d / "seeds"), "--store", str(d / "store")]
        for name, args in jobs:
            target = out / f"{name.split()[-1]}.out"
            extra = ["--output", str(target)] if args[0] == "export" else []
            wall, peak, status = command([*args, *where, *extra])
            size = target.stat().st_size / 1e6 if extra else 0.0
            if args[0] == "export" and status != 0:
                raise SystemExit(f"annotate {' '.join(args)} failed ({status})")
            figures.setdefault(name, []).append((claims, wall, peak))
            print(
                f"{name:22} {claims:>8,} {wall:>8.2f} {peak / 1024:>12.0f} {size:>10.1f}",
                flush=True,
            )
            if extra:
                target.unlink()
    if len(dirs) > 1:
        for name, rows in figures.items():
            (n0, w0, m0), (n1, w1, m1) = rows[0], rows[-1]
            x = n1 / n0
            print(
                f"growth of {name}: {x:.0f}x the claims took {w1 / w0:.1f}x the time "
                f"({w1 / w0 / x:.2f} of linear), {m1 / m0:.2f}x the peak memory"
            )
    return figures


def main(argv: list[str] | None = None) -> int:
    """Print the figures."""
    p = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__.split("\n")[0])
    p.add_argument("--dir", type=Path, required=True, help="the large corpus (bench.corpus)")
    p.add_argument("--small", type=Path, default=None, help="a smaller corpus, for the growth")
    p.add_argument("--skip-server", action="store_true", help="only the commands")
    p.add_argument("--skip-cli", action="store_true", help="only the server")
    p.add_argument("--out", type=Path, default=Path("/tmp"), help="where exports are written")
    args = p.parse_args(argv)
    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} cores, load average {load:.2f} at start")
    if not args.skip_server:
        server_run(args.dir)
    if not args.skip_cli:
        cli_run([d for d in (args.small, args.dir) if d is not None], args.out)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
