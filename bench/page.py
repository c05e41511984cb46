"""Server time of the read pages on a large store, through the Flask test client.

Run as `python -m bench.page [--docs 10000] [--claims 100000] [--runs 200] [--dir DIR]`.
It generates the corpus with `bench.corpus` (or reuses `DIR` when it holds one), starts the
app over it, and times, in the same process and run:

- the busiest document's page (500 highlighted claims) and its text fragment, as kept
  between requests, and made afresh (a verdict saved on one of its claims before each),
- the documents index, the first page of the claims list, a filtered and sorted claims list,
- one claim's panel (htmx fragment),
- `/healthz` as the baseline,

printing p50/p99 (ms) and each page's p50 as a multiple of `/healthz`'s. It also prints the
time to build the index (first request) and the process's peak RSS after serving them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from annotate import create_app
from bench.corpus import generate


def _rss() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def corpus(docs: int, claims: int, folder: Path | None) -> tuple[Path, dict[str, Any]]:
    """The benchmark corpus in `folder` (made there unless it is there already)."""
    out = folder or Path(tempfile.mkdtemp(prefix="annotate-bench-"))
    manifest = out / "bench-corpus.json"
    if not manifest.exists():
        started = time.perf_counter()
        generate(docs, claims, out)
        print(
            f"generated {docs} documents, {claims} claims in {time.perf_counter() - started:.1f} s"
        )
    return out, json.loads(manifest.read_text(encoding="utf-8"))


def timings(
    get: Callable[[], Any], runs: int, before: Callable[[], Any] | None = None
) -> tuple[list[float], list[float]]:
    """Milliseconds per call, wall and CPU time of this thread, after two warm-up calls;
    `before`, if given, is called (untimed) before each.

    The CPU time is what the request cost the server, whoever else shares the machine."""
    get()
    get()
    wall, cpu = [], []
    for _ in range(runs):
        if before is not None:
            before()
        t, c = time.perf_counter(), time.thread_time()
        get()
        cpu.append((time.thread_time() - c) * 1000)
        wall.append((time.perf_counter() - t) * 1000)
    return wall, cpu


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def main(argv: list[str] | None = None) -> int:
    """Print the figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.page", description=__doc__)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--dir", type=Path, default=None, help="reuse or make the corpus here")
    args = parser.parse_args(argv)
    out, summary = corpus(args.docs, args.claims, args.dir)
    app = create_app(
        {
            "SEEDS": str(out / "seeds"),
            "STORE": str(out / "store"),
            "REVIEWER": "bench",
            "SECRET_KEY": "bench",
        }
    )
    client = app.test_client()
    busiest = summary["busiest"]
    started = time.perf_counter()
    ws = app.extensions["annotate"]
    ws.store.counts()  # what `annotate serve` does before it listens
    ws.corpus.documents()
    built = time.perf_counter() - started
    rss = _rss()
    first = client.get("/")
    assert first.status_code == 200, first.status_code
    print(
        f"store of {summary['claims']} claims, corpus of {summary['docs']} documents: "
        f"index and corpus loaded in {built:.2f} s, RSS then {rss:.0f} MB"
    )
    page = client.get(f"/documents/{busiest}")
    marks = page.get_data(as_text=True).count("<mark ")
    some_claim = client.get("/claims?doc=" + busiest).get_data(as_text=True)
    claim_id = some_claim.split('data-claim-row="', 1)[1].split('"', 1)[0]
    hx = {"HX-Request": "true"}
    cases: list[tuple[str, Callable[[], Any]]] = [
        ("/healthz", lambda: client.get("/healthz")),
        (f"document page, {marks} marks", lambda: client.get(f"/documents/{busiest}")),
        ("document text fragment", lambda: client.get(f"/documents/{busiest}/text", headers=hx)),
        ("claim panel fragment", lambda: client.get(f"/claims/{claim_id}", headers=hx)),
        ("index (page 1 of documents)", lambda: client.get("/")),
        ("claims list, page 1", lambda: client.get("/claims")),
        (
            "claims list, verdict filter + sort",
            lambda: client.get("/claims?verdict=disputed&sort=-updated"),
        ),
        ("claims list, text search", lambda: client.get("/claims?q=ballot+boxes")),
    ]
    results = []
    for name, get in cases:
        runs = args.runs if "list" not in name and "index" not in name else max(20, args.runs // 10)
        results.append((name, timings(get, runs), runs))
    # The page is made once and kept while its text and claims are unchanged (web/docview.py):
    # the rows above are that kept page; this one is made afresh, a claim of it saved first.
    version = [client.get(f"/api/claims/{claim_id}").get_json()["version"]]

    def save() -> None:
        body = client.get(f"/api/claims/{claim_id}").get_json()
        quote = {k: body["appearances"][0][k] for k in ("doc", "start", "end", "exact")}
        resp = client.put(
            f"/api/claims/{claim_id}/verdict",
            json={
                "verdict": "confirmed",
                "rationale": f"bench save {version[0]}",
                "sources": [{"stance": "supports", "quote": quote}],
            },
            headers={"If-Match": f'"{version[0]}"'},
        )
        assert resp.status_code == 200, resp.get_json()
        version[0] += 1

    fresh = f"document page, {marks} marks, after a save"
    page_url = f"/documents/{busiest}"
    results.insert(
        2, (fresh, timings(lambda: client.get(page_url), args.runs // 4, save), args.runs // 4)
    )
    base = statistics.median(results[0][1][0])
    print(
        f"{'request':<38} {'runs':>5} {'p50 ms':>8} {'p99 ms':>8} {'cpu p50':>8} {'cpu p99':>8} "
        f"{'p50 / healthz':>14}"
    )
    for name, (wall, cpu), runs in results:
        print(
            f"{name:<38} {runs:>5} {pct(wall, 50):>8.2f} {pct(wall, 99):>8.2f} "
            f"{pct(cpu, 50):>8.2f} {pct(cpu, 99):>8.2f} {statistics.median(wall) / base:>13.1f}x"
        )
    print(f"load average {os.getloadavg()[0]:.2f} (2 cores shared with other work)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"RSS after the requests {_rss():.0f} MB, peak {peak:.0f} MB "
        "(with the generator's, if it ran here)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
