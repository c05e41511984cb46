"""Crash safety against a real `annotate serve`: SIGKILL in the middle of writes loses nothing.

The server runs as a user runs it (a subprocess over copies of the corpus and store); writers
send verdicts with `If-Match` over keep-alive connections and keep a ledger of every write the
server acknowledged. The server is killed with SIGKILL at random moments, restarted, and the
store's files must hold every acknowledged write at its version, in the history, with no
partial file and nothing that no writer sent.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from bench import serving
from bench.writers import Ledger, read_claims, run_writers, verify

ROUNDS = 20


def test_sigkill_in_the_middle_of_writes_loses_no_acknowledged_write(
    workdir: Path, run: Callable[..., Result]
) -> None:
    seeds, store = workdir / "seeds", workdir / "fixtures"
    before, _ = read_claims(store)
    ids = sorted(before)
    hot, cold = ids[:3], ids[3:7]
    initial = {c: int(before[c]["version"]) for c in ids}
    groups = [(hot, 4)] + [([c], 1) for c in cold]
    ledger = Ledger()
    rng = random.Random(6)
    temp_files_seen = 0
    for round_ in range(ROUNDS):
        server = serving.start(seeds, store, reviewer="crash")
        stop = threading.Event()
        threads = run_writers(server.client, groups, ledger, stop, seed=round_)
        time.sleep(rng.uniform(0.05, 0.6))
        server.kill()
        stop.set()
        for t in threads:
            t.join(timeout=30)
        assert not any(t.is_alive() for t in threads)
        proof = verify(store, ledger, initial, ids)
        assert proof.ok, (round_, proof.lost, proof.phantom, proof.broken_files)
        temp_files_seen += len(list(store.rglob(".*.tmp")))

    in_doubt = sum(n for kind, n in ledger.errors.items() if kind.startswith("in doubt"))
    assert len(ledger.acks) > ROUNDS, "the writers should have been acknowledged many times"
    assert in_doubt > 0, "no kill landed while a request was in flight"
    others = [k for k in ledger.errors if not k.startswith("in doubt") and k != "no connection"]
    assert not others, ledger.errors

    # Every claim file parses and the store checks clean, temp files left by a kill or not.
    result = run("check")
    assert result.exit_code == 0, result.output
    assert "73 claims checked, no errors" in result.output, result.output

    # Restarted, the server sweeps the leftovers and serves each claim at its last version.
    server = serving.start(seeds, store, reviewer="crash")
    try:
        assert not list(store.rglob(".*.tmp"))
        files, broken = read_claims(store)
        assert not broken
        with server.client() as c:
            for cid in hot + cold:
                status, claim = c.json("GET", f"/api/claims/{cid}")
                assert status == 200
                assert claim["version"] == files[cid]["version"]
                status, history = c.json("GET", f"/api/claims/{cid}/history")
                assert [h["version"] for h in history] == list(range(1, claim["version"] + 1))
    finally:
        server.stop()
    acked_versions = {(a.claim, a.version) for a in ledger.acks}
    assert len(acked_versions) == len(ledger.acks), "two writes acknowledged at one version"
    print(
        f"{ROUNDS} kills: {len(ledger.acks)} acknowledged, {ledger.refused} refused, "
        f"{in_doubt} in doubt, {temp_files_seen} temp files left by kills, 0 lost"
    )


def test_temp_files_left_by_a_crash_are_not_claims_and_are_removed_on_start(
    workdir: Path, run: Callable[..., Result]
) -> None:
    store = workdir / "fixtures"
    claim = sorted(store.glob("*.json"))[0]
    original = claim.read_bytes()
    leftover = store / f".{claim.name}.k3j2x9.tmp"
    leftover.write_bytes(original[: len(original) // 2])  # a write cut short by the kill
    (store / ".trash").mkdir()
    trash_leftover = store / ".trash" / f".{claim.stem}.v9.20260101T000000Z.json.a1b2.tmp"
    trash_leftover.write_bytes(b"{")
    (store / ".annotate-tmp").mkdir()
    prepared = store / ".annotate-tmp" / f".{claim.name}.q8w7e6.tmp"
    prepared.write_bytes(original)  # written in full, killed before its rename

    result = run("check")
    assert result.exit_code == 0, result.output

    server = serving.start(workdir / "seeds", store)
    try:
        assert not leftover.exists()
        assert not trash_leftover.exists()
        assert not prepared.exists()
        assert any("removed 3 temp file(s)" in line for line in server.output)
        assert claim.read_bytes() == original
        with server.client() as c:
            status, body = c.json("GET", f"/api/claims/{claim.stem}")
        assert status == 200 and body["id"] == claim.stem
    finally:
        server.stop()


def test_a_hand_broken_claim_file_does_not_stop_the_server(workdir: Path) -> None:
    store = workdir / "fixtures"
    files = sorted(store.glob("*.json"))
    broken, other = files[0], files[1]
    raw = broken.read_bytes()
    broken.write_bytes(raw[: len(raw) // 3])  # truncated JSON, as a bad merge or edit leaves
    ids = sorted(p.stem for p in files)

    server = serving.start(workdir / "seeds", store)
    try:
        with server.client() as c:
            status, listed = c.json("GET", "/api/claims")
            assert status == 200
            assert sorted(x["id"] for x in listed) == [i for i in ids if i != broken.stem]
            status, claim = c.json("GET", f"/api/claims/{other.stem}")
            assert status == 200
            doc = claim["appearances"][0]["doc"]
            for path in ("/", "/claims", f"/documents/{doc}?claim={other.stem}"):
                status, _, page = c.request("GET", path)
                assert status == 200, path
            assert f'data-claim="{other.stem}"'.encode() in page
            status, _, _ = c.request("GET", f"/api/claims/{broken.stem}")
            assert status != 200
            # The rest can still be changed.
            status, changed = c.json(
                "PATCH",
                f"/api/claims/{other.stem}",
                {"claimant": claim["claimant"] + " (checked)"},
                {"If-Match": f'"{claim["version"]}"'},
            )
            assert status == 200, changed
            assert changed["version"] == claim["version"] + 1
        assert broken.read_bytes() == raw[: len(raw) // 3], "the server must not touch it"
        assert json.loads(other.read_text())["version"] == claim["version"] + 1
    finally:
        server.stop()
