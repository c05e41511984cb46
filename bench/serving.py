"""A real `annotate serve` in a subprocess, and keep-alive HTTP clients to talk to it.

Shared by the load test (`bench.load`), the server benchmark (`bench.server`) and the crash
test (`tests/test_crash.py`): the server is started exactly as a user starts it, from this
checkout (`PYTHONPATH` set to it), on a free port, over whatever seeds and store it is given.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Server:
    """One `annotate serve` process; `started` is when it was spawned (perf_counter)."""

    proc: subprocess.Popen[str]
    host: str
    port: int
    started: float
    output: list[str] = field(default_factory=list)
    drain: threading.Thread | None = None
    """The thread reading the rest of its output (see `start`)."""

    @property
    def pid(self) -> int:
        return self.proc.pid

    def client(self, timeout: float = 30.0) -> Client:
        return Client(self.host, self.port, timeout)

    def pids(self) -> list[int]:
        """The server process and its children (the worker processes of `--workers N`)."""
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
        return [self.pid, *map(int, children)]

    def memory(self) -> dict[str, int]:
        """VmRSS, VmHWM (peak RSS) and Pss of the server, in kB, from /proc: summed over its
        processes when it has workers. Pss (proportional set size) divides each page among
        the processes that share it (a master and its forked workers share the interpreter
        and libraries): summed, the memory the server takes; the RSS sum counts shared pages
        once per process.
        """
        out = {"VmRSS": 0, "VmHWM": 0, "Pss": 0}
        for pid in self.pids():
            for name in ("status", "smaps_rollup"):
                for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
                    key, _, value = line.partition(":")
                    if key in out:
                        out[key] += int(value.split()[0])
        return out

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as when the machine or the OOM killer stops it."""
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._close()

    def stop(self) -> None:
        """SIGTERM, then wait."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.drain is not None:
            self.drain.join(timeout=15)  # `output` whole, to its last line
        self._close()

    def _close(self) -> None:
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start(
    seeds: Path,
    store: Path,
    *,
    reviewer: str = "bench",
    threads: int | None = None,
    extra: list[str] | None = None,
    wait: bool = True,
    timeout: float = 120.0,
    env: dict[str, str] | None = None,
) -> Server:
    """Spawn `python -m annotate serve --port 0` and wait until it prints its URL.

    With `wait`, also until `/healthz` answers 200. `env`: more environment variables (its
    `PYTHONPATH` goes before this checkout's).
    """
    first = (env or {}).get("PYTHONPATH")  # folders `env` puts before this checkout's code
    env = {
        **os.environ,
        **(env or {}),
        "PYTHONPATH": os.pathsep.join(filter(None, (first, str(ROOT)))),
    }
    env.pop("ANNOTATE_STORE", None)
    env.pop("ANNOTATE_SEEDS", None)
    cmd = [
        sys.executable,
        "-m",
        "annotate",
        "serve",
        "--port",
        "0",
        "--seeds",
        str(seeds),
        "--store",
        str(store),
        "--reviewer",
        reviewer,
    ]
    if threads is not None:
        cmd += ["--threads", str(threads)]
    cmd += extra or []
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    output: list[str] = []
    url = None
    for line in proc.stdout:
        output.append(line)
        m = re.search(r"Open http://([^/\s]+):(\d+)/", line)
        if m:
            url = (m.group(1).strip("[]"), int(m.group(2)))
            break
    if url is None:
        proc.wait(timeout=10)
        raise RuntimeError("annotate serve did not start:\n" + "".join(output))
    server = Server(proc, url[0], url[1], started, output)
    # Drain the rest of its output so that the pipe never fills and blocks the server.
    server.drain = threading.Thread(target=_drain, args=(proc, output), daemon=True)
    server.drain.start()
    if wait:
        wait_ok(server, "/healthz", timeout)
    return server


def _drain(proc: subprocess.Popen[str], output: list[str]) -> None:
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            output.append(line)
    except (ValueError, OSError):
        pass


def wait_ok(server: Server, path: str, timeout: float = 120.0) -> float:
    """Poll `path` until it answers 200; the seconds since the server was spawned."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with server.client(timeout=timeout) as c:
                status, _, _ = c.request("GET", path)
            if status == 200:
                return time.perf_counter() - server.started
        except OSError:
            pass
        if server.proc.poll() is not None:
            raise RuntimeError("annotate serve exited:\n" + "".join(server.output))
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} did not answer 200 within {timeout} s")
        time.sleep(0.005)


class Client:
    """One keep-alive HTTP/1.1 connection; reconnects after the server closed it."""

    def __init__(self, host: str, port: int, timeout: float = 30.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.conn: http.client.HTTPConnection | None = None

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """Send one request; status, headers (lower-case names) and body.

        :raise OSError: (and http.client errors) when the connection fails mid-request:
            the caller cannot know whether the server acted on it.
        """
        data = None
        hdrs = dict(headers or {})
        if isinstance(body, bytes):  # sent as is: the caller names its Content-Type
            data = body
        elif body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        reused = self.conn is not None
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            try:
                self.conn.request(method, path, body=data, headers=hdrs)
            except (BrokenPipeError, ConnectionResetError):
                if not reused:
                    raise
                # The server had closed this kept-alive connection before the request was
                # whole (it may, between requests: RFC 9112 9.3): it never acted on it, so
                # it is sent again on a new connection, as browsers do.
                self.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
                self.conn.request(method, path, body=data, headers=hdrs)
            resp = self.conn.getresponse()
            payload = resp.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        if resp.will_close:
            self.close()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, payload

    def json(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        """Send one request; status and the decoded JSON body (None when empty)."""
        status, _, payload = self.request(method, path, body, headers)
        return status, json.loads(payload) if payload else None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
