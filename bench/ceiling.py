"""The ceiling a Python web server puts on saves, whatever the app does: a WSGI app that only
does the store's atomic write (temp file, write, fsync, rename, folder fsync) of a claim-sized
file per `PUT`, beside the disk doing the same write from 16 threads, in one run.

    python -m bench.ceiling [--seconds 5] [--size 4500] [--dir DIR]

The app is served by each production WSGI server `annotate serve` could run on, turn about
in one run: waitress with 16 threads (one process), gunicorn's gthread workers (1 and 2
processes of 8 threads), and granian (a Rust HTTP server; its WSGI interface, the app's
Python code run on its blocking threads: 1 process of 16, 2 of 8), each driven by 16
keep-alive clients from one thread (`bench.loop`), with a `GET` that does nothing beside
it. DESIGN.md asks a save to reach 80% of the disk's rate: if this app, which validates,
versions and indexes nothing, stays below that on a server, no real save can on it.
"""

from __future__ import annotations

import argparse
import itertools
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from . import loop, serving
from .server import atomic_write, cpu_seconds, disk_baseline

FOLDER = os.environ.get("CEILING_DIR", "")
_data = os.urandom(4096).hex().encode()
_count = itertools.count()


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """`PUT /write`: the atomic write of a file as big as the body; anything else: nothing."""
    if environ["REQUEST_METHOD"] == "PUT":
        size = int(environ.get("CONTENT_LENGTH") or 0)
        data = environ["wsgi.input"].read(size) if size else _data
        k, pid = next(_count), os.getpid()
        atomic_write(FOLDER, f".ceiling-{pid}-{k}.tmp", f".ceiling-{pid}-{k % 64}.json", data)
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "11")])
    return [b'{"ok":true}']


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _serve(cmd: list[str], folder: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CEILING_DIR": str(folder), "PYTHONPATH": str(serving.ROOT)}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{cmd} did not start") from None
            time.sleep(0.05)


def _pids(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid, *map(int, children)]


def _phase(port: int, pid: int, method: str, size: int, seconds: float) -> tuple[float, float]:
    """Rate and server CPU (1.0 = one core) of 16 clients sending `method` for `seconds`."""
    data = loop.request(method, "/write", "127.0.0.1", b"x" * size if method == "PUT" else b"")
    answers = [0]

    def done(i: int, a: loop.Answer) -> None:
        if a.status != 200:
            raise RuntimeError(f"answer {a.status}")
        answers[0] += 1

    pids = _pids(pid)
    cpu0 = sum(cpu_seconds(p) for p in pids)
    elapsed = loop.run([("127.0.0.1", port)], 16, seconds, lambda i: data, done)
    cpu = (sum(cpu_seconds(p) for p in pids) - cpu0) / elapsed
    return answers[0] / elapsed, cpu


APP = "bench.ceiling:app"
Command = Callable[[int], list[str]]


def waitress(threads: int) -> Command:
    """waitress, one process of `threads` threads: the command given the port."""
    code = "import sys, waitress, bench.ceiling as c; waitress.serve(c.app, host='127.0.0.1', "
    code += f"port=int(sys.argv[1]), threads={threads})"
    return lambda port: [sys.executable, "-c", code, str(port)]


def gunicorn(workers: int, threads: int) -> Command:
    """gunicorn's gthread workers, as `annotate serve --server gunicorn` runs them."""
    cmd = [sys.executable, "-m", "gunicorn", "-k", "gthread", "--threads", str(threads)]
    cmd += ["-w", str(workers), "--keep-alive", "120"]
    return lambda port: [*cmd, "-b", f"127.0.0.1:{port}", APP]


def granian(workers: int, threads: int) -> Command:
    """granian's WSGI interface, as `annotate serve` runs it: `threads` blocking threads (those
    that run the app) in each of `workers` processes."""
    cmd = [sys.executable, "-m", "granian", "--interface", "wsgi", "--host", "127.0.0.1"]
    cmd += ["--workers", str(workers), "--blocking-threads", str(threads)]
    cmd += ["--log-level", "warning", "--no-ws"]
    return lambda port: [*cmd, "--port", str(port), APP]


SERVERS: dict[str, Command] = {
    "waitress, 16 threads": waitress(16),
    "gunicorn gthread, 1 x 8 threads": gunicorn(1, 8),
    "gunicorn gthread, 2 x 8 threads": gunicorn(2, 8),
    "granian wsgi, 1 x 16 threads": granian(1, 16),
    "granian wsgi, 2 x 8 threads": granian(2, 8),
}
"""The servers measured, by the name printed."""


def measure(name: str, folder: Path, size: int, seconds: float) -> tuple[float, ...]:
    """One server of `SERVERS` serving the app: the rate and server CPU of 16 clients
    writing (`PUT`), then of 16 doing nothing (`GET`), `seconds` each; the writes in
    `folder`."""
    port = _free_port()
    proc = _serve(SERVERS[name](port), folder, port)
    try:
        put, put_cpu = _phase(port, proc.pid, "PUT", size, seconds)
        get, get_cpu = _phase(port, proc.pid, "GET", 0, seconds)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        for leftover in folder.glob(".ceiling-*"):
            leftover.unlink()
    return put, put_cpu, get, get_cpu


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.ceiling", description=__doc__.split("\n")[0])
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--size", type=int, default=4500, help="bytes per write (a claim file)")
    p.add_argument("--dir", type=Path, help="write here (say, a copy of a big store)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="annotate-ceiling-") as tmp:
        folder = args.dir or Path(tmp)
        disk = disk_baseline(folder, args.size, 16, args.seconds)
        print(f"disk atomic write (16 threads): {disk.rate:.0f}/s")
        print()
        print(
            f"{'server':<34} {'PUT (write) /s':>15} {'of disk':>8} {'CPU':>5}"
            f" {'GET (nothing) /s':>17} {'CPU':>5}"
        )
        for name in SERVERS:
            put, put_cpu, get, get_cpu = measure(name, folder, args.size, args.seconds)
            print(
                f"{name:<34} {put:>15.0f} {put / disk.rate:>8.0%} {put_cpu:>5.0%}"
                f" {get:>17.0f} {get_cpu:>5.0%}"
            )
        after = disk_baseline(folder, args.size, 16, args.seconds)
        print(f"disk atomic write (16 threads) again: {after.rate:.0f}/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
