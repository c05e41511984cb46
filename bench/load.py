"""Load test: many concurrent verdict writers against a real `annotate serve`; nothing lost.

    python -m bench.load [--hot-claims 2] [--hot-writers 8] [--cold-writers 8] [--seconds 10]

Copies the shipped corpus and store (or `--seeds`/`--store`) to a temporary folder, starts
`annotate serve` on it, and runs writers doing `PUT /api/claims/<id>/verdict` with `If-Match`
over keep-alive connections: `--hot-writers` contend on the same `--hot-claims` claims (so
most of their writes are refused with 412 and retried after re-reading) while
`--cold-writers` each write their own claim. Afterwards it stops the server, re-reads the
store's files and proves that every acknowledged write is in its claim's history at the version
the server answered, with the rationale it sent. Prints acknowledged, refused (412), errors and
LOST (must be 0), and per claim the final version beside the number of acknowledged writes
(a version grows by exactly one per accepted change). Exit status 1 if anything was lost.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from . import serving
from .writers import Ledger, read_claims, run_writers, verify


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n")[0])
    p.add_argument("--seeds", type=Path, default=serving.ROOT / "seeds")
    p.add_argument("--store", type=Path, default=serving.ROOT / "fixtures")
    p.add_argument("--hot-claims", type=int, default=2, help="claims the hot writers share")
    p.add_argument("--hot-writers", type=int, default=8, help="writers contending on them")
    p.add_argument("--cold-writers", type=int, default=8, help="writers with a claim each")
    p.add_argument("--seconds", type=float, default=10.0, help="how long the writers run")
    p.add_argument("--threads", type=int, default=16, help="server worker threads")
    p.add_argument(
        "--servers",
        type=int,
        default=1,
        help="independent `annotate serve` processes on the same store; writers spread over "
        "them (the store's locks must hold across processes)",
    )
    args = p.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="annotate-load-") as tmp:
        store = Path(tmp) / "store"
        shutil.copytree(args.store, store)
        before, broken = read_claims(store)
        ids = sorted(c for c in before if before[c].get("appearances"))
        need = args.hot_claims + args.cold_writers
        if len(ids) < need:
            p.error(f"the store has {len(ids)} claims; this run needs {need}")
        hot = ids[: args.hot_claims]
        cold = ids[args.hot_claims : need]
        initial = {c: int(before[c]["version"]) for c in hot + cold}
        groups = [(hot, args.hot_writers)] + [([c], 1) for c in cold]

        servers = []
        ledger = Ledger()
        stop = threading.Event()
        try:
            for _ in range(args.servers):
                servers.append(serving.start(args.seeds, store, threads=args.threads))
            pids = ", ".join(str(s.pid) for s in servers)
            print(
                f"load: {args.hot_writers} writers on {len(hot)} shared claims, "
                f"{args.cold_writers} writers on a claim each, {args.seconds:g} s, "
                f"{args.servers} server(s) (pid {pids}) with {args.threads} threads each"
            )
            t0 = time.perf_counter()
            threads = run_writers([s.client for s in servers], groups, ledger, stop)
            time.sleep(args.seconds)
            stop.set()
            for t in threads:
                t.join(timeout=60)
            elapsed = time.perf_counter() - t0
        finally:
            for s in servers:
                s.stop()
        proof = verify(store, ledger, initial, ids=hot + cold)

    acks = len(ledger.acks)
    print(f"acknowledged  {acks:>7}  ({acks / elapsed:.0f}/s)")
    print(f"refused (412) {ledger.refused:>7}")
    print(f"errors        {ledger.error_count:>7}  {dict(ledger.errors) or ''}")
    print(f"LOST          {len(proof.lost):>7}  (checked {proof.checked} acknowledged writes)")
    print(f"phantom       {len(proof.phantom):>7}  (history entries no writer sent)")
    print(f"broken files  {len(proof.broken_files):>7}")
    print("claim                                               start  final  acks  final-start")
    per_claim: dict[str, int] = {}
    for a in ledger.acks:
        per_claim[a.claim] = per_claim.get(a.claim, 0) + 1
    mismatched = 0
    for cid in hot + cold:
        start, final, n = initial[cid], proof.final_versions.get(cid, 0), per_claim.get(cid, 0)
        flag = "" if final - start == n else "  <- differs"
        mismatched += bool(flag)
        label = ("hot  " if cid in hot else "cold ") + cid
        print(f"{label[:50]:<50} {start:>6} {final:>6} {n:>5} {final - start:>12}{flag}")
    for line in (proof.lost + proof.phantom + proof.broken_files + broken)[:20]:
        print("  " + line)
    ok = proof.ok and not mismatched and not ledger.error_count
    print("OK: nothing lost" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
