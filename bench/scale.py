"""Issue #18's figures in one run, on a store of 100,000 claims: saves beside the disk and the
bare server, pages beside `/healthz`, CPU per request, RSS after the list sequence, start-up,
and the growth of `check` and `export` from 10,000 to 100,000 claims.

    python -m bench.scale --dir DIR [--small DIR2] [--seconds 5] [--quick] [--server NAME]

`DIR` is a corpus from `python -m bench.corpus --docs 10000 --claims 100000 --out DIR`, and
`DIR2` a smaller one (`--docs 1000 --claims 10000`; made in `DIR.small` when not given). The
parts are the other benchmarks' own functions, run one after the other, each printing its
table as it does alone, and a summary against the targets at the end:

1. `bench.memory`'s commands: `check --format json` and the exports on both corpora, and
   their growth (1.0 = linear; first, while this process is small: a command's peak RSS
   counts the process it was forked from);
2. `bench.memory`: every list, export and page request to a fresh server, its RSS after each
   (reads only);
3. `bench.startup`: a warm start (the kept index and search database as a server left them)
   and, without `--quick`, a cold one (`.annotate-tmp/` removed) to the first busiest page;
4. `bench.server`: the disk's atomic write, `/healthz`, saves (8 and 16 clients), saves
   while a reviewer reads the busiest page, that page with 1 and 8 clients; CPU per request;
   every acknowledged save checked in the files (this part writes verdicts into `DIR`);
5. `bench.ceiling`: the bare server (an app that only does the atomic write) on the same
   server, 16 clients.

Before parts 1 to 4 it reads every file of the corpora once and prints how long that took:
some machines give the page cache of files left alone back to their host, and a part would
then measure the disk (seconds here are normal; minutes mean the cache was cold).

`--quick`: 2-second phases, no cold start, the json export and check only; it took 25 minutes
at 100,000 claims on the 2 shared cores of its first run (load average 10 to 14), most of it
the exports (the full run adds the cold start and three exports of each size).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from . import ceiling, memory, server, startup
from .corpus import generate

CEILING_OF = {
    "granian": "granian wsgi, 1 x 16 threads",
    "waitress": "waitress, 16 threads",
    "gunicorn": "gunicorn gthread, 1 x 8 threads",
}
"""The bare server `bench.ceiling` runs for each `annotate serve --server`."""


def _part(title: str, *corpora: Path) -> None:
    print(f"\n==== {title} (load average {os.getloadavg()[0]:.2f})", flush=True)
    for corpus in corpora:
        _read_into_cache(corpus)


def _read_into_cache(corpus: Path) -> None:
    """Read every file of `corpus` once, so that the part measures the app and not the disk,
    and say how long it took. Some machines give the page cache of files left alone for a
    while back to their host (this one does: an export of 100,000 claims then ran at 12% of
    a core, waiting on the disk, and took minutes instead of 20 s); read this way (8 at a
    time) they take seconds, and a long time here says the cache was cold. In a process of
    its own: part 1's peak RSS of a command counts the process it was forked from."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _READ, str(corpus)], capture_output=True, text=True, check=True
    )
    files, size = (int(n) for n in done.stdout.split())
    print(
        f"page cache: read {files:,} files of {corpus} ({size / 2**20:.0f} MB) in "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )


_READ = (
    "import sys; from bench.check_export import read_every_file;"
    " print(*read_every_file(sys.argv[1], 8))"
)
"""`bench.check_export.read_every_file`, 8 files at a time, in a process of its own."""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n")[0])
    p.add_argument("--dir", type=Path, required=True, help="the 100,000-claim corpus")
    p.add_argument("--small", type=Path, help="the 10,000-claim corpus [made in DIR.small]")
    p.add_argument("--seconds", type=float, default=5.0, help="length of each measured phase")
    p.add_argument("--quick", action="store_true", help="shorter: see above")
    p.add_argument("--server", default="granian", choices=sorted(CEILING_OF))
    args = p.parse_args(argv)
    seconds = min(args.seconds, 2.0) if args.quick else args.seconds
    started = time.perf_counter()
    print("conditions:", server.conditions())
    manifest = json.loads((args.dir / "bench-corpus.json").read_text(encoding="utf-8"))
    small = args.small or args.dir.with_name(args.dir.name + ".small")
    if not (small / "bench-corpus.json").exists():
        print(f"making the small corpus in {small}", flush=True)
        generate(max(1, manifest["docs"] // 10), manifest["claims"] // 10, small)

    # First, while this process is small: a command's peak RSS (ru_maxrss) counts what it
    # was forked from.
    _part("1. check and export, 10,000 and 100,000 claims", small, args.dir)
    only = ("export json", "check --format json") if args.quick else ()
    growth = memory.cli_run([small, args.dir], Path(os.environ.get("TMPDIR", "/tmp")), only)

    _part("2. the list sequence: the server's RSS after each request", args.dir)
    worst_rss = memory.server_run(args.dir)

    _part("3. start-up to the first busiest page", args.dir)
    files = sum(1 for _ in (args.dir / "store").glob("*.json"))
    starts = {}
    for cold in (False,) if args.quick else (True, False):
        one = startup.one(args.dir, manifest["busiest"], cold, files)
        starts["cold" if cold else "warm"] = one
        print(f"{'cold' if cold else 'warm'}: {startup.row(one)}", flush=True)

    _part("4. saves and pages through the server", args.dir)
    ns = argparse.Namespace(
        claims=manifest["claims"],
        docs=manifest["docs"],
        seconds=seconds,
        threads=16,
        seed=1,
        workers=1,
        servers=1,
        running=None,
    )
    outcome = server.run(ns, args.dir, args.server)

    _part("5. the bare server's ceiling: an app that only does the atomic write")
    disk = server.disk_baseline(args.dir / "store", 4500, 16, seconds)
    name = CEILING_OF[args.server]
    put, put_cpu, get, get_cpu = ceiling.measure(name, args.dir / "store", 4500, seconds)
    print(f"disk atomic write (16 threads): {disk.rate:.0f}/s")
    print(
        f"{name}: PUT (write) {put:.0f}/s ({put / disk.rate:.0%} of the disk), CPU {put_cpu:.0%};"
        f" GET (nothing) {get:.0f}/s, CPU {get_cpu:.0%}"
    )

    save = outcome.row("save verdict (16)")
    health = outcome.row("/healthz (16)")
    page8 = outcome.row("busiest page (8)")
    mixed = outcome.row("busiest page (1) meanwhile")
    print(f"\n==== summary: {manifest['claims']:,} claims, --server {args.server}")
    print(f"conditions: {server.conditions()}; the run took {time.perf_counter() - started:.0f} s")
    print(
        f"saves (16 clients): {save.rate:.0f}/s, p50 {save.pct(0.5):.1f} ms, p99 "
        f"{save.pct(0.99):.1f} ms (target < 50); disk {outcome.disk.rate:.0f}/s, bare server "
        f"{put:.0f}/s: {save.rate / outcome.disk.rate:.0%} of the disk, "
        f"{save.rate / put:.0%} of the bare server"
    )
    print(
        f"CPU per save (server + clients): {save.cpu_ms:.2f} ms (target <= 1.5); per /healthz "
        f"{health.cpu_ms:.2f} ms"
    )
    print(
        f"busiest page (8 clients): {page8.rate:.0f}/s, p99 {page8.pct(0.99):.1f} ms (target"
        f" < 100), beside /healthz {health.rate:.0f}/s; while 8 save: p99 "
        f"{mixed.pct(0.99):.1f} ms"
    )
    print(
        f"largest RSS after a list, export or page request: {worst_rss / 1024:.0f} MB (target"
        " < 300; summed over the server's processes, see part 2 for PSS)"
    )
    for kind, one in starts.items():
        print(f"start-up ({kind}): first busiest page {one[2]:.2f} s (target < 2)")
    for job, rows in growth.items():
        (n0, w0, _), (n1, w1, _) = rows[0], rows[-1]
        print(f"{job}: {w0:.1f} s -> {w1:.1f} s, {w1 / w0 / (n1 / n0):.2f} of linear")
    return outcome.code


if __name__ == "__main__":
    sys.exit(main())
