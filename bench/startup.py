"""Start-up of `annotate serve`: the time to the first page, cold and warm.

Run as `python -m bench.startup [--sizes 10000,100000] [--work DIR] [--repeat 3]`, or with
`--dir DIR` on a corpus made by `python -m bench.corpus` (its `seeds/` and `store/`).
Corpora are generated with `bench.corpus` into `DIR/c<claims>` (a document per 10 claims),
or reused when there. Each run starts `annotate serve` as a user does (`bench.serving`) and
times, from the spawn of the process, the first 200 of `/` and then of the busiest document's
page (the most claims marked):

- cold: the store's `.annotate-tmp/` removed first (no kept index, no search database: the
  index is built by reading every claim file, the search database in the background);
- warm: as a server left it (the kept index and the search database current).

With `--parts`, one more warm start is made in a fresh process step by step, as `annotate
serve` makes it (`cli.serve.warm`), and the CPU time of its main thread is printed for each
step: imports, taking the index from the kept database (its rows, and the check of every
file: `statcheck`, in a process of its own at 100,000 claims, whose CPU is not counted), the
first counts, the corpus, the rest (the search database's check is started), the first `/`
and the first busiest page; then the process's resident memory.

After a cold run the server is left running until it has written its kept index (and its
search database is built, so that the next run does not pay for it). Each figure is the
median of `--repeat` runs, with the CPU time the server had used by its first busiest page
(which a shared machine changes less than the wall time); the load is printed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import serving
from bench.corpus import generate
from bench.server import Fleet, conditions


def corpus(work: Path, claims: int) -> Path:
    """The corpus of `claims` claims on a document per 10 under `work` (made if missing)."""
    out = work / f"c{claims}"
    if not (out / "bench-corpus.json").exists():
        started = time.perf_counter()
        generate(max(1, claims // 10), claims, out)
        print(f"  generated {out} in {time.perf_counter() - started:.1f} s", flush=True)
    return out


def kept_rows(store: Path) -> int:
    """How many files the kept index holds now (0: none yet)."""
    path = store / ".annotate-tmp" / "index.sqlite"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
            return int(db.execute("SELECT count(*) FROM summaries").fetchone()[0])
    except sqlite3.Error:
        return 0


def settle(server: serving.Server, store: Path, files: int, timeout: float = 600.0) -> None:
    """Until the server has kept its whole index and is idle (its search database built)."""
    deadline = time.monotonic() + timeout
    while kept_rows(store) < files and time.monotonic() < deadline:
        time.sleep(0.5)
    while time.monotonic() < deadline:
        before = Fleet([server]).cpu()
        time.sleep(2.0)
        if Fleet([server]).cpu() - before < 0.1:
            return


def one(out: Path, busiest: str, cold: bool, files: int) -> tuple[float, float, float, float]:
    """Seconds to the banner, the first `/` and the first busiest page, of one start, and
    the CPU seconds the server had used by then (what a busy machine does not change)."""
    seeds, store = out / "seeds", out / "store"
    if cold:
        shutil.rmtree(store / ".annotate-tmp", ignore_errors=True)
    server = serving.start(seeds, store, wait=False, timeout=600)
    try:
        banner = time.perf_counter() - server.started
        home = serving.wait_ok(server, "/", 600)
        page = serving.wait_ok(server, f"/documents/{busiest}", 600)
        cpu = Fleet([server]).cpu()
        if cold:
            settle(server, store, files)
    finally:
        server.stop()
    return banner, home, page, cpu


def keep_whole(out: Path, files: int) -> None:
    """One start that stays until the server has kept its whole index (see `settle`)."""
    server = serving.start(out / "seeds", out / "store", wait=True, timeout=600)
    try:
        settle(server, out / "store", files)
    finally:
        server.stop()


def parts(out: Path, busiest: str) -> None:
    """Print the CPU time of each step of a warm start (see the module), made in a fresh
    process of this checkout (`--parts-of`)."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.startup", "--parts-of", str(out), busiest],
        cwd=serving.ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    print(done.stdout, end="", flush=True)


def _parts_of(out: Path, busiest: str) -> None:
    """The steps of `parts`, in this process (a fresh one: the imports are counted)."""
    took: list[tuple[str, float]] = []
    at = time.thread_time()

    def step(what: str) -> None:
        nonlocal at
        now = time.thread_time()
        took.append((what, now - at))
        at = now

    from annotate import create_app
    from annotate.cli.serve import warm

    step("imports")
    app = create_app(
        {"SEEDS": str(out / "seeds"), "STORE": str(out / "store"), "SETTINGS_FILE": None}
    )
    ws = app.extensions["annotate"]
    ws.keep_index()
    ws.store.refresh()
    step("index taken")
    ws.counts()
    step("first counts")
    ws.corpus.documents()
    step("corpus")
    warm(app)
    step("rest of start")
    client = app.test_client()
    assert client.get("/").status_code == 200
    step("first /")
    assert client.get(f"/documents/{busiest}").status_code == 200
    step("busiest page")
    with open("/proc/self/statm", "rb") as f:
        rss = int(f.read().split()[1]) * 4096 / 2**20
    print(
        "  warm start, main thread CPU: "
        + ", ".join(f"{what} {s:.2f} s" for what, s in took)
        + f"; total {sum(s for _, s in took):.2f} s; VmRSS {rss:.0f} MB"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__.split("\n")[0])
    p.add_argument(
        "--sizes", help="claims per corpus, comma-separated [default: 10000,100000 without --dir]"
    )
    p.add_argument("--work", type=Path, help="where corpora are made or reused (kept)")
    p.add_argument("--dir", type=Path, action="append", help="an existing corpus (repeatable)")
    p.add_argument("--repeat", type=int, default=3, help="runs of each, the median printed")
    p.add_argument("--only", choices=("cold", "warm"), help="only cold or only warm starts")
    p.add_argument("--parts", action="store_true", help="and the CPU of each step of a start")
    p.add_argument("--parts-of", nargs=2, metavar=("DIR", "BUSIEST"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.parts_of:
        _parts_of(Path(args.parts_of[0]), args.parts_of[1])
        return 0
    print("conditions:", conditions(), flush=True)
    sizes = args.sizes or ("" if args.dir else "10000,100000")
    work = args.work or Path(tempfile.mkdtemp(prefix="annotate-bench-"))
    corpora = [corpus(work, int(n)) for n in sizes.split(",") if n] + list(args.dir or ())
    for out in corpora:
        manifest = json.loads((out / "bench-corpus.json").read_text(encoding="utf-8"))
        files = sum(1 for _ in (out / "store").glob("*.json"))
        print(
            f"{out}: {manifest['claims']} claims on {manifest['docs']} documents, "
            f"busiest {manifest['busiest']} ({manifest['busiest_claims']} claims)",
            flush=True,
        )
        for cold in [c for c in (True, False) if args.only in (None, "cold" if c else "warm")]:
            held = kept_rows(out / "store")
            if not cold and held < files:
                # Not a warm start yet: one start keeps the whole index first.
                print(f"  the kept index holds {held} of {files} files: one start to keep it")
                keep_whole(out, files)
            runs = []
            for _ in range(args.repeat):
                runs.append(one(out, manifest["busiest"], cold, files))
                print("  " + ("cold" if cold else "warm") + " run: " + row(runs[-1]), flush=True)
            median = tuple(statistics.median(r[i] for r in runs) for i in range(4))
            print(f"{'cold' if cold else 'warm'} median of {len(runs)}: {row(median)}", flush=True)
        if args.parts:
            parts(out, manifest["busiest"])
    print("after:", conditions())
    return 0


def row(r: tuple[float, ...]) -> str:
    return (
        f"listening {r[0]:.2f} s, first / {r[1]:.2f} s, first busiest page {r[2]:.2f} s "
        f"(server CPU by then {r[3]:.2f} s)"
    )


if __name__ == "__main__":
    raise SystemExit(main())
