"""Server benchmark: save-verdict latency and rate against `annotate serve`, beside `/healthz`
and beside what the disk itself allows, on a big store; page rate, memory and start-up time.

    python -m bench.server                    # quick: 2,000 claims
    python -m bench.server --claims 100000    # DESIGN.md's target size

Builds a store of `--claims` claims with `python -m bench.corpus` (or, where that module is
not there, by copying the shipped documents and claims under numbered ids), then in one run:

1. disk: the store's atomic write (temp file, fsync, rename, directory fsync) of a claim-sized
   file from 16 threads, in the store's own folder, straight on the OS: the ceiling (measured
   before and again after the server runs; the ratio uses both together);
2. `annotate serve` is spawned: start-up time to the first `/healthz` 200 and to the first
   page of the busiest document; then one search, which waits until the search index has
   caught up with the claims saved since the last one (the server does that in the
   background from its start: the phases would otherwise run beside it);
3. with 1 (a reviewer alone: each answer's latency is all the server's), 8 and 16 concurrent
   keep-alive clients: `/healthz`, then `PUT /api/claims/<id>/verdict` (each client its own
   claims, so no 412s), p50/p99 latency and rate; the server's CPU use per phase (100% = one
   core busy: a Python process is bound by its GIL there);
   `--servers 2` spreads the clients over two processes serving the same store;
4. the busiest document page with 1 client (its latency is the server time) and 8 clients;
5. the server's memory (VmRSS, VmHWM from /proc) after all that;
6. every acknowledged save is checked in the store's files afterwards (none may be lost).

Ratios come first in the table; conditions (load average, CPUs) are printed, because the
machine may be shared.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import loop, serving
from .writers import Ack, Ledger, verdict_body, verify

TICK = os.sysconf("SC_CLK_TCK")


# -- the store -----------------------------------------------------------------------------


def build(root: Path, docs: int, claims: int, seed: int) -> tuple[Path, Path]:
    """`root/seeds` and `root/store` with about `claims` claims; reused when already there."""
    seeds, store = root / "seeds", root / "store"
    if store.is_dir() and seeds.is_dir() and any(store.iterdir()):
        print(f"reusing {root}")
        return seeds, store
    t0 = time.perf_counter()
    if importlib.util.find_spec("bench.corpus") is not None:
        cmd = [sys.executable, "-m", "bench.corpus", "--docs", str(docs)]
        cmd += ["--claims", str(claims), "--out", str(root), "--seed", str(seed)]
        subprocess.run(cmd, check=True, cwd=serving.ROOT)
        how = "bench.corpus"
    else:
        _replicate(serving.ROOT / "seeds", serving.ROOT / "fixtures", seeds, store, claims)
        how = "copies of the shipped documents and claims"
    print(f"built {root} ({how}) in {time.perf_counter() - t0:.1f} s")
    return seeds, store


def _replicate(src_seeds: Path, src_store: Path, seeds: Path, store: Path, claims: int) -> None:
    """Copies of the shipped corpus under new document ids, each with its claims re-pointed."""
    seeds.mkdir(parents=True)
    store.mkdir(parents=True)
    texts = {p.stem: p for p in src_seeds.glob("*.txt")}
    originals = [json.loads(p.read_bytes()) for p in sorted(src_store.glob("*.json"))]
    sets = -(-claims // len(originals))
    made = 0
    for j in range(sets):
        docs = {d: f"{d}_c{j:05d}" for d in texts}
        for d, new in docs.items():
            shutil.copyfile(texts[d], seeds / f"{new}.txt")
            meta = texts[d].with_suffix(".json")
            if meta.exists():
                shutil.copyfile(meta, seeds / f"{new}.json")
        for c in originals:
            if made == claims:
                return
            text = json.dumps(c, ensure_ascii=False)
            for d, new in docs.items():
                text = text.replace(f'"{d}"', f'"{new}"')
            data = json.loads(text)
            data["id"] = f"{c['id'][:60]}-c{j:05d}"
            (store / f"{data['id']}.json").write_text(
                json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                encoding="utf-8",
            )
            made += 1


def load_store(store: Path) -> tuple[dict[str, dict[str, Any]], str, int]:
    """Each claim's version and first appearance; the busiest document and its appearances."""
    claims: dict[str, dict[str, Any]] = {}
    per_doc: Counter[str] = Counter()
    for path in store.glob("*.json"):
        data = json.loads(path.read_bytes())
        if not data.get("appearances") or any(a.get("orphaned") for a in data["appearances"]):
            continue
        claims[data["id"]] = {"version": data["version"], "appearances": data["appearances"][:1]}
        per_doc.update({a["doc"] for a in data["appearances"]})
    busiest, n = per_doc.most_common(1)[0]
    return claims, busiest, n


# -- measuring -----------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    clients: int
    n: int
    seconds: float
    latencies: list[float]
    server_cpu: float
    errors: int = 0
    kinds: str = ""
    client_cpu: float = 0.0
    beside: Result | None = None

    @property
    def cpu_ms(self) -> float:
        """CPU (server + clients) per request, in ms."""
        return (self.server_cpu + self.client_cpu) / self.rate * 1000

    @property
    def rate(self) -> float:
        return self.n / self.seconds

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        s = sorted(self.latencies)
        return s[min(len(s) - 1, int(q * len(s)))] * 1000


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, with that of the children it has waited
    for (the check a start makes in a process of its own: `record/store/statcheck.py`; a
    worker still running is a process of `Server.pids` of its own)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / TICK


@dataclass
class Fleet:
    """One or more `annotate serve` processes on the same store; client i uses server i % n."""

    servers: list[serving.Server]

    @property
    def host(self) -> str:
        return self.servers[0].host

    def addresses(self) -> list[tuple[str, int]]:
        return [(s.host, s.port) for s in self.servers]

    def cpu(self) -> float:
        return sum(cpu_seconds(pid) for s in self.servers for pid in s.pids())


def closed_loop(server: Fleet, name: str, clients: int, seconds: float, path: str) -> Result:
    """`clients` keep-alive clients each sending GET `path` back to back for `seconds`."""
    lat: list[float] = []
    errors: Counter[str] = Counter()
    data = loop.request("GET", path, server.host)

    def done(i: int, a: loop.Answer) -> None:
        if a.status == 200:
            lat.append(a.seconds)
        else:
            errors[f"HTTP {a.status}" if a.status else "connection lost"] += 1

    res = _timed(server, name, clients, seconds, lambda i: data, done, lat)
    res.errors = errors.total()
    res.kinds = ", ".join(f"{k} x{n}" for k, n in errors.items())
    return res


def saves(
    server: Fleet,
    clients: int,
    seconds: float,
    pool: list[str],
    claims: dict[str, dict[str, Any]],
    ledger: Ledger,
    seed: int,
    reader: str | None = None,
) -> Result:
    """`clients` writers, each saving verdicts on random claims of its own share of `pool`
    (so no two ever write the same claim: no 412s), with the version it last read as
    If-Match; every answer goes to the ledger. With `reader`, one more client reads that
    page meanwhile, back to back: its answers are the result's `beside`."""
    shares = [pool[i::clients] for i in range(clients)]
    rngs = [random.Random(f"{seed}-{clients}-{i}") for i in range(clients)]
    token = secrets.token_hex(4)
    in_flight: list[tuple[str, str]] = [("", "")] * clients
    lat: list[float] = []
    errors_before = ledger.error_count + ledger.refused
    n = 0

    page = loop.request("GET", reader or "/", server.host)
    read: list[float] = []
    read_errors: Counter[str] = Counter()

    def next_(i: int) -> bytes:
        nonlocal n
        if i == clients:
            return page
        cid = rngs[i].choice(shares[i])
        n += 1
        rationale = f"c{clients}-{i} write {n} ({token})"
        ledger.attempt(cid, rationale)
        in_flight[i] = (cid, rationale)
        body = json.dumps(verdict_body(claims[cid], rationale)).encode()
        return loop.request(
            "PUT",
            f"/api/claims/{cid}/verdict",
            server.host,
            body,
            Content_Type="application/json",
            If_Match=f'"{claims[cid]["version"]}"',
        )

    def done(i: int, a: loop.Answer) -> None:
        if i == clients:
            if a.status == 200:
                read.append(a.seconds)
            else:
                read_errors[f"HTTP {a.status}"] += 1
            return
        cid, rationale = in_flight[i]
        if a.status == 200:
            version = int(a.etag.strip('"'))
            ledger.ack(Ack(cid, version, rationale, a.seconds))
            claims[cid] = {**claims[cid], "version": version}
            lat.append(a.seconds)
        elif a.status == 412:
            ledger.refuse(f"{cid}: {a.body[:300]!r}")
            claims[cid] = {**claims[cid], "version": int(a.etag.strip('"'))}
        elif a.status == 0:
            ledger.error("in doubt: connection lost")
        else:
            ledger.error(f"HTTP {a.status}")

    name = f"save verdict ({clients})" + (" + page" if reader else "")
    res = _timed(server, name, clients + (1 if reader else 0), seconds, next_, done, lat)
    res.errors = ledger.error_count + ledger.refused - errors_before
    if reader:
        res.beside = Result(
            "busiest page (1) meanwhile", 1, len(read), res.seconds, read, res.server_cpu
        )
        res.beside.errors = read_errors.total()
        res.beside.client_cpu = res.client_cpu
    return res


def _run_for(one: Any, threads: int, seconds: float, stop: threading.Event) -> float:
    """Run `one(i)` in `threads` threads for `seconds`, then set `stop` and wait for them;
    the time it all took."""
    workers = [threading.Thread(target=one, args=(i,)) for i in range(threads)]
    t0 = time.perf_counter()
    for t in workers:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in workers:
        t.join()
    return time.perf_counter() - t0


def _timed(
    server: Fleet,
    name: str,
    clients: int,
    seconds: float,
    next_: loop.Next,
    done: loop.Done,
    latencies: list[float],
) -> Result:
    """One phase: `clients` connections driven by one thread (`bench.loop`), the server's
    CPU and this process's CPU (the clients') over it."""
    cpu0, own0 = server.cpu(), _own_cpu()
    elapsed = loop.run(server.addresses(), clients, seconds, next_, done)
    cpu = (server.cpu() - cpu0) / elapsed
    res = Result(name, clients, len(latencies), elapsed, latencies, cpu)
    res.client_cpu = (_own_cpu() - own0) / elapsed
    return res


def _own_cpu() -> float:
    t = os.times()
    return t.user + t.system


def atomic_write(folder: Path | str, tmp: str, name: str, data: bytes) -> None:
    """The store's atomic write, straight on the OS: `data` into a new file `tmp` of `folder`,
    fsync, rename to `name`, fsync the folder."""
    fd = os.open(f"{folder}/{tmp}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(f"{folder}/{tmp}", f"{folder}/{name}")
    dfd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def disk_baseline(folder: Path, size: int, threads: int, seconds: float) -> Result:
    """The store's atomic write straight on the OS: temp file, write, fsync, close, rename,
    directory fsync; `threads` threads, each over its own few dot-named files in `folder`."""
    data = os.urandom(size // 2).hex().encode()[:size]
    stop = threading.Event()
    lat: list[list[float]] = [[] for _ in range(threads)]

    def one(i: int) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            t0 = time.perf_counter()
            atomic_write(
                folder, f".disk-baseline-{i}-{n}.tmp", f".disk-baseline-{i}-{n % 8}.json", data
            )
            lat[i].append(time.perf_counter() - t0)

    own0 = _own_cpu()
    elapsed = _run_for(one, threads, seconds, stop)
    cpu = (_own_cpu() - own0) / elapsed
    for p in folder.glob(".disk-baseline-*"):
        p.unlink()
    flat = [x for part in lat for x in part]
    return Result(f"disk atomic write ({threads})", threads, len(flat), elapsed, flat, cpu)


# -- the run -------------------------------------------------------------------------------


def conditions() -> str:
    load = os.getloadavg()
    mem = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
    fs = (
        subprocess.run(["df", "-T", "."], capture_output=True, text=True, cwd=tempfile.gettempdir())
        .stdout.splitlines()[-1]
        .split()[1]
    )
    # Without cached bytecode every server compiles annotate's modules as it starts (0.25 s
    # of a start at 100,000 claims); an installed annotate has its bytecode from pip.
    compiled = (
        ""
        if not os.environ.get("PYTHONDONTWRITEBYTECODE")
        else (", PYTHONDONTWRITEBYTECODE set (a checkout's modules compiled at every start)")
    )
    return (
        f"{os.cpu_count()} CPUs, {int(mem) // 1024} MB RAM, {fs} under {tempfile.gettempdir()}, "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, Python {sys.version.split()[0]}"
        + compiled
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.server", description=__doc__.split("\n")[0])
    p.add_argument("--claims", type=int, default=2000, help="claims in the store")
    p.add_argument("--docs", type=int, default=0, help="documents (default claims / 10)")
    p.add_argument("--seconds", type=float, default=5.0, help="length of each measured phase")
    p.add_argument("--threads", type=int, default=16, help="server worker threads")
    add_running(p)
    p.add_argument("--seed", type=int, default=1, help="of the store generated")
    p.add_argument(
        "--picks",
        type=int,
        help="seed of the claims the saves pick [a new one each run, printed: with one, runs "
        "on one --workdir save the same claims again, each run their files a version longer]",
    )
    p.add_argument("--workdir", type=Path, help="build (or reuse) the store here; kept")
    p.add_argument("--workers", type=int, default=1, help="`annotate serve --workers N`")
    p.add_argument(
        "--server",
        default="granian",
        help="`annotate serve --server NAME`; several, comma-separated (granian,waitress,"
        "gunicorn), run one after the other on the same store, then side by side",
    )
    p.add_argument(
        "--servers",
        type=int,
        default=1,
        help="independent `annotate serve` processes on the one store, clients spread over them",
    )
    args = p.parse_args(argv)

    tmp = None
    if args.workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="annotate-bench-")
        root = Path(tmp.name)
    else:
        root = args.workdir
        root.mkdir(parents=True, exist_ok=True)
    try:
        names = [n.strip() for n in args.server.split(",") if n.strip()]
        if len(names) == 1:
            return run(args, root, names[0]).code
        outcomes = []
        for name in names:
            print(f"==== --server {name}")
            outcomes.append(run(args, root, name))
            print()
        side_by_side(outcomes)
        return max(o.code for o in outcomes)
    finally:
        if tmp is not None:
            tmp.cleanup()


@dataclass
class Outcome:
    """What one run of the benchmark found, for the side-by-side table of several servers."""

    server: str
    code: int
    disk: Result
    rows: list[Result]
    start_up: float
    pss_mb: float

    def row(self, name: str) -> Result:
        return next(r for r in self.rows if r.name == name)


def side_by_side(outcomes: list[Outcome]) -> None:
    """Each server's key figures in one table (the runs were one after the other: the
    disk's rate in each is beside it)."""
    print("side by side (each server's run in turn, on the same store)")
    print(
        f"{'server':<10} {'disk/s':>7} {'save(16)/s':>10} {'of disk':>8} {'p50 ms':>7}"
        f" {'p99 ms':>7} {'CPU ms/save':>11} {'healthz(16)/s':>13} {'page(8) p99':>11}"
        f" {'start s':>7} {'PSS MB':>6}"
    )
    for o in outcomes:
        save, health, page = (
            o.row("save verdict (16)"),
            o.row("/healthz (16)"),
            o.row("busiest page (8)"),
        )
        print(
            f"{o.server:<10} {o.disk.rate:>7.0f} {save.rate:>10.0f} {save.rate / o.disk.rate:>8.1%}"
            f" {save.pct(0.5):>7.1f} {save.pct(0.99):>7.1f} {save.cpu_ms:>11.2f}"
            f" {health.rate:>13.0f} {page.pct(0.99):>11.1f} {o.start_up:>7.2f} {o.pss_mb:>6.0f}"
        )


def add_running(p: argparse.ArgumentParser) -> None:
    """The benchmark's `--running`, passed on to `annotate serve` (see `running_args`)."""
    p.add_argument(
        "--running",
        type=int,
        default=None,
        help="`annotate serve --running N`: requests that run at once [the server's default]",
    )


def running_args(args: argparse.Namespace) -> list[str]:
    """`annotate serve`'s arguments for the benchmark's `--running` (none: its default)."""
    return ["--running", str(args.running)] if args.running else []


def run(args: argparse.Namespace, root: Path, server_name: str = "granian") -> Outcome:
    print("conditions:", conditions())
    serve = ["--server", server_name, "--threads", str(args.threads), *running_args(args)]
    print(f"server: {args.servers} x `annotate serve {' '.join(serve)} --workers {args.workers}`")
    seeds, store = build(root, args.docs or max(1, args.claims // 10), args.claims, args.seed)
    claims, busiest, marks = load_store(store)
    sizes = sorted(p.stat().st_size for p in list(store.glob("*.json"))[:2000])
    size = sizes[len(sizes) // 2]
    print(
        f"store: {len(claims)} claims, busiest document {busiest} with {marks} claims; "
        f"median claim file {size} bytes"
    )
    disk = disk_before = disk_baseline(store, size, 16, args.seconds)

    extra = ["--workers", str(args.workers), "--server", server_name]
    extra += running_args(args)
    first = serving.start(seeds, store, threads=args.threads, extra=extra, wait=False)
    server = Fleet([first])
    ledger = Ledger()
    rows: list[Result] = []
    try:
        up_health = serving.wait_ok(first, "/healthz")
        up_page = serving.wait_ok(first, f"/documents/{busiest}")
        # A server brings its search index up to date in the background from its start
        # (every claim saved since the last search): one search waits for it, so that the
        # phases measure requests, not that catch-up beside them.
        t0 = time.perf_counter()
        with first.client(timeout=600) as c:
            status, _, answer = c.request("GET", "/api/claims?q=minister&limit=1")
        if status != 200:
            raise SystemExit(f"the search answered {status}: {answer[:300]!r}")
        searched = time.perf_counter() - t0
        for _ in range(args.servers - 1):
            server.servers.append(serving.start(seeds, store, threads=args.threads, extra=extra))
        pool = list(claims)
        picks = getattr(args, "picks", None)
        if picks is None:
            picks = random.SystemRandom().randrange(1, 2**31)
        print(f"claims picked by the saves: --picks {picks}", flush=True)
        random.Random(picks).shuffle(pool)
        by_clients: dict[int, tuple[Result, Result]] = {}
        for n in (1, 8, 16):
            h = closed_loop(server, f"/healthz ({n})", n, args.seconds, "/healthz")
            s = saves(server, n, args.seconds, pool, claims, ledger, picks)
            rows += [h, s]
            by_clients[n] = (h, s)
        # A reviewer reading the busiest page while 8 others save: each save changes the
        # index the page is made from.
        mixed = saves(
            server, 8, args.seconds, pool, claims, ledger, picks + 1, f"/documents/{busiest}"
        )
        assert mixed.beside is not None
        rows += [mixed, mixed.beside]
        page1 = closed_loop(server, "busiest page (1)", 1, args.seconds, f"/documents/{busiest}")
        page8 = closed_loop(server, "busiest page (8)", 8, args.seconds, f"/documents/{busiest}")
        health8 = by_clients[8][0]
        rows += [page1, page8]
        mem = first.memory()
    finally:
        for one in server.servers:
            one.stop()
    # Again after the server runs: the disk is shared, its rate drifts; the ratio uses both.
    after = disk_baseline(store, size, 16, args.seconds)
    disk = Result(
        "disk atomic write (16)",
        16,
        disk.n + after.n,
        disk.seconds + after.seconds,
        disk.latencies + after.latencies,
        (disk.server_cpu * disk.seconds + after.server_cpu * after.seconds)
        / (disk.seconds + after.seconds),
    )
    print(f"disk atomic write (16): {disk_before.rate:.0f}/s before, {after.rate:.0f}/s after")
    proof = verify(store, ledger, {})

    save16 = by_clients[16][1]
    print()
    print("ratios")
    print(
        f"  save verdict (16) rate / disk atomic write (16) rate: {save16.rate / disk.rate:6.1%}"
        "   (target >= 80%)"
    )
    for n, (h, s) in by_clients.items():
        print(f"  save verdict ({n}) rate / /healthz ({n}) rate:          {s.rate / h.rate:6.1%}")
    ratio = by_clients[16][0].rate / disk.rate
    print(f"  /healthz (16) rate / disk atomic write (16) rate:     {ratio:6.1%}")
    ratio = page8.rate / health8.rate
    print(f"  busiest page (8) rate / /healthz (8) rate:            {ratio:6.1%}")
    print()
    print(
        f"{'measure':<28} {'rate/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'server CPU':>10}"
        f" {'client CPU':>10} {'CPU ms/op':>9} {'n':>7}"
    )
    for r in [disk, *rows]:
        # The disk baseline's CPU is that of the threads doing the writes (this process).
        server_cpu = f"{r.server_cpu:.0%}" if r is not disk else "-"
        client_cpu = f"{r.client_cpu:.0%}" if r is not disk else f"{r.server_cpu:.0%}"
        # (Two kinds of request in one phase share its CPU: no figure per request.)
        shared = r.beside is not None or r in [x.beside for x in rows]
        per_op = "-" if shared else f"{r.cpu_ms:.2f}"
        err = f"  ({r.errors} errors/412: {r.kinds or 'see below'})" if r.errors else ""
        print(
            f"{r.name:<28} {r.rate:>9.0f} {r.pct(0.5):>8.1f} {r.pct(0.99):>8.1f} "
            f"{server_cpu:>10} {client_cpu:>10} {per_op:>9} {r.n:>7}{err}"
        )
    cores = os.cpu_count() or 1
    per_save = (save16.server_cpu + save16.client_cpu) / save16.rate
    print(
        f"CPU: a save costs {per_save * 1000:.2f} ms of CPU (server + clients), the disk's "
        f"atomic write alone {disk.server_cpu / disk.rate * 1000:.2f} ms; {cores} cores allow "
        f"at most {cores / per_save:.0f} saves/s ({cores / per_save / disk.rate:.0%} of the "
        "disk's rate)"
    )
    print()
    print(
        f"start-up: spawn -> /healthz 200 {up_health:.2f} s; "
        f"-> busiest document page 200 {up_page:.2f} s; then the search index current "
        f"{searched:.2f} s later (waited for before the runs)"
    )
    print(
        "server memory after the runs (first server, all its processes): "
        f"PSS {mem['Pss'] / 1024:.0f} MB (target < 300 MB; pages the processes share "
        f"counted once), VmRSS {mem['VmRSS'] / 1024:.0f} MB (shared pages counted in each), "
        f"VmHWM (peak, per process, summed) {mem['VmHWM'] / 1024:.0f} MB"
    )
    print(
        f"saves acknowledged {len(ledger.acks)}, refused {ledger.refused}, "
        f"errors {ledger.error_count}, LOST {len(proof.lost)}, broken files "
        f"{len(proof.broken_files)}"
    )
    for line in ledger.refusals[:5]:
        print("  refused (each client writes its own claims, so none should be):", line)
    print(
        f"p99 save verdict (16): {save16.pct(0.99):.1f} ms (target < 50 ms); "
        f"busiest page p50 with 1 client: {page1.pct(0.5):.1f} ms (target < 30 ms)"
    )
    return Outcome(server_name, 0 if proof.ok else 1, disk, rows, up_page, mem["Pss"] / 1024)


if __name__ == "__main__":
    sys.exit(main())
