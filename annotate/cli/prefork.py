"""The servers `annotate serve` runs the app on with its own processes: granian (the default)
and gunicorn's pre-fork server (`--server gunicorn`).

A save is CPU-bound in one Python process (its GIL), well below what the disk allows; more
processes use more cores. `annotate serve` binds the listening socket (see
`serve.listening`). granian with one worker (the default) serves it from this process, the
app on `threads` Python threads while granian's Rust runtime reads and writes the
connections outside the GIL; with `--workers N` (N > 1) granian's main process forks N worker
processes that inherit it, each with its own app. gunicorn's pre-fork master starts N worker
processes on it (each with its own app and `threads` threads: the gthread worker) and
restarts one that dies. The store's compare-and-set locks hold across processes (each opens
its own lock files), and every process sees the others' writes (reads check the files), so
the workers share one store safely.

Each worker builds and holds its own index: making the app once in the master before the
fork (`preload_app`) was tried and measured worse. CPython writes reference counts into the
objects it touches, so the shared pages are copied as soon as a worker lists or counts the
claims, and the master keeps a third copy (PSS of 2 workers at 100,000 claims: 596 MB).
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import signal
import socket
from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication


class _Prefork(BaseApplication):  # type: ignore[misc]
    def __init__(self, factory: Callable[[], Any], options: dict[str, Any]) -> None:
        self.factory = factory
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self.factory()


def run_gunicorn(
    factory: Callable[[], Any],
    sock: socket.socket,
    workers: int,
    threads: int,
    ready: Callable[[], None],
) -> None:
    """Serve the app `factory` makes (called once in each worker) on the listening socket
    `sock` until stopped; `ready` is called once the master listens."""

    def when_ready(server: Any) -> None:
        ready()

    _Prefork(
        factory,
        {
            # The socket bound already (by `annotate serve`, refusing a port in use at once
            # rather than after gunicorn's five tries a second apart), its descriptor handed
            # over: gunicorn closes it when it stops.
            "bind": [f"fd://{sock.detach()}"],
            "workers": workers,
            "worker_class": "gthread",
            "threads": threads,
            # Keep idle keep-alive connections as long as waitress would rather than gunicorn's
            # 2 s, so that clients pausing between requests do not meet a closed connection.
            "keepalive": 120,
            "proc_name": "annotate",
            "loglevel": "warning",
            "when_ready": when_ready,
        },
    ).run()


class _Quiet:
    """Drops two of granian's warnings: that more Python threads than twice the cores were
    asked for (`--threads` is what the user chose: threads that mostly wait on the disk's
    fsync), and that its in-process server's free-threaded support is experimental (it runs
    here on the GIL, see `run_granian`)."""

    def filter(self, record: Any) -> bool:
        message = record.getMessage()
        return "Python threads" not in message and "free-threaded" not in message


def run_granian(
    factory: Callable[[], Any],
    sock: socket.socket,
    workers: int,
    threads: int,
    ready: Callable[[], None],
) -> None:
    """Serve the app `factory` makes on granian, a Rust HTTP server, through its WSGI
    interface, on the listening socket `sock`, until SIGINT or SIGTERM, running the app on
    `threads` Python threads while granian's own runtime reads and writes the connections; on
    a signal it stops and waits for the requests under way.

    One worker (the default) runs in this process, on a thread of granian's (its server for
    free-threaded Python, `MTServer`, which runs on this build too): one process holds the
    app, rather than a main process that only watches a forked worker, having imported and
    read much of what the worker has (at 100,000 claims `bench.memory`'s largest figure went
    from 311 to 253 MB: docs/performance.md). `ready` is called once the app is made and
    warmed.

    `workers` > 1: granian's main process forks `workers` processes, which inherit the
    socket, each making its own app; `ready` is called once granian starts, before the
    workers do.
    """
    import logging

    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.net import SocketHolder  # type: ignore[attr-defined]
    from granian.server import MPServer, MTServer

    class Bound(MPServer if workers > 1 else MTServer):  # type: ignore[misc]
        """granian on the one listening socket given (which forked workers inherit, as granian
        does where SO_REUSEPORT is missing) rather than one it binds with SO_REUSEPORT (in
        each worker): the address takes connections from the bind on (they wait while the
        app warms up, rather than being refused), port 0 is one free port, and no other
        process can listen on the port meanwhile."""

        def _init_shared_socket(self) -> None:
            self._ssp = None
            # A descriptor of its own, which granian closes when it stops (`sock` is closed
            # by `annotate serve`). (fd, is it a Unix socket, backlog): the constructor
            # granian's stub leaves out.
            fd = os.dup(sock.fileno())
            self._shd = SocketHolder(fd, False, self.backlog)  # type: ignore[call-arg]
            self._sfd = fd
            self._sso = sock

        def _check_gil(self) -> None:
            """Run on this interpreter, GIL or not (`MTServer` refuses one with the GIL, which
            it was written without: the app here runs on granian's blocking threads, under the
            GIL as in a forked worker, and `--threads`/`--running` bound them as there)."""

    host, port = sock.getsockname()[:2]
    # granian renames its processes where setproctitle is installed (not a dependency of
    # ours; the development tools bring it), to `granian wsgi …` by default: named
    # `annotate serve …` there, the server is found by the same name as where it is not,
    # which is the command line it was started with.
    name = f"annotate serve {host}:{port}" if importlib.util.find_spec("setproctitle") else None
    server = Bound(
        "annotate",
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads,
        websockets=False,
        log_level=LogLevels.warning,
        process_name=name,
    )
    logging.getLogger("_granian").addFilter(_Quiet())
    if workers == 1:
        server.on_startup(ready)
        try:
            # The app is made (and warmed) first, in this thread; then granian listens on a
            # thread of its own and this one waits for a signal.
            server.serve(target_loader=factory, wrap_loader=False)
        except KeyboardInterrupt:  # Ctrl+C while the app was being made: nothing served yet
            pass
        return

    def load() -> Any:
        # In the forked worker, until granian sets its own handlers once the app is made:
        # the main process's handlers, inherited, take a stop for the main process's (they
        # only set its flag, in this process's copy) and would leave the worker running,
        # and the main process waiting for it. Nothing is being saved yet: the default (end
        # the process) is right, and a stop that came before is honoured now.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        _die_with(main)
        if server.interrupt_signal:
            raise SystemExit(0)
        return factory()

    main = os.getpid()
    server.on_startup(ready)
    server.serve(target_loader=load, wrap_loader=False)


def _die_with(parent: int) -> None:
    """Have the kernel end this process (a worker) when `parent` (granian's main process,
    which forked it) ends, however it ends: a main process killed (SIGKILL, the OOM killer)
    would otherwise leave its worker serving on, answering saves with nobody to stop it.
    Linux only (prctl PR_SET_PDEATHSIG); elsewhere a no-op."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it ended before the call: nobody will signal this one
        os._exit(1)
