"""No lost update across processes: two `annotate serve` on one store, writers on both.

The store's compare-and-set holds its lock across threads and processes; each server must also
see the other's writes at once (no stale cache), or its next write would be refused forever or,
worse, its pages would show an old verdict as current.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from annotate.record.store import Store
from bench import serving
from bench.writers import Ledger, read_claims, run_writers, verdict_body, verify


def test_two_servers_on_one_store_lose_nothing_and_refuse_stale_writes(workdir: Path) -> None:
    seeds, store = workdir / "seeds", workdir / "fixtures"
    before, _ = read_claims(store)
    ids = sorted(before)
    hot, cold = ids[:3], ids[3:6]
    initial = {c: int(before[c]["version"]) for c in ids}
    # Each with a temp folder of its own, as a service with a private /tmp and a user's shell
    # would have: the locks must be the store's, not the temp folder's.
    temps = [workdir / f"tmp{i}" for i in range(2)]
    for t in temps:
        t.mkdir()
    servers = [
        serving.start(seeds, store, reviewer=f"server{i}", env={"TMPDIR": str(temps[i])})
        for i in range(2)
    ]
    try:
        ledger = Ledger()
        stop = threading.Event()
        groups = [(hot, 8)] + [([c], 1) for c in cold]
        threads = run_writers([s.client for s in servers], groups, ledger, stop)
        deadline = time.monotonic() + 30
        while len(ledger.acks) < 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()
        for t in threads:
            t.join(timeout=30)

        assert not ledger.errors, ledger.errors  # no 500 (e.g. a lock refused), no 4xx
        assert ledger.refused > 0, "writers on the same claims through two servers must collide"
        proof = verify(store, ledger, initial, hot + cold)
        assert proof.ok, (proof.lost, proof.phantom, proof.broken_files)
        for cid in hot + cold:
            acks = sum(a.claim == cid for a in ledger.acks)
            assert proof.final_versions[cid] - initial[cid] == acks
        by = {h["by"] for cid in hot for h in read_claims(store)[0][cid]["history"][-20:]}
        assert {"server0", "server1"} <= by, "both servers' writes are in the history"

        # A write through one server is what the other serves next, pages and lists included.
        a, b = servers[0].client(), servers[1].client()
        with a, b:
            cid = cold[0]
            _, claim = a.json("GET", f"/api/claims/{cid}")
            status, stale = b.json("GET", f"/api/claims/{cid}")
            assert status == 200 and stale["version"] == claim["version"]
            status, new = a.json(
                "PUT",
                f"/api/claims/{cid}/verdict",
                verdict_body(claim, "written through server 0"),
                {"If-Match": f'"{claim["version"]}"'},
            )
            assert status == 200
            status, seen = b.json("GET", f"/api/claims/{cid}")
            assert (status, seen["version"], seen["rationale"]) == (
                200,
                new["version"],
                "written through server 0",
            )
            status, listed = b.json("GET", f"/api/claims?q={cid}")
            assert [c["version"] for c in listed if c["id"] == cid] == [new["version"]]
            status, refused = b.json(
                "PUT",
                f"/api/claims/{cid}/verdict",
                verdict_body(claim, "from an old read, through server 1"),
                {"If-Match": f'"{claim["version"]}"'},
            )
            assert status == 412
            assert refused["current"]["rationale"] == "written through server 0"
    finally:
        for s in servers:
            s.stop()


def _children(pid: int) -> list[int]:
    return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def test_serve_with_workers_shares_one_store_and_one_session_key(workdir: Path) -> None:
    seeds, store = workdir / "seeds", workdir / "fixtures"
    before, _ = read_claims(store)
    ids = sorted(before)
    hot, cold = ids[:3], ids[3:6]
    initial = {c: int(before[c]["version"]) for c in ids}
    server = serving.start(seeds, store, reviewer="pool", extra=["--workers", "2"])
    try:
        assert any("with 2 processes" in line for line in server.output)
        deadline = time.monotonic() + 30
        while len(_children(server.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(_children(server.pid)) == 2

        ledger = Ledger()
        stop = threading.Event()
        threads = run_writers(server.client, [(hot, 8)] + [([c], 1) for c in cold], ledger, stop)
        while len(ledger.acks) < 150 and time.monotonic() < deadline + 30:
            time.sleep(0.05)
        stop.set()
        for t in threads:
            t.join(timeout=30)
        assert not ledger.errors, ledger.errors
        assert ledger.refused > 0
        proof = verify(store, ledger, initial, hot + cold)
        assert proof.ok, (proof.lost, proof.phantom, proof.broken_files)

        # A page's CSRF token and session cookie hold whichever process answers the form.
        cid = cold[0]
        with server.client() as c:
            status, headers, page = c.request("GET", f"/claims?q={cid}")
            assert status == 200
        cookie = headers["set-cookie"].split(";", 1)[0]
        token = re.search(rb'name="csrf_token" value="([^"]+)"', page)
        meta = re.search(rb'"X-CSRF-Token": "([^"]+)"', page)
        csrf = (token or meta).group(1).decode()  # type: ignore[union-attr]
        current = json.loads(store.joinpath(f"{cid}.json").read_text())
        version = current["version"]
        for i in range(8):  # a new connection each time: the kernel spreads them
            form = {
                "csrf_token": csrf,
                "version": version,
                "verdict": current["verdict"],
                "rationale": f"form {i}",
            }
            with server.client() as c:
                status, _, body = c.request(
                    "POST",
                    f"/claims/{cid}/verdict",
                    urlencode(form).encode(),
                    {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
                )
            assert status < 400, body[:300]
            version += 1
        assert json.loads(store.joinpath(f"{cid}.json").read_text())["version"] == version
    finally:
        server.stop()
    assert server.proc.returncode is not None


def test_a_forked_process_does_not_share_the_claim_locks_of_its_parent(tmp_path: Path) -> None:
    """`serve --workers N` forks its workers from a process that may have opened the lock
    files: a lock taken through the inherited descriptors would not exclude the parent."""
    store = Store(tmp_path)
    with store.locked("some-claim"):
        pass  # the parent has opened that stripe's lock file
    ready, done = os.pipe()
    with store.locked("some-claim"):
        pid = os.fork()
        if pid == 0:  # the child: take the same claim's lock, say when it had it
            try:
                with store.locked("some-claim"):
                    os.write(done, repr(time.monotonic()).encode())
            finally:
                os._exit(0)
        time.sleep(0.5)
        released = time.monotonic()
    deadline = time.monotonic() + 10
    while os.waitpid(pid, os.WNOHANG) == (0, 0):
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            raise AssertionError("the child never got the lock once the parent let it go")
        time.sleep(0.01)
    acquired = float(os.read(ready, 100))
    assert acquired >= released, "the child took the lock while the parent held it"
