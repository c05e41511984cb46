"""Full-text search latency at newsroom scale: claims and documents, through `Workspace`.

Run as `python -m bench.search --dir DIR [--docs 10000 --claims 100000] [--runs 30]`. The
corpus and store come from `bench.corpus` in DIR (generated there when missing; generate it
once and reuse it). The search index is built first (timed: what `annotate serve` does at
start-up when `.annotate-tmp/search.sqlite` is missing), then checked against the files as
a fresh process finds it (timed), then each query is run `--runs` times as the claims page
and `GET /api/claims?q=` run it (`Workspace.search_claims`, ranked and counted, the first
page of 50 with its highlights) and as the documents list runs it
(`Workspace.search_documents`, the first page with its snippets). Like `annotate serve`, it
follows the store from a background thread and moves what start-up loaded out of the
garbage collector's way first (`gc.freeze`). It prints, per query, the hits, the wall
time's p50 and p95 and the CPU time's p50 and p95 (this thread's own), in milliseconds.
The target is under 50 ms at 10,000 documents and 100,000 claims; the figures are in
docs/performance.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import importlib.util
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
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


def p95(values: list[float]) -> float:
    """The 95th percentile of `values`."""
    return percentile(values, 0.95)


def timed(fns: Sequence[Callable[[], object]], runs: int) -> list[Timed]:
    """Wall and CPU milliseconds of each of `runs` calls of each of `fns` (taken in turn, run
    by run: what the machine's load does to one it does to the others), and what each
    returned last."""
    out = [Timed() for _ in fns]
    for _ in range(runs):
        for fn, t in zip(fns, out, strict=True):
            started, started_cpu = time.perf_counter(), time.thread_time()
            t.out = fn()
            t.cpu.append((time.thread_time() - started_cpu) * 1000)
            t.wall.append((time.perf_counter() - started) * 1000)
    return out


@dataclass
class Timed:
    """What `timed` measured of one function."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    out: object = None

    def __str__(self) -> str:
        return " ".join(
            f"{f(v):>6.1f}" for v in (self.wall, self.cpu) for f in (statistics.median, p95)
        )


def baseline(path: Path, ws: Workspace) -> Workspace:
    """`ws` searching with another version of `annotate/record/search.py` (main's, say),
    over the same store, corpus and search database: the figures before a change, taken in
    the same run as those after it."""
    name = "annotate.record._baseline_search"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    index = module.SearchIndex(ws.store, ws.corpus)
    if not hasattr(index, "listing"):
        # A version from before `listing` (main's before issue 19's last point): the
        # workspace then fetches every hit's summary, as it did with that version.
        index.listing = lambda query: None
    return dataclasses.replace(ws, search=index)


def pages(ws: Workspace, q: str) -> tuple[Callable[[], object], Callable[[], object]]:
    """The claims page's search for `q` (ranked, the first 50 highlighted) and the documents
    list's (counted, the first 50 with their snippets), each giving what it showed."""

    def claims_page() -> object:
        result = ws.search_claims(q)
        shown = result.claims[:50]
        return len(result.claims), [c.id for c in shown], result.highlights(shown)

    def docs_page() -> object:
        found = ws.search_documents(q, 0, 50)
        return found.total, found.ids, found.snippets(found.ids)

    return claims_page, docs_page


def every_claim(ws: Workspace, q: str) -> list[str]:
    """Every claim the claims page lists for `q`, in its order (compared, not timed)."""
    return [c.id for c in ws.search_claims(q).claims]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__)
    ap.add_argument("--dir", type=Path, required=True, help="reuse or make the corpus here")
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--claims", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--keep", action="store_true", help="reuse the search index already built")
    ap.add_argument(
        "--baseline",
        type=Path,
        metavar="SEARCH_PY",
        help="also time this other version of annotate/record/search.py (e.g. main's, from"
        " `git show main:annotate/record/search.py`), run by run in turn with this one, and"
        " check that both show the same",
    )
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
    # What `annotate serve` does once warm (see `annotate.cli.serve.warm`): a background
    # thread follows the store (without it, a query every minute would stat every file).
    fresh.follow()
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
    versions = [("", fresh)]
    if args.baseline:
        versions.append((" (before)", baseline(args.baseline, fresh)))
    for q in QUERIES:
        fns = [fn for _, ws_ in versions for fn in pages(ws_, q)]
        for fn in fns:
            fn()  # the first run of a query pays for SQLite's page cache
        found = timed(fns, args.runs)
        for at, (label, _) in enumerate(versions):
            claims_t, docs_t = found[2 * at], found[2 * at + 1]
            if at and (
                (claims_t.out, docs_t.out) != (found[0].out, found[1].out)
                or every_claim(versions[at][1], q) != every_claim(fresh, q)
            ):
                label += " DIFFERENT"
            cn, dn = claims_t.out[0], docs_t.out[0]  # type: ignore[index]
            print(f"{q + label:<34} {cn:>6,} {claims_t}  {dn:>5,} {docs_t}")


if __name__ == "__main__":
    main()
