"""The servers `annotate serve` runs the app on with its own processes: granian (the default,
one or more worker processes) and gunicorn's pre-fork server (`--server gunicorn`).

A save is CPU-bound in one Python process (its GIL), well below what the disk allows; more
processes use more cores. `annotate serve` binds the listening socket (see
`serve.listening`); granian's main process forks N worker processes that inherit it (each
with its own app, run on `threads` Python threads, while granian's Rust runtime reads and
writes the connections outside the GIL); gunicorn's pre-fork master starts N worker
processes on it (each with its own app and `threads` threads: the gthread worker) and
restarts one that dies. The store's
compare-and-set locks hold across processes (each opens its own lock files), and every
process sees the others' writes (reads check the files), so the workers share one store
safely.

Each worker builds and holds its own index: making the app once in the master before the
fork (`preload_app`) was tried and measured worse. CPython writes reference counts into the
objects it touches, so the shared pages are copied as soon as a worker lists or counts the
claims, and the master keeps a third copy (PSS of 2 workers at 100,000 claims: 596 MB).
"""

from __future__ import annotations

import ctypes
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
    """Drops granian's warning that more Python threads than twice the cores were asked for:
    `--threads` is what the user chose (threads that mostly wait on the disk's fsync)."""

    def filter(self, record: Any) -> bool:
        return "Python threads" not in record.getMessage()


def run_granian(
    factory: Callable[[], Any],
    sock: socket.socket,
    workers: int,
    threads: int,
    ready: Callable[[], None],
) -> None:
    """Serve the app `factory` makes (called once in each worker process) on granian, a Rust
    HTTP server, through its WSGI interface, on the listening socket `sock`, until SIGINT or
    SIGTERM: granian's main process forks `workers` processes, which inherit the socket, each
    running the app on `threads` Python threads while granian's own runtime reads and writes
    the connections; on a signal it stops them and waits for the requests under way.

    `ready` is called once granian starts, before the workers do.
    """
    import logging

    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.net import SocketHolder  # type: ignore[attr-defined]
    from granian.server import Server

    class Bound(Server):  # type: ignore[misc,valid-type]
        """granian on the one listening socket given, which the workers inherit (as granian
        does where SO_REUSEPORT is missing) rather than each binding its own with
        SO_REUSEPORT: the address takes connections from the banner on (they wait while the
        workers warm up, rather than being refused), port 0 is one free port, and no other
        process can listen on the port meanwhile."""

        def _init_shared_socket(self) -> None:
            self._ssp = None
            # (fd, is it a Unix socket, backlog): the constructor granian's stub leaves out.
            self._shd = SocketHolder(sock.fileno(), False, self.backlog)  # type: ignore[call-arg]
            self._sfd = sock.fileno()
            self._sso = sock

    server = Bound(
        "annotate",
        address=sock.getsockname()[0],
        port=sock.getsockname()[1],
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads,
        websockets=False,
        log_level=LogLevels.warning,
    )
    logging.getLogger("_granian").addFilter(_Quiet())

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
