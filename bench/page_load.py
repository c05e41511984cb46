"""The busiest document page under load, through `annotate serve` (issue #18 point 3).

    python -m bench.page_load --workdir DIR          # a store made by bench.corpus (kept)
    python -m bench.page_load --workdir DIR --checkout ../main   # the same, another code

On a store of `--claims` claims (made with `bench.corpus` into `--workdir` unless it holds
one; its busiest document has 500 claims), one `annotate serve` as the README starts it, and
in one run, each phase `--seconds` long, keep-alive clients in a closed loop (`bench.loop`):

1. `/healthz` with 16 clients (the server's own ceiling);
2. the busiest document's page with 1, 8 and 16 clients;
3. the page with 16 clients while 8 others save verdicts on random claims of the store, and
   again while the 8 save claims of that very document (each of those saves changes what
   the page shows: the worst case for a page made once and kept).

Printed per phase: requests/s, p50 and p99 latency, the server's CPU (100% = one core) and
its CPU per request (the server's CPU over the phase divided by the requests answered, saves
and pages together in the mixed phases). `--checkout DIR` serves the code of another
checkout (a worktree of an older commit) on the same store: run both for a before/after
pair. The machine's load average is printed at the start and the end: on a shared machine
latency is not the server's alone (the CPU per request is, nearly).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
from collections import Counter
from pathlib import Path
from typing import Any

from . import loop, serving
from .server import (
    Fleet,
    Result,
    _timed,
    add_running,
    build,
    closed_loop,
    conditions,
    load_store,
    running_args,
)
from .writers import Ack, Ledger, verdict_body, verify


def mixed(
    server: Fleet,
    readers: int,
    savers: int,
    seconds: float,
    page: str,
    pool: list[str],
    claims: dict[str, dict[str, Any]],
    ledger: Ledger,
    seed: int,
    name: str,
) -> tuple[Result, Result]:
    """`readers` clients reading `page` and `savers` clients saving verdicts on claims of
    `pool` (each its own share: no 412s), at once; the pages' result and the saves'."""
    shares = [pool[i::savers] for i in range(savers)]
    rngs = [random.Random(f"{seed}-{i}") for i in range(savers)]
    token = secrets.token_hex(4)
    in_flight: list[tuple[str, str]] = [("", "")] * savers
    read: list[float] = []
    saved: list[float] = []
    errors: Counter[str] = Counter()
    get = loop.request("GET", page, server.host)
    n = 0

    def next_(i: int) -> bytes:
        nonlocal n
        if i >= savers:
            return get
        cid = rngs[i].choice(shares[i])
        n += 1
        rationale = f"p{readers}-{i} write {n} ({token})"
        ledger.attempt(cid, rationale)
        in_flight[i] = (cid, rationale)
        return loop.request(
            "PUT",
            f"/api/claims/{cid}/verdict",
            server.host,
            json.dumps(verdict_body(claims[cid], rationale)).encode(),
            Content_Type="application/json",
            If_Match=f'"{claims[cid]["version"]}"',
        )

    def done(i: int, a: loop.Answer) -> None:
        if i >= savers:
            if a.status == 200:
                read.append(a.seconds)
            else:
                errors[f"page HTTP {a.status}"] += 1
            return
        cid, rationale = in_flight[i]
        if a.status == 200:
            version = int(a.etag.strip('"'))
            ledger.ack(Ack(cid, version, rationale, a.seconds))
            claims[cid] = {**claims[cid], "version": version}
            saved.append(a.seconds)
        elif a.status == 412:
            ledger.refuse(f"{cid}: {a.body[:300]!r}")
            claims[cid] = {**claims[cid], "version": int(a.etag.strip('"'))}
        else:
            ledger.error(f"HTTP {a.status}")
            errors[f"save HTTP {a.status}"] += 1

    both: list[float] = []
    res = _timed(server, name, savers + readers, seconds, next_, done, both)
    pages = Result(f"{name}: pages ({readers})", readers, len(read), res.seconds, read, 0.0)
    saves = Result(f"{name}: saves ({savers})", savers, len(saved), res.seconds, saved, 0.0)
    # The server's CPU is one figure for both kinds of request: shown on the pages' row.
    pages.server_cpu = res.server_cpu
    pages.n_all = len(read) + len(saved)  # type: ignore[attr-defined]
    pages.errors = saves.errors = errors.total()
    pages.kinds = ", ".join(f"{k} x{v}" for k, v in errors.items())
    return pages, saves


def row(r: Result) -> str:
    every = getattr(r, "n_all", r.n)
    cpu = f"{r.server_cpu * r.seconds / every * 1000:8.2f}" if every and r.server_cpu else " " * 8
    share = f"{r.server_cpu:7.0%}" if r.server_cpu else " " * 7
    errors = f"  errors {r.errors} ({r.kinds})" if r.errors else ""
    return f"{r.name:<44} {r.rate:8.1f} {r.pct(0.5):8.1f} {r.pct(0.99):8.1f} {share} {cpu}{errors}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.page_load", description=__doc__)
    p.add_argument("--workdir", type=Path, required=True, help="the store (made here if empty)")
    p.add_argument("--claims", type=int, default=100_000)
    p.add_argument("--docs", type=int, default=0, help="documents (default claims / 10)")
    p.add_argument("--seconds", type=float, default=5.0, help="length of each phase")
    p.add_argument("--threads", type=int, default=16, help="server worker threads")
    add_running(p)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--checkout", type=Path, help="serve the code of this checkout instead")
    args = p.parse_args(argv)
    if args.checkout is not None:
        serving.ROOT = args.checkout.resolve()  # `serving.start` runs the server from there
    print("conditions:", conditions())
    print(f"code served: {serving.ROOT}")
    seeds, store = build(
        args.workdir, args.docs or max(1, args.claims // 10), args.claims, args.seed
    )
    claims, busiest, marks = load_store(store)
    on_page = [c for c, v in claims.items() if any(a["doc"] == busiest for a in v["appearances"])]
    # (by their first appearance: `load_store` keeps no other)
    print(f"store: {len(claims)} claims; busiest document {busiest}, {marks} claims")
    serve = ["--threads", str(args.threads), *running_args(args)]
    print(f"server: `annotate serve {' '.join(serve)}`")
    server = Fleet(
        [serving.start(seeds, store, threads=args.threads, extra=running_args(args), wait=False)]
    )
    page = f"/documents/{busiest}"
    ledger = Ledger()
    rows: list[Result] = []
    try:
        up = serving.wait_ok(server.servers[0], page, timeout=600)
        print(f"first page of the busiest document answered {up:.1f} s after the start")
        rows.append(closed_loop(server, "/healthz (16)", 16, args.seconds, "/healthz"))
        for n in (1, 8, 16):
            rows.append(closed_loop(server, f"busiest page ({n})", n, args.seconds, page))
        pool = list(claims)
        random.Random(args.seed).shuffle(pool)
        rows += mixed(
            server, 16, 8, args.seconds, page, pool, claims, ledger, args.seed, "8 save any claim"
        )
        mine = on_page or pool
        rows += mixed(
            server,
            16,
            8,
            args.seconds,
            page,
            mine,
            claims,
            ledger,
            args.seed + 1,
            "8 save this page's claims",
        )
        mem = server.servers[0].memory()
    finally:
        server.servers[0].stop()
    print(
        f"{'phase (clients)':<44} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'cpu':>7} "
        f"{'cpu ms/req':>8}"
    )
    for r in rows:
        print(row(r))
    proof = verify(store, ledger, {}, ())
    print(
        f"saves acknowledged {len(ledger.acks)}, checked in the files {proof.checked}, "
        f"lost {len(proof.lost)}; server VmRSS {mem['VmRSS'] / 1024:.0f} MB, "
        f"peak {mem['VmHWM'] / 1024:.0f} MB"
    )
    print(f"load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0 if not proof.lost else 1


if __name__ == "__main__":
    raise SystemExit(main())
