"""Full-text search latency at newsroom scale: claims and documents, through `Workspace`.

Run as `python -m bench.search --dir DIR [--docs 10000 --claims 100000] [--runs 30]`. The
corpus and store come from `bench.corpus` in DIR (generated there when missing; generate it
once and reuse it). The search index is built first (timed: what `annotate serve` does at
start-up when `.annotate-tmp/search.sqlite` is missing), then checked against the files as
a fresh process finds it (timed), then each query is run `--runs` times as the claims page
and `GET /api/claims?q=` run it (`Workspace.search_claims`, ranked, plus the highlights of
the first page of 50) and as the documents list runs it (`Workspace.search_documents`, the
first page with its snippets). Like `annotate serve`, it moves what start-up loaded out of
the garbage collector's way first (`gc.freeze`). It prints, per query, the hits, the wall
time's p50 and p95 and the CPU time's p50 and p95 (this thread's own), in milliseconds.
The target is under 50 ms at 10,000 documents and 100,000 claims; the figures are in
docs/performance.md.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
from pathlib import Path

from annotate.record.service import Workspace
from bench.corpus import generate

QUERIES = (
    "Kraków",  # a place: a few percent of the claims
    "lukasz wojcik",  # a claimant, typed without the accents
    '"grain shipments were delayed"',  # a phrase
    "wells poisoned Tbilisi",  # three words, one place
    "ballot boxes not sealed",  # a negation (none in the generated claims: any of the words)
    "Iskander",  # not in the corpus
    'AND "unbalanced',  # operators and an unbalanced quote, taken as words
)


def percentile(values: list[float], q: float) -> float:
    """The `q` quantile (0..1) of `values`, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def figures(wall: list[float], cpu: list[float]) -> str:
    """The p50 and p95 of the wall and the CPU times, as the table prints them."""
    return " ".join(f"{f(v):>6.1f}" for v in (wall, cpu) for f in (statistics.median, p95))


def p95(values: list[float]) -> float:
    """The 95th percentile of `values`."""
    return percentile(values, 0.95)


def timed(fn: object, runs: int) -> tuple[list[float], list[float], object]:
    """Wall and CPU milliseconds of each of `runs` calls, and what the last returned."""
    wall, cpu, out = [], [], None
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.thread_time()
        out = fn()  # type: ignore[operator]
        cpu.append((time.thread_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
    return wall, cpu, out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__)
    ap.add_argument("--dir", type=Path, required=True, help="reuse or make the corpus here")
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--claims", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--keep", action="store_true", help="reuse the search index already built")
    args = ap.parse_args(argv)
    if not (args.dir / "bench-corpus.json").exists():
        generate(args.docs, args.claims, args.dir)
    seeds, store = args.dir / "seeds", args.dir / "store"
    index = store / ".annotate-tmp" / "search.sqlite"
    if not args.keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{index}{suffix}").unlink(missing_ok=True)

    ws = Workspace.open(seeds, store, fsync=False)
    started = time.perf_counter()
    ws.counts()
    ws.corpus.documents()
    loaded = time.perf_counter() - started
    assert ws.search is not None
    started = time.perf_counter()
    ws.search.current()
    built = time.perf_counter() - started
    ws.search.close()
    fresh = Workspace.open(seeds, store, fsync=False)
    fresh.counts()
    fresh.corpus.documents()
    assert fresh.search is not None
    started = time.perf_counter()
    fresh.search.current()
    checked = time.perf_counter() - started
    # What `annotate serve` does once warm (see `annotate.cli.serve.warm`).
    gc.collect()
    gc.freeze()
    size = sum(os.path.getsize(f"{index}{s}") for s in ("", "-wal") if Path(f"{index}{s}").exists())
    claims = len(ws.store.summaries()[0])
    docs = len(ws.corpus.documents())
    print(f"{docs:,} documents, {claims:,} claims (index and corpus loaded in {loaded:.1f} s)")
    print(
        f"search index: built in {built:.1f} s ({'kept' if args.keep else 'from nothing'}), "
        f"{size / 1e6:.0f} MB; a fresh process checks it against the files in {checked:.2f} s"
    )
    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} cores (wall times grow with it; CPU less)")
    print(
        f"{'query':<34} {'claims':>6} {'p50':>6} {'p95':>6} {'cpu50':>6} {'cpu95':>6}"
        f"  {'docs':>5} {'p50':>6} {'p95':>6} {'cpu50':>6} {'cpu95':>6}   (ms)"
    )
    for q in QUERIES:

        def claims_page(q: str = q) -> int:
            result = fresh.search_claims(q)
            result.highlights(result.claims[:50])
            return len(result.claims)

        def docs_page(q: str = q) -> int:
            found = fresh.search_documents(q, 0, 50)
            found.snippets(found.ids)
            return found.total

        claims_page()  # the first run of a query pays for SQLite's page cache
        ct, cc, cn = timed(claims_page, args.runs)
        dt, dc, dn = timed(docs_page, args.runs)
        print(f"{q:<34} {cn:>6,} {figures(ct, cc)}  {dn:>5,} {figures(dt, dc)}")


if __name__ == "__main__":
    main()
