"""`annotate serve`'s banner says where changes go; `--demo` serves a copy of the record."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from annotate.cli import cli

from .conftest import DOC_BBC, ROOT
from .webutil import snapshot


@contextmanager
def serving(cwd: Path, *args: str) -> Iterator[tuple[list[str], str]]:
    """`annotate serve` on a free port in `cwd`: its banner's lines and its URL."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("ANNOTATE_STORE", None)
    env.pop("ANNOTATE_SEEDS", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "annotate", "serve", "--port", "0", "--reviewer", "Rita", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    url = ""
    for line in proc.stdout:
        lines.append(line.rstrip("\n"))
        found = re.search(r"Open (http://\S+)/", line)
        if found:
            url = found.group(1)
            break
    try:
        assert url, lines
        yield lines, url
    finally:
        proc.terminate()
        try:
            # Stopping waits for a worker still warming up: on a loaded machine that took
            # more than 10 s once (two test suites on 2 cores).
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()  # never left to the garbage collector of a later test


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.org", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def checkout(workdir: Path) -> Path:
    """The copies of seeds/ and fixtures/ committed in a git repository, as in a checkout."""
    git(workdir, "init", "-q")
    git(workdir, "add", "seeds", "fixtures")
    git(workdir, "commit", "-qm", "shipped record")
    return workdir


def test_the_banner_says_the_server_edits_a_record_that_git_tracks(checkout: Path) -> None:
    """The Quick start's `annotate serve` changed the repository's own `fixtures/` without
    a word."""
    with serving(checkout) as (lines, _):
        store = (checkout / "fixtures").resolve()
        said = "\n".join(lines)
        assert (
            f"Changes are saved in {store}, a record tracked by git in {checkout.resolve()}" in said
        )
        assert "To try the app on a copy: annotate serve --demo" in said


def test_the_banner_of_a_store_outside_git_names_the_folder_only(workdir: Path) -> None:
    with serving(workdir) as (lines, _):
        assert f"Changes are saved in {(workdir / 'fixtures').resolve()}." in lines
        assert "tracked by git" not in "\n".join(lines)


def create_claim(url: str) -> str:
    text = urllib.request.urlopen(f"{url}/api/documents/{DOC_BBC}", timeout=10)
    body = json.loads(text.read())["text"]
    exact = "Two missiles fired on Shusha"
    start = body.index(exact)
    data = {
        "statement": "Two missiles were fired on Shusha",
        "claimant": "ANAMA",
        "appearances": [
            {"doc": DOC_BBC, "start": start, "end": start + len(exact), "exact": exact}
        ],
    }
    req = urllib.request.Request(
        f"{url}/api/claims",
        data=json.dumps(data).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Origin": url},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 201
        made: dict[str, Any] = json.loads(resp.read())
        return str(made["id"])


def test_demo_serves_a_copy_in_the_folder_named_and_leaves_the_record_alone(
    checkout: Path, tmp_path: Path
) -> None:
    before = snapshot(checkout / "fixtures")
    copy = tmp_path / "demo desk"
    with serving(checkout, "--demo", str(copy)) as (lines, url):
        said = "\n".join(lines)
        assert (
            f"Demo: a copy of {(checkout / 'seeds').resolve()} and "
            f"{(checkout / 'fixtures').resolve()}, made in {copy.resolve()}: changes are saved "
            "there only"
        ) in said
        cid = create_claim(url)
    assert (copy / "fixtures" / f"{cid}.json").is_file()
    assert snapshot(checkout / "fixtures") == before
    assert sorted(p.name for p in (copy / "seeds").iterdir()) == sorted(
        p.name for p in (checkout / "seeds").iterdir()
    )


def test_demo_without_a_folder_copies_into_a_temporary_one(checkout: Path) -> None:
    with serving(checkout, "--demo") as (lines, _):
        (line,) = [ln for ln in lines if ln.startswith("Demo: ")]
        made = Path(re.search(r", made in (\S+):", line).group(1))  # type: ignore[union-attr]
        assert made.name.startswith("annotate-demo-") and (made / "fixtures").is_dir()
        assert made.resolve() != checkout.resolve()
    shutil.rmtree(made)


def test_demo_refuses_a_folder_that_is_not_empty(workdir: Path, monkeypatch: Any) -> None:
    """Before anything listens: the folder is named, even on a port that is in use."""
    monkeypatch.chdir(workdir)
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = str(taken.getsockname()[1])
        result = CliRunner().invoke(cli, ["serve", "--demo", "seeds", "--port", port])
    assert result.exit_code == 2
    assert "--demo: 'seeds' is not an empty folder" in result.output


def _headers_of(server: Any, path: str, host: str | None = None) -> tuple[int, dict[str, str]]:
    with server.client() as c:
        status, headers, _ = c.request("GET", path, headers={"Host": host} if host else None)
    return status, headers


@pytest.mark.parametrize("name", ["granian", "waitress", "gunicorn"])
def test_serve_runs_on_the_server_named_and_stops_on_sigterm_with_every_save_kept(
    workdir: Path, name: str
) -> None:
    from bench import serving
    from bench.writers import read_claims

    seeds, store = workdir / "seeds", workdir / "fixtures"
    before, _ = read_claims(store)
    cid = sorted(before)[0]
    server = serving.start(seeds, store, reviewer="Rita", extra=["--server", name])
    try:
        assert any(line.rstrip().endswith(f"({name})") for line in server.output[:1])
        # The answer comes from the server named (its Server header), with the app's own
        # headers and its Host allow-list in front.
        status, headers = _headers_of(server, "/healthz")
        ident = "annotate" if name == "waitress" else name  # waitress says what it is told
        assert status == 200 and ident in headers.get("server", ""), headers
        assert "content-security-policy" in headers
        assert _headers_of(server, "/healthz", host="evil.example")[0] == 400
        version = int(before[cid]["version"])
        saved = []
        with server.client() as c:
            for i in range(5):
                saved.append(f"said on {name}, save {i}")
                version = _save_verdict(c, cid, before[cid], version, saved[-1])
    finally:
        server.stop()
    # A SIGTERM is a clean stop (waitress has no handler: the signal ends it), and every
    # save acknowledged before it is in the file.
    assert server.proc.returncode == (-15 if name == "waitress" else 0), server.output
    if name == "granian":
        assert "stopped" in "".join(server.output)
    after = json.loads((store / f"{cid}.json").read_text())
    assert after["version"] == version and after["rationale"] == saved[-1]


@pytest.mark.parametrize("name", ["granian", "waitress"])
def test_a_server_stopped_at_once_keeps_its_whole_index_for_the_next_start(
    workdir: Path, name: str
) -> None:
    """A first start reads every claim file, and its index's thread keeps what it read a
    little later: a stop before then (here at once) writes it, so that the next start takes
    it instead of reading every file again. (Before, such a stop kept nothing: at 100,000
    claims every start after it took 12-15 s instead of 3.)"""
    import sqlite3

    from bench import serving

    seeds, store = workdir / "seeds", workdir / "fixtures"
    files = len(list(store.glob("*.json")))
    server = serving.start(seeds, store, extra=["--server", name])
    if name == "waitress":
        server.proc.send_signal(2)  # Ctrl+C (waitress has no SIGTERM handler)
        server.proc.wait(timeout=30)
    server.stop()
    output = "".join(server.output)
    assert server.proc.returncode == 0, output
    assert f"keeping the index of {files} files for the next start" in output, output
    assert output.rstrip().endswith("stopped"), output
    database = store / ".annotate-tmp" / "index.sqlite"
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        kept = {name for (name,) in db.execute("SELECT name FROM summaries")}
    assert kept == {p.name for p in store.glob("*.json")}


def _save_verdict(c: Any, cid: str, claim: dict[str, Any], version: int, rationale: str) -> int:
    """Save a verdict with `rationale` on the claim at `version` (through a `serving`
    client); the version it is at after."""
    from bench.writers import verdict_body

    body = verdict_body(claim, rationale)
    status, saved = c.json("PUT", f"/api/claims/{cid}/verdict", body, {"If-Match": f'"{version}"'})
    assert status == 200, saved
    assert saved["rationale"] == rationale
    return int(saved["version"])


def test_granian_with_one_worker_serves_from_the_process_started(workdir: Path) -> None:
    """The default (granian, one worker) is one process: the one started binds, holds the app
    and answers, with no main process beside it holding a second copy of what it imported
    and read (docs/performance.md, "One process")."""
    from bench import serving

    with serving.start(workdir / "seeds", workdir / "fixtures") as server:
        assert server.pids() == [server.pid]
        status, headers = _headers_of(server, "/healthz")
        assert status == 200 and "granian" in headers.get("server", "")
        # Listed by the name it was started with (docs/commands.md), setproctitle installed
        # (as here: the dev tools bring it) or not.
        title = Path(f"/proc/{server.pid}/cmdline").read_bytes()
        assert b"annotate serve" in title and not title.startswith(b"granian"), title


def test_granian_workers_end_when_their_main_process_is_killed(workdir: Path) -> None:
    """A SIGKILL (or the OOM killer) ending granian's main process takes its workers with
    it: none goes on answering saves with nothing left to stop it."""
    from bench import serving

    server = serving.start(workdir / "seeds", workdir / "fixtures", extra=["--workers", "2"])
    workers = server.pids()[1:]
    assert len(workers) == 2
    server.kill()
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [
        pid
        for pid in workers
        if Path(f"/proc/{pid}/status").exists()
        and "zombie" not in Path(f"/proc/{pid}/status").read_text()
    ]


@pytest.mark.parametrize("name", ["granian", "waitress"])
def test_one_request_running_at_a_time_serves_many_clients_at_once(
    workdir: Path, name: str
) -> None:
    """`--running 1`: the threads take their turns (web/gate.py); 8 clients saving and
    reading at once all get their answers, and every save is in its file."""
    from concurrent.futures import ThreadPoolExecutor

    from bench import serving
    from bench.writers import read_claims

    seeds, store = workdir / "seeds", workdir / "fixtures"
    before, _ = read_claims(store)
    ids = sorted(before)[:8]
    server = serving.start(
        seeds, store, extra=["--server", name, "--threads", "4", "--running", "1"]
    )

    def client(cid: str) -> tuple[int, str]:
        version = int(before[cid]["version"])
        with server.client() as c:
            for i in range(6):
                version = _save_verdict(c, cid, before[cid], version, f"turn {i} of {cid}")
                assert c.request("GET", "/api/claims?limit=5")[0] == 200
        return version, f"turn 5 of {cid}"

    try:
        with ThreadPoolExecutor(len(ids)) as pool:
            done = dict(zip(ids, pool.map(client, ids), strict=True))
    finally:
        server.stop()
    for cid, (version, rationale) in done.items():
        on_disk = json.loads((store / f"{cid}.json").read_text())
        assert (on_disk["version"], on_disk["rationale"]) == (version, rationale)


@pytest.mark.parametrize("option", [["--running", "0"], ["--threads", "0"]])
def test_serve_refuses_no_room_for_a_request(workdir: Path, option: list[str]) -> None:
    result = CliRunner().invoke(
        cli,
        ["serve", "--seeds", str(workdir / "seeds"), "--store", str(workdir / "fixtures"), *option],
    )
    assert result.exit_code == 2
    assert f"Invalid value for '{option[0]}'" in result.output


def test_waitress_is_refused_more_than_one_process(workdir: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "serve",
            "--seeds",
            str(workdir / "seeds"),
            "--store",
            str(workdir / "fixtures"),
            "--server",
            "waitress",
            "--workers",
            "2",
        ],
    )
    assert result.exit_code == 2
    assert "--server waitress runs one process" in result.output


@pytest.mark.parametrize("name", ["granian", "waitress", "gunicorn"])
def test_a_kept_alive_connection_outlives_an_answer_given_before_the_body_was_read(
    workdir: Path, name: str
) -> None:
    """A 412 (stale If-Match) and a 404 are answered without the body; a client that sends
    its headers and then its body (as http.client and requests do, in two writes) keeps its
    connection for the next request, which must not meet a closed socket."""
    import http.client

    from bench import serving
    from bench.writers import read_claims, verdict_body

    seeds, store = workdir / "seeds", workdir / "fixtures"
    before, _ = read_claims(store)
    cid = sorted(before)[0]
    version = int(before[cid]["version"])
    body = json.dumps(verdict_body(before[cid], "sent late")).encode()
    server = serving.start(seeds, store, extra=["--server", name])
    conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
    try:
        conn.request("GET", "/healthz")
        assert conn.getresponse().read() and conn.sock is not None
        kept = conn.sock
        for path, if_match, status in (
            (f"/api/claims/{cid}/verdict", f'"{version + 5}"', 412),
            ("/api/claims/no-such-claim/verdict", f'"{version}"', 404),
        ):
            conn.putrequest("PUT", path)
            for header, value in (
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                ("If-Match", if_match),
            ):
                conn.putheader(header, value)
            conn.endheaders()
            time.sleep(0.3)  # the server has had the headers a while when the body comes
            conn.send(body)
            answer = conn.getresponse()
            answer.read()
            assert answer.status == status
            # The next request on the same connection, and the save it sends, get through.
            conn.request(
                "PUT",
                f"/api/claims/{cid}/verdict",
                body,
                {"Content-Type": "application/json", "If-Match": f'"{version}"'},
            )
            saved = conn.getresponse()
            assert saved.status == 200, saved.read()
            version = json.loads(saved.read())["version"]
            assert conn.sock is kept, "the server closed the kept-alive connection"
    finally:
        conn.close()
        server.stop()


@pytest.mark.parametrize("name", ["granian", "waitress", "gunicorn"])
def test_a_second_server_on_a_port_in_use_is_refused_and_the_first_serves_on(
    workdir: Path, name: str
) -> None:
    """Two servers on one port would share its connections (granian's own socket allows it),
    each answering some: forms one signed rejected by the other. The second is refused at once,
    naming the port, before it copies anything (its --demo folder is never made)."""
    with serving(workdir, "--server", name) as (_, url):
        port = url.rsplit(":", 1)[1]
        demo = workdir / "demo-copy"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        second = subprocess.run(
            [sys.executable, "-m", "annotate", "serve", "--server", name, "--port", port]
            + ["--demo", str(demo)],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 1, second.stdout + second.stderr
        assert f"port {port} on 127.0.0.1 is in use" in second.stderr
        assert "Open http" not in second.stdout
        assert not demo.exists()
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=10) as resp:
                    assert resp.status == 200
                break
            except OSError:  # the first one's workers are still warming up
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)


@pytest.mark.parametrize("name", ["granian", "waitress", "gunicorn"])
def test_port_0_serves_links_that_name_the_port_bound(workdir: Path, name: str) -> None:
    """With --port 0 the OS picks the port: the IRIs the server makes (its W3C container's)
    name that port, as the banner's URL does, not port 0."""
    with serving(workdir, "--server", name) as (_, url):
        port = int(url.rsplit(":", 1)[1])
        assert port != 0, url
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/annotations/", timeout=10) as resp:
                    container = json.loads(resp.read())
                break
            except OSError:  # the workers are still warming up
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
    assert container["id"] == f"{url}/annotations/"
    assert container["first"]["id"].startswith(f"{url}/annotations/?")


def test_the_listening_socket_hands_its_connections_tcp_nodelay() -> None:
    """Every server takes its socket from `listening`, and the connections granian accepts
    inherit its options: without TCP_NODELAY every other answer on granian waited some 40 ms
    (docs/performance.md, "Every other answer 40 ms late on granian")."""
    from annotate.cli.serve import listening

    with listening("127.0.0.1", 0, "127.0.0.1") as server:
        with socket.create_connection(server.getsockname()[:2], timeout=10):
            accepted, _ = server.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
