"""Concurrent verdict writers over HTTP, a ledger of what the server acknowledged, and the
proof afterwards, from the store's files, that no acknowledged write was lost.

A writer is a thread with its own keep-alive connection. It reads a claim (`GET`), then sends
`PUT /api/claims/<id>/verdict` with `If-Match` naming the version it read and a rationale no
other write uses. A 200 is an acknowledged write: the ledger keeps the claim, the version the
server answered and the rationale. A 412 is a refusal: the writer re-reads the claim and goes
on. Anything else (a broken connection, a 5xx) is an error; when the connection broke the
server may or may not have applied the write, so it is *in doubt*: it may appear in the
history, but nothing it did not send may appear there.

`verify` then reads every claim file the writers touched and checks, for each acknowledged
write, that the history has an entry at exactly that version recording exactly that rationale,
that the history is the unbroken sequence 1..version, and that the file holds the last write.
"""

from __future__ import annotations

import json
import random
import secrets
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .serving import Client


@dataclass(frozen=True)
class Ack:
    """A write the server acknowledged (200)."""

    claim: str
    version: int
    rationale: str
    seconds: float


@dataclass
class Ledger:
    """Everything the writers sent and what the server answered; thread-safe."""

    acks: list[Ack] = field(default_factory=list)
    refused: int = 0
    refusals: list[str] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    sent: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def attempt(self, claim: str, rationale: str) -> None:
        with self._lock:
            self.sent[claim].add(rationale)

    def ack(self, a: Ack) -> None:
        with self._lock:
            self.acks.append(a)

    def refuse(self, detail: str = "") -> None:
        with self._lock:
            self.refused += 1
            if len(self.refusals) < 100:
                self.refusals.append(detail)

    def error(self, kind: str) -> None:
        with self._lock:
            self.errors[kind] += 1

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def verdict_body(claim: dict[str, Any], rationale: str) -> dict[str, Any]:
    """A valid verdict for a claim: confirmed, citing its own first appearance as support."""
    a = claim["appearances"][0]
    quote = {k: a[k] for k in ("doc", "start", "end", "exact")}
    return {
        "verdict": "confirmed",
        "rationale": rationale,
        "sources": [{"stance": "supports", "quote": quote}],
    }


def writer(
    client: Client,
    claims: list[str],
    ledger: Ledger,
    stop: threading.Event,
    name: str,
    seed: int = 0,
    max_writes: int | None = None,
    known: dict[str, dict[str, Any]] | None = None,
) -> None:
    """Write verdicts on random claims of `claims` until `stop` (or `max_writes` acks).

    `known` is claims already read (their `version` and `appearances`), to start without GETs.
    """
    rng = random.Random(f"{name}-{seed}")
    token = secrets.token_hex(4)
    read: dict[str, dict[str, Any]] = dict(known or {})
    n = 0
    done = 0
    while not stop.is_set() and (max_writes is None or done < max_writes):
        cid = rng.choice(claims)
        try:
            if cid not in read:
                status, body = client.json("GET", f"/api/claims/{cid}")
                if status != 200:
                    ledger.error(f"GET {status}")
                    continue
                read[cid] = body
            current = read[cid]
            n += 1
            rationale = f"{name} write {n} ({token})"
            ledger.attempt(cid, rationale)
            t0 = time.perf_counter()
            status, _, payload = client.request(
                "PUT",
                f"/api/claims/{cid}/verdict",
                verdict_body(current, rationale),
                {"If-Match": f'"{current["version"]}"'},
            )
            seconds = time.perf_counter() - t0
        except ConnectionRefusedError:  # the request never reached a server
            read.pop(cid, None)
            ledger.error("no connection")
            time.sleep(0.01)
            continue
        except Exception as exc:  # noqa: BLE001 - a broken connection: the write is in doubt
            read.pop(cid, None)
            if not stop.is_set():
                ledger.error(f"in doubt: {type(exc).__name__}")
                time.sleep(0.01)
            else:
                ledger.error("in doubt: server stopped")
            continue
        if status == 200:
            new = json.loads(payload)
            ledger.ack(Ack(cid, int(new["version"]), rationale, seconds))
            read[cid] = new
            done += 1
        elif status == 412:
            current = json.loads(payload).get("current", {})
            ledger.refuse(
                f"{cid}: sent If-Match {read[cid]['version']} as {name}, "
                f"current version {current.get('version')} by {current.get('reviewer')}: "
                f"{current.get('rationale')!r}"
            )
            read.pop(cid, None)  # re-read before trying again
        else:
            ledger.error(f"HTTP {status}")
            read.pop(cid, None)


@dataclass
class Proof:
    """What the store's files say about the ledger."""

    checked: int = 0
    lost: list[str] = field(default_factory=list)
    phantom: list[str] = field(default_factory=list)
    broken_files: list[str] = field(default_factory=list)
    final_versions: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.phantom or self.broken_files)


def read_claims(store: Path) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Every claim file of a store folder parsed as JSON, and the names that do not parse."""
    claims: dict[str, dict[str, Any]] = {}
    broken: list[str] = []
    for path in sorted(store.glob("*.json")):
        try:
            data = json.loads(path.read_bytes())
        except ValueError as exc:
            broken.append(f"{path.name}: {exc}")
            continue
        claims[path.stem] = data
    return claims, broken


def verify(
    store: Path, ledger: Ledger, initial: dict[str, int], ids: Iterable[str] | None = None
) -> Proof:
    """Check every acknowledged write against the claim files of `store`.

    `initial` is each claim's version before the writers started; a history entry above it
    must be a write some writer sent (no content from nowhere), every acknowledged write must
    be in the history at its version with its rationale, the history must run 1..version
    without a gap, and the file must hold its last entry's rationale.
    """
    files, broken = read_claims(store)
    proof = Proof(broken_files=broken)
    by_claim: dict[str, list[Ack]] = defaultdict(list)
    for a in ledger.acks:
        by_claim[a.claim].append(a)
    for cid in sorted(set(ids or ()) | set(by_claim) | set(ledger.sent)):
        data = files.get(cid)
        if data is None:
            proof.lost += [f"{cid}: the claim file is gone"] * max(1, len(by_claim[cid]))
            continue
        history = data.get("history", [])
        versions = [h.get("version") for h in history]
        version = data.get("version")
        proof.final_versions[cid] = int(version or 0)
        if versions != list(range(1, len(history) + 1)) or version != len(history):
            proof.lost.append(f"{cid}: version {version}, history versions {versions[-5:]}…")
        entries = {h.get("version"): h for h in history}
        for a in by_claim[cid]:
            proof.checked += 1
            h = entries.get(a.version)
            got = _rationale(h)
            if h is None or h.get("action") != "verdict" or got != a.rationale:
                proof.lost.append(
                    f"{cid} v{a.version}: acknowledged {a.rationale!r}, history has {got!r}"
                )
        for h in history:
            if h.get("version", 0) > initial.get(cid, 0) and h.get("action") == "verdict":
                if _rationale(h) not in ledger.sent[cid]:
                    proof.phantom.append(f"{cid} v{h.get('version')}: {_rationale(h)!r}")
        if history and history[-1].get("action") == "verdict":
            if data.get("rationale") != _rationale(history[-1]):
                proof.lost.append(f"{cid}: the file does not hold its last change")
    return proof


def _rationale(entry: dict[str, Any] | None) -> str | None:
    if entry is None:
        return None
    change = entry.get("changes", {}).get("rationale")
    return change[1] if isinstance(change, list) and len(change) == 2 else None


def run_writers(
    client_factory: Any,
    groups: list[tuple[list[str], int]],
    ledger: Ledger,
    stop: threading.Event,
    seed: int = 0,
) -> list[threading.Thread]:
    """Start writer threads: for each `(claims, n)` group, n writers over those claims.

    `client_factory` makes a writer's connection; given a list, writer k uses the k-th factory
    round robin (one per server when several servers share a store).
    """
    factories = client_factory if isinstance(client_factory, list) else [client_factory]
    threads = []
    k = 0
    for claims, n in groups:
        for _ in range(n):
            t = threading.Thread(
                target=_run_one,
                args=(factories[k % len(factories)], claims, ledger, stop, f"w{k}", seed),
                daemon=True,
            )
            k += 1
            t.start()
            threads.append(t)
    return threads


def _run_one(
    client_factory: Any,
    claims: list[str],
    ledger: Ledger,
    stop: threading.Event,
    name: str,
    seed: int,
) -> None:
    client = client_factory()
    try:
        writer(client, claims, ledger, stop, name, seed)
    finally:
        client.close()
