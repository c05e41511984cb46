"""A save's cost against the length of the claim's history.

    python -m bench.history [--versions 1000] [--saves 200] [--kind server|reviewer]

On a copy of the shipped record, one claim is saved `--versions` times, then `--saves` more
saves are timed on it and on a fresh claim (a few earlier versions), in the same run, turn
about. Two kinds of save, each measured: `server`, the save `bench.server` sends (the verdict
as it stands, its rationale reworded); `reviewer`, a reviewer's edit (the rationale reworded
and a source taken back or cited again, in turn). Prints, for each: CPU and wall time per
save (median and p90), the claim file's size and what one save adds to it, the lines
`git diff` shows for one save, and the ratios (long history / fresh), which should be near 1.
Also timed: saves that alternate between two workspaces on the same folder, as two
`--workers` processes do, so that every save reads the file the other wrote (no cache helps).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from annotate.record.reviews import source_input
from annotate.record.service import Workspace

ROOT = Path(__file__).resolve().parent.parent
LONG = "aliyev-february-no-iskander-use-detected"
FRESH = "aliyev-iskander-evidence-of-armenian-war-crime"


_CITED: dict[str, list[dict[str, Any]]] = {}
KINDS = ("server", "reviewer")


def body(ws: Workspace, cid: str, turn: int, kind: str) -> dict[str, Any]:
    """The claim's final verdict as it stands, with the rationale reworded and (`reviewer`),
    every other turn, its last source taken back (cited again on the next)."""
    c = ws.claim(cid)
    cited = _CITED.setdefault(cid, [source_input(s) for s in c.sources])
    drop = kind == "reviewer" and turn % 2 and len(cited) > 1
    return {
        "verdict": c.verdict,
        "basis": c.basis,
        "rationale": (c.rationale or "").split(" (revised ")[0] + f" (revised {turn}).",
        "sources": cited[:-1] if drop else cited,
    }


def save(ws: Workspace, cid: str, turn: int, kind: str) -> tuple[float, float]:
    """One save; its CPU and wall time in ms (the body is made before the clocks start)."""
    data = body(ws, cid, turn, kind)
    version = ws.claim(cid).version
    c0, w0 = time.process_time(), time.perf_counter()
    ws.set_verdict(cid, version, data, "bench")
    return (time.process_time() - c0) * 1000, (time.perf_counter() - w0) * 1000


def stats(xs: list[float]) -> tuple[float, float]:
    xs = sorted(xs)
    return statistics.median(xs), xs[int(len(xs) * 0.9)]


def git(folder: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(folder), *args], check=True, capture_output=True, text=True
    ).stdout


def diff_lines(folder: Path, ws: Workspace, cid: str, kind: str) -> int:
    """How many lines `git diff` shows added or removed in `cid`'s file for one save."""
    git(folder, "add", "-A")
    git(folder, "commit", "-qm", "before")
    save(ws, cid, 1, kind)
    out = git(folder, "diff", "--numstat", "--", f"fixtures/{cid}.json")
    added, removed, _ = out.split("\t", 2)
    return int(added) + int(removed)


def run(kind: str, versions: int, saves: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-history-"))
    try:
        shutil.copytree(ROOT / "seeds", tmp / "seeds")
        shutil.copytree(ROOT / "fixtures", tmp / "fixtures", ignore=shutil.ignore_patterns(".*"))
        (tmp / ".gitignore").write_text(".annotate-tmp/\n")
        store = tmp / "fixtures"
        ws = Workspace.open(tmp / "seeds", store)
        _CITED.clear()
        t0 = time.perf_counter()
        for turn in range(versions - ws.claim(LONG).version):
            save(ws, LONG, turn, kind)
        built = time.perf_counter() - t0
        size0 = (store / f"{LONG}.json").stat().st_size
        fresh_copy = (store / f"{FRESH}.json").read_bytes()
        times: dict[str, list[tuple[float, float]]] = {LONG: [], FRESH: []}
        crossed: dict[str, list[tuple[float, float]]] = {LONG: [], FRESH: []}
        other = Workspace.open(tmp / "seeds", store)
        for turn in range(saves):
            # Turn about, so that whatever else the machine does falls on both alike; the
            # fresh claim is put back every few saves, so it stays fresh.
            if turn % 4 == 0:
                (store / f"{FRESH}.json").write_bytes(fresh_copy)
            for cid in (LONG, FRESH):
                times[cid].append(save(ws, cid, turn, kind))
        grown = ((store / f"{LONG}.json").stat().st_size - size0) / saves
        for turn in range(saves // 2):
            # Two workspaces on one folder, saving in turn, as two `--workers` processes do:
            # each save reads the file the other wrote (no cache helps).
            if turn % 2 == 0:
                (store / f"{FRESH}.json").write_bytes(fresh_copy)
            for cid in (LONG, FRESH):
                crossed[cid].append(save(ws if turn % 2 else other, cid, turn, kind))
        git(tmp, "init", "-q")
        git(tmp, "config", "user.email", "bench@example.org")
        git(tmp, "config", "user.name", "bench")
        lines = {cid: diff_lines(tmp, ws, cid, kind) for cid in (LONG, FRESH)}
        print(f"{kind} saves: {LONG} built to {versions} versions in {built:.1f} s")
        sizes = {cid: (store / f"{cid}.json").stat().st_size for cid in (LONG, FRESH)}
        print(
            f"  claim file {sizes[LONG]:,} bytes with {versions} versions, {sizes[FRESH]:,} "
            f"fresh; one save adds {grown:,.0f} bytes (its history entry)"
        )
        print(f"  git diff of one save: {lines[LONG]} lines (long history), {lines[FRESH]} (fresh)")
        print("  per save, ms                          median CPU  p90 CPU  median wall  p90 wall")
        for label, got in (("one process", times), ("two processes in turn", crossed)):
            for cid, name in ((FRESH, "fresh"), (LONG, f"{versions} versions")):
                cpu, wall = stats([c for c, _ in got[cid]]), stats([w for _, w in got[cid]])
                print(
                    f"    {label:<22} {name:<14} {cpu[0]:8.2f} {cpu[1]:8.2f}"
                    f" {wall[0]:11.2f} {wall[1]:9.2f}"
                )
            cpu_ratio = stats([c for c, _ in got[LONG]])[0] / stats([c for c, _ in got[FRESH]])[0]
            wall_ratio = stats([w for _, w in got[LONG]])[0] / stats([w for _, w in got[FRESH]])[0]
            print(
                f"    {label}: {versions} versions / fresh: "
                f"CPU {cpu_ratio:.2f}x, wall {wall_ratio:.2f}x"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.history", description=__doc__.split("\n")[0])
    p.add_argument("--versions", type=int, default=1000)
    p.add_argument("--saves", type=int, default=200)
    p.add_argument("--kind", choices=KINDS, action="append", help="[default: both]")
    args = p.parse_args(argv)
    for kind in args.kind or KINDS:
        run(kind, args.versions, args.saves)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
