"""`annotate check` and `annotate export` at 1k, 5k and 10k documents (10 claims each).

Run as `python -m bench.check_export [--sizes 1000,5000,10000] [--work DIR] [--repeat N]`.
Corpora are generated with `bench.corpus` into `DIR/d<docs>` (or reused when there). Each
command runs as a user runs it, a fresh `python -m annotate` process, and is timed from the
outside: wall time, and CPU time (user + system of it and its worker processes), since the
machine may be shared. It prints the figures per size, each beside the time it takes merely
to read every file of that corpus and store once in one process (the floor the file system
sets, measured in the same run), the time per 1,000 claims, and the growth: how the time
grows against the number of claims (1.0 = exactly linear).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.corpus import generate

ROOT = Path(__file__).resolve().parent.parent


def corpus(work: Path, docs: int) -> Path:
    """The corpus of `docs` documents and 10 claims each under `work` (made if missing)."""
    out = work / f"d{docs}"
    if not (out / "bench-corpus.json").exists():
        started = time.perf_counter()
        generate(docs, docs * 10, out)
        print(f"  generated {out} in {time.perf_counter() - started:.1f} s", flush=True)
    return out


def read_all(out: Path) -> float:
    """Seconds to read every file of the corpus and store once, and nothing else: the floor
    under any command that must look at all of them (the file system is part of the cost)."""
    started = time.perf_counter()
    for folder in (out / "seeds", out / "store"):
        read_every_file(folder)
    return time.perf_counter() - started


def read_every_file(folder: Path, threads: int = 1) -> tuple[int, int]:
    """Read every file under `folder` once, `threads` at a time, in pieces (never a whole
    file in memory); how many files and bytes. A file gone meanwhile counts nothing."""

    def read(path: str) -> int:
        try:
            with open(path, "rb") as f:
                return sum(len(piece) for piece in iter(lambda: f.read(1 << 16), b""))
        except OSError:
            return 0

    paths = [os.path.join(d, name) for d, _, names in os.walk(folder) for name in names]
    if threads <= 1:
        return len(paths), sum(map(read, paths))
    with ThreadPoolExecutor(threads) as pool:
        return len(paths), sum(pool.map(read, paths, chunksize=256))


def timed(args: list[str]) -> tuple[float, float, str]:
    """Wall and CPU seconds of one `python -m annotate ...`, and the last line it printed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "annotate", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode not in (0,):
        raise SystemExit(f"annotate {' '.join(args)} failed ({done.returncode}): {done.stderr}")
    last = (done.stdout.strip().splitlines() or [""])[-1]
    return wall, cpu, last


def main(argv: list[str] | None = None) -> int:
    """Print the figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.check_export", description=__doc__)
    parser.add_argument("--sizes", default="1000,5000,10000", help="document counts")
    parser.add_argument("--work", type=Path, default=None, help="where corpora are kept")
    parser.add_argument("--repeat", type=int, default=1, help="runs per size (best is kept)")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.gettempdir()) / "annotate-bench"
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start")
    rows = []
    for docs in sizes:
        out = corpus(work, docs)
        seeds, store = str(out / "seeds"), str(out / "store")
        export_file = out / "export.json"
        best: dict[str, tuple[float, float]] = {}
        for _ in range(args.repeat):
            wall, cpu, last = timed(["check", "--seeds", seeds, "--store", store])
            assert last.startswith("ok:"), last
            if "check" not in best or wall < best["check"][0]:
                best["check"] = (wall, cpu)
            wall, cpu, _ = timed(
                ["export", "--format", "json", "-o", str(export_file), "--seeds", seeds]
                + ["--store", store]
            )
            if "export" not in best or wall < best["export"][0]:
                best["export"] = (wall, cpu)
        best["read"] = (read_all(out), 0.0)
        rows.append((docs, docs * 10, best, export_file.stat().st_size))
        print(
            f"  {docs} documents, {docs * 10} claims: check {best['check'][0]:.2f} s, "
            f"export {best['export'][0]:.2f} s",
            flush=True,
        )
    print()
    print(
        f"{'documents':>9} {'claims':>7} {'read s':>7} {'check s':>8} {'/read':>6} "
        f"{'cpu s':>6} {'s/1k claims':>11} {'export s':>8} {'/read':>6} {'cpu s':>6} "
        f"{'export MB':>9}"
    )
    for docs, claims, best, size in rows:
        (cw, cc), (ew, ec), (rw, _) = best["check"], best["export"], best["read"]
        print(
            f"{docs:>9} {claims:>7} {rw:>7.2f} {cw:>8.2f} {cw / rw:>5.1f}x {cc:>6.2f} "
            f"{cw / claims * 1000:>11.3f} {ew:>8.2f} {ew / rw:>5.1f}x {ec:>6.2f} "
            f"{size / 2**20:>9.1f}"
        )
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        factor = last[1] / first[1]
        for cmd in ("check", "export"):
            wall = last[2][cmd][0] / first[2][cmd][0]
            cpu = last[2][cmd][1] / first[2][cmd][1]
            print(
                f"growth of {cmd}: {factor:.0f}x the claims took {wall:.1f}x the wall time "
                f"({wall / factor:.2f} of linear), {cpu:.1f}x the CPU time "
                f"({cpu / factor:.2f} of linear)"
            )
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
