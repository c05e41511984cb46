"""`annotate serve`: the web app on a production WSGI server (granian by default; waitress or
gunicorn's pre-fork server on request), its team options, and the tuning before it listens."""

from __future__ import annotations

import errno
import gc
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .. import __version__
from ..errors import AnnotateError
from ..record.gitrepo import GitProblem, git, repository
from ..record.service import Workspace
from ..record.settings import DeskSettings
from ..record.store import statcheck
from ..web import allocator, gate
from ..web.common import is_loopback
from .options import CONTEXT, workspace_options
from .users import load_users, users_option

SERVERS = ("granian", "waitress", "gunicorn")
"""The WSGI servers `serve` runs on (`--server`), the default first."""


def team_config(
    host: str,
    users_path: Path | None,
    allowed_hosts: tuple[str, ...],
    https: bool,
    trusted_proxies: int,
) -> dict[str, Any]:
    """`serve`'s settings for accounts; refuses a non-loopback address without accounts.

    :raise click.UsageError: when the server would be reachable by others with no login.
    """
    users = load_users(users_path)
    try:
        team = bool(users)
    except AnnotateError as exc:
        raise click.UsageError(exc.message) from None
    if not team and not is_loopback(host):
        raise click.UsageError(
            f"refusing to listen on {host} without accounts: anyone who reaches that address "
            "could change the record under your name. Add users first (annotate user add NAME "
            f"--role reviewer; users file {users.path}, or --users PATH) to run in team mode, "
            "or listen on 127.0.0.1."
        )
    return {
        "USERS_FILE": str(users.path) if team else None,
        "ALLOWED_HOSTS": list(allowed_hosts),
        "HTTPS": https,
        "TRUSTED_PROXIES": trusted_proxies,
    }


def tracked_by(folder: Path) -> Path | None:
    """The root of the git work tree whose index tracks files in `folder`, or None."""
    try:
        root = repository(folder)
        listed = git(folder, "ls-files", "--", ".")
    except GitProblem:
        return None
    return root if listed.strip() else None


def demo_folder(where: str) -> Path | None:
    """Where `--demo` copies the record: folder `where`, which must be new or empty (checked
    before anything listens or is copied), or None for a new temporary folder ("").

    :raise click.UsageError: the folder is not empty, or is a file.
    """
    if not where:
        return None
    dest = Path(where)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise click.UsageError(
            f"--demo: '{dest}' is not an empty folder: name a new one, or none for a "
            "temporary folder"
        )
    return dest


def demo_copy(ws: Workspace, dest: Path | None) -> Workspace:
    """A copy of the corpus and the store to serve instead of them, in `dest` (from
    `demo_folder`) or in a new temporary folder."""
    if dest is not None:
        dest.mkdir(parents=True, exist_ok=True)
    else:
        dest = Path(tempfile.mkdtemp(prefix="annotate-demo-"))
    seeds, store = dest / "seeds", dest / "fixtures"
    shutil.copytree(ws.corpus.root, seeds, ignore=shutil.ignore_patterns(".annotate-*"))
    shutil.copytree(ws.store.root, store, ignore=shutil.ignore_patterns(".annotate-tmp"))
    return Workspace.open(seeds, store, rules=ws.rules)


def where_changes_go(ws: Workspace, demo: tuple[Path, Path] | None) -> str:
    """The banner's line on what the server writes to: a demo copy, a record git tracks
    (the repository's own `fixtures/` in a checkout), or a plain folder."""
    store = ws.store.root.resolve()
    if demo is not None:
        return (
            f"Demo: a copy of {demo[0]} and {demo[1]}, made in {store.parent}: changes are "
            "saved there only (the originals are not touched; the copy stays when the server "
            "stops)."
        )
    root = tracked_by(store)
    if root is not None:
        return (
            f"Changes are saved in {store}, a record tracked by git in {root}: every edit "
            "here changes it (`git status` shows them). To try the app on a copy: "
            "annotate serve --demo"
        )
    return f"Changes are saved in {store}."


def serve_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`serve`'s team options: --users, --allowed-host, --https, --trusted-proxies."""
    fn = click.option(
        "--trusted-proxies",
        type=click.IntRange(0, 5),
        default=0,
        show_default=True,
        help="Number of reverse proxies in front whose X-Forwarded-For/-Proto/-Host to trust.",
    )(fn)
    fn = click.option(
        "--https",
        is_flag=True,
        help="The app is reached over https (behind a proxy): Secure cookies, HSTS.",
    )(fn)
    fn = click.option(
        "--allowed-host",
        "allowed_hosts",
        multiple=True,
        envvar="ANNOTATE_ALLOWED_HOSTS",
        help="A host name clients use to reach the server (repeatable); loopback names and "
        "the base URL's host are always allowed, others get 400.",
    )(fn)
    return users_option(fn)


def sync_check(ws: Workspace) -> None:
    """:raise click.UsageError: the store is not in a git repository, so nothing can sync."""
    try:
        repository(ws.store.root)
    except GitProblem as exc:
        raise click.UsageError(f"--sync-every: {exc.message}") from None


def start_sync(ws: Workspace, every: int, remote: str) -> None:
    """Sync the store through git every `every` seconds, in a thread of its own; a refusal
    is printed and tried again next time, never fatal to the server."""
    import threading
    import time

    from ..record.gitrepo import sync

    sync_check(ws)

    def loop() -> None:
        while True:
            time.sleep(every)
            try:
                report = sync(ws.store.root, ws.corpus.root, remote)
            except GitProblem as exc:
                click.echo(f"sync: {exc.message}", err=True)
                continue
            except Exception as exc:  # noqa: BLE001 - a sync must never stop the server
                click.echo(f"sync failed: {exc!r}", err=True)
                continue
            if report.merged or report.conflicted:
                ws.reload()
            if report.committed or report.merged or report.pushed:
                click.echo(report.text(), nl=False)

    threading.Thread(target=loop, name="annotate-sync", daemon=True).start()


BACKLOG = 1024
"""Connections the listening socket queues before any is accepted (granian's and waitress's
default)."""


def listening(host: str, port: int, shown: str) -> socket.socket:
    """The server's listening socket, bound and listening, for every server: granian's and
    gunicorn's worker processes inherit it, waitress takes it.

    Not shared with another process: bound without SO_REUSEPORT (which granian's own socket
    has), so a second `annotate serve` on a port in use fails here rather than listening beside
    the first, the kernel then giving each server some of the connections (forms signed by
    one rejected by the other, saves in two stores). SO_REUSEADDR is set, as every server does:
    a port whose connections are closing can be bound again at once. So is TCP_NODELAY, which
    the connections accepted on it inherit, as on granian's own socket: without it, an answer
    whose headers and body granian writes apart (every Flask answer) waited for the client's
    delayed acknowledgement of the headers, about 40 ms, one request in two.

    :raise click.ClickException: the port is in use, or the address is not this machine's.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        sock = socket.create_server((host, port), family=family, backlog=BACKLOG)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise click.ClickException(
                f"port {port} on {shown} is in use: another program listens there (another "
                "annotate serve?); stop it, or choose another port with --port"
            ) from None
        raise click.ClickException(f"cannot listen on {shown}:{port}: {exc.strerror}") from None
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.set_inheritable(True)
    return sock


def warm(app: Any, running: int = gate.RUNNING) -> Any:
    """Build the store's index and load the corpus before listening: the first request is
    then as fast as the others. `running` requests run the app at once (see `web.gate`)."""
    ws: Workspace = app.extensions["annotate"]
    # Fewer of glibc's arenas, and what big answers freed given back (see `allocator`).
    allocator.limit_arenas()
    app.wsgi_app = allocator.TrimAfter(app.wsgi_app)
    # A few requests in the interpreter at once, the others waiting their turn in order; a
    # search waiting for its database gives its turn up meanwhile.
    turns = gate.Gate(running)
    app.wsgi_app = gate.Gated(app.wsgi_app, turns)
    # The index is kept between runs: start from it, reading only the files changed since.
    ws.keep_index()
    ws.counts()
    ws.corpus.documents()
    # The search index is checked against the files (built when missing) meanwhile.
    assert ws.search is not None
    ws.search.waiting = turns.outside
    ws.search.warm()
    # From now on a thread keeps the index current, so that requests do not wait for it.
    ws.follow()
    # What start-up built lives as long as the server: keep it out of the cyclic garbage
    # collector's full passes, which would otherwise walk every summary of a large store
    # (a pause of hundreds of milliseconds at 100,000 claims, in the middle of a request).
    # Not collected first: that pass took 0.4 s of CPU at start-up, for the few cycles
    # start-up leaves (the index is made without any).
    gc.freeze()
    # A thread that renders a big page holds the interpreter for up to the switch interval
    # each time a saving thread (back from a system call: some 30 per save) waits for it:
    # at CPython's 5 ms, 8 clients saving while one reads the busiest page back to back
    # saved 21/s; at 0.5 ms, 59/s, and the page p50 halved (bench.server, 100,000 claims).
    sys.setswitchinterval(0.0005)
    allocator.trim()  # what reading the kept index freed (its rows, decoded)
    return app


@click.command(context_settings=CONTEXT)
@workspace_options
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=5000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0 picks a free one).",
)
@click.option(
    "--reviewer",
    envvar="ANNOTATE_REVIEWER",
    default=None,
    help="Your name, recorded on every change (default: your OS user name).",
)
@click.option(
    "--threads",
    default=8,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker threads of the WSGI server: requests under way at once in each process.",
)
@click.option(
    "--running",
    default=gate.RUNNING,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Of those, requests that run Python at once; the others wait their turn, first "
    "come first served (more threads than cores cost CPU in handing over: "
    "docs/performance.md).",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes sharing the port, each with --threads threads and its own "
    "index (granian or gunicorn; waitress runs one).",
)
@click.option(
    "--server",
    "server_name",
    type=click.Choice(SERVERS),
    default="granian",
    show_default=True,
    help="The WSGI server: granian (a Rust HTTP server, the fastest here: "
    "docs/performance.md), waitress (pure Python, one process) or gunicorn (pre-fork, "
    "threads).",
)
@click.option(
    "--required-reviews",
    type=click.IntRange(1, 20),
    default=None,
    help="Agreeing reviews that settle a claim's final verdict [default: the settings "
    "file's, else 1 in local mode, 2 in team mode].",
)
@click.option(
    "--blind/--no-blind",
    default=None,
    help="Hide the other reviews and the final verdict of a claim from a reviewer until "
    "they have given their own [default: the settings file's, else on in team mode].",
)
@click.option(
    "--sync-every",
    type=click.IntRange(5, 86400),
    default=None,
    metavar="SECONDS",
    help="Run `annotate sync` (commit, merge, push through git) every SECONDS in the "
    "background; the pages show what arrived.",
)
@click.option(
    "--sync-remote", default="origin", show_default=True, help="The git remote to sync with."
)
@click.option(
    "--demo",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[FOLDER]",
    help="Serve a copy of the corpus and the store, made first in FOLDER (new or empty) or "
    "in a temporary folder: try the app without changing the record.",
)
@serve_options
def serve(
    ws: Workspace,
    desk: DeskSettings,
    host: str,
    port: int,
    reviewer: str | None,
    threads: int,
    running: int,
    workers: int,
    server_name: str,
    required_reviews: int | None,
    blind: bool | None,
    sync_every: int | None,
    sync_remote: str,
    demo: str | None,
    **team: Any,
) -> None:
    """Run the web app on a production WSGI server (granian), on loopback by default.

    With users in the users file (`annotate user add`) it runs in team mode: everyone logs
    in, and it may listen on other addresses; without, it refuses any but loopback.

    Every option but --seeds, --store and --settings can be set in the settings file's
    [serve] section (its name with `_` for `-`: host, port, reviewer, threads, running, workers,
    server, sync_every, sync_remote, users, allowed_hosts, https, trusted_proxies); the public URL
    and the organisation come from [publish]. A flag or environment variable wins.
    """
    import secrets

    from .. import create_app, default_reviewer

    if server_name == "waitress" and workers > 1:
        raise click.UsageError(
            "--server waitress runs one process: use --workers 1, or granian or gunicorn"
        )
    if demo is not None and sync_every is not None:
        raise click.UsageError("--demo serves a copy: it has nothing to sync (no --sync-every)")
    if sync_every is not None and workers > 1:
        raise click.UsageError("--sync-every runs in one process: use --workers 1")
    accounts = team_config(host, **team)
    demo_dest = demo_folder(demo) if demo is not None else None
    shown = f"[{host}]" if ":" in host else host
    # Bound once the address and the demo folder are allowed, before anything is copied,
    # swept or read: a port in use ends it here. It takes connections from now on; they wait
    # while the app warms up.
    sock = listening(host, port, shown)
    with sock:  # closed however this ends: a refusal below, a stop
        port = sock.getsockname()[1]  # with --port 0, the one picked
        original = None
        if demo is not None:
            original = (ws.corpus.root.resolve(), ws.store.root.resolve())
            ws = demo_copy(ws, demo_dest)
        published = os.environ.get("ANNOTATE_BASE_URL") or desk.publish.base_url
        config = {
            "SEEDS": str(ws.corpus.root),
            "STORE": str(ws.store.root),
            "REVIEWER": reviewer or default_reviewer(),
            "BASE_URL": published or f"http://{shown}:{port}",
            "ORG_NAME": os.environ.get("ANNOTATE_ORG_NAME") or desk.publish.org_name,
            "ORG_URL": os.environ.get("ANNOTATE_ORG_URL") or desk.publish.org_url,
            "ORG_LOGO": os.environ.get("ANNOTATE_ORG_LOGO") or desk.publish.org_logo,
            # The settings file was read already: the app takes its values as given here.
            "SETTINGS_FILE": None,
            "REQUIRED_REVIEWS": required_reviews or desk.reviews.required,
            "BLIND": blind if blind is not None else desk.reviews.blind,
            **accounts,
        }
        if not config["USERS_FILE"]:
            # One key for every worker process: a session signed by one is valid in the others.
            # (Team mode has its key in a file beside the users file, shared already.)
            config["SECRET_KEY"] = os.environ.get("ANNOTATE_SECRET_KEY") or secrets.token_hex(32)
        app = create_app(config)
        swept = ws.sweep()
        if swept:
            click.echo(f"removed {len(swept)} temp file(s) left by writes a crash interrupted")
        who = (
            f"in team mode (users from {app.config['USERS_FILE']})"
            if app.config["USERS_FILE"]
            else f"as reviewer '{app.config['REVIEWER']}'"
        )
        rules = app.extensions["annotate"].rules
        who += (
            f"; {rules.required} agreeing review{'s settle' if rules.required > 1 else ' settles'}"
            " a claim" + (", blind" if rules.blind else "")
        )
        changes = where_changes_go(ws, original)
        if sync_every is not None:
            sync_check(ws)

        # waitress and granian with one worker serve from this process, the app made here;
        # forked workers (granian's, gunicorn's) each make their own.
        here = server_name == "waitress" or (server_name == "granian" and workers == 1)

        warmed: list[Any] = []

        def serving() -> Any:
            """The app of the process that serves, warmed, and syncing when asked to: the
            syncing thread reloads the workspace that answers the requests."""
            served = warm(app if here else create_app(config), running)
            if sync_every is not None:
                start_sync(served.extensions["annotate"], sync_every, sync_remote)
            warmed.append(served)
            return served

        def keep_index() -> None:
            """Once the server has stopped, what the index's thread had not kept yet is
            written, so that the next start takes it rather than reading those files again
            (a first start on a big store reads them all, and writes them over the next few
            seconds). Only the app served in this process: a forked worker's is kept by its
            thread while it runs."""
            if warmed:
                warmed[0].extensions["annotate"].save_index(
                    lambda n: click.echo(
                        f"keeping the index of {n} file{'s' if n != 1 else ''} for the next start"
                    )
                )

        def ready() -> None:
            processes = f" with {workers} processes" if workers > 1 else ""
            click.echo(
                f"annotate {__version__}: serving {ws.corpus.root} and {ws.store.root} {who}"
                f"{processes} ({server_name})"
            )
            click.echo(changes)
            click.echo(f"Open http://{shown}:{port}/  (Ctrl+C to stop)")

        if server_name != "waitress":
            from . import prefork

            # One granian worker serves from this process. More, and gunicorn's: each worker
            # process makes and warms its own app (its index, the search index, the thread
            # following other processes' saves) once it is forked; this process only watches
            # them.
            run = prefork.run_granian if server_name == "granian" else prefork.run_gunicorn
            if not here:
                statcheck.end_begun()  # begun for this process, which serves nothing
            run(serving, sock, workers, threads, ready)
            keep_index()
            click.echo("stopped")
            return
        from waitress.server import create_server

        server = create_server(serving(), sockets=[sock], threads=threads, ident="annotate")
        ready()
        server.run()  # until Ctrl+C, which it takes (its requests finished first)
        keep_index()
        click.echo("stopped")
