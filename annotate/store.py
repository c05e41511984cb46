"""The claim store: one pretty, key-sorted JSON file per claim. All disk access to it is here.

Writes are atomic (temp file, fsync, rename, directory fsync) and compare-and-set on the claim's
`version` under a lock that holds across threads and across server processes on one machine:
a write names the version it read, and a stale one is refused, never merged.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from .errors import AlreadyExists, BrokenRecord, NotFound, StaleVersion
from .models import Claim, error_details

LOCK_STRIPES = 64
TRASH = ".trash"


@dataclass(frozen=True)
class StoreProblem:
    """A claim file that cannot be used as it is: unparseable, invalid, misnamed, duplicated."""

    path: Path
    claim: str | None
    field: str
    message: str
    kind: str


@dataclass
class _Entry:
    signature: tuple[int, int, int]
    claim: Claim | None
    problems: list[StoreProblem]


def now() -> datetime:
    """The current time in UTC, to the second (what history and reviews record)."""
    return datetime.now(UTC).replace(microsecond=0)


def dumps(claim: Claim) -> str:
    """A claim as it is stored: pretty, keys sorted, trailing newline (git diffs read well)."""
    return to_json(claim.model_dump(mode="json", exclude_none=True))


def _signature(st: os.stat_result) -> tuple[int, int, int]:
    return (st.st_mtime_ns, st.st_size, st.st_ino)


@dataclass
class Store:
    """The claims of one store folder, cached in memory and re-read when their files change."""

    root: Path
    fsync: bool = True
    _entries: dict[str, _Entry] = field(default_factory=dict)
    _cache_lock: threading.Lock = field(default_factory=threading.Lock)
    _stripes: list[threading.Lock] = field(
        default_factory=lambda: [threading.Lock() for _ in range(LOCK_STRIPES)]
    )
    _lock_fds: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.root = Path(self.root)

    # -- reading -------------------------------------------------------------------------

    def path_for(self, claim_id: str) -> Path:
        """The file that holds a claim."""
        return self.root / f"{claim_id}.json"

    def scan(self) -> tuple[dict[str, Claim], list[StoreProblem]]:
        """Every valid claim by id, and the problems of the files that are not.

        Files are re-read only when their size, mtime or inode changed since the last scan.
        A broken file never hides the others.
        """
        if not self.root.is_dir():
            raise NotFound(f"store folder {self.root} does not exist")
        with self._cache_lock:
            seen: set[str] = set()
            with os.scandir(self.root) as it:
                for entry in it:
                    name = entry.name
                    if name.startswith(".") or not name.endswith(".json"):
                        continue
                    try:
                        sig = _signature(entry.stat())
                    except FileNotFoundError:
                        continue
                    seen.add(name)
                    cached = self._entries.get(name)
                    if cached is None or cached.signature != sig:
                        self._entries[name] = self._read_entry(Path(entry.path), sig)
            for gone in set(self._entries) - seen:
                del self._entries[gone]
            claims: dict[str, Claim] = {}
            problems: list[StoreProblem] = []
            first_file: dict[str, str] = {}
            for name in sorted(self._entries):
                e = self._entries[name]
                problems.extend(e.problems)
                if e.claim is None:
                    continue
                if e.claim.id in claims:
                    problems.append(
                        StoreProblem(
                            self.root / name,
                            e.claim.id,
                            "id",
                            f"duplicated id: '{e.claim.id}' is also the id in "
                            f"{first_file[e.claim.id]}",
                            "duplicate",
                        )
                    )
                    continue
                claims[e.claim.id] = e.claim
                first_file[e.claim.id] = name
            return claims, problems

    def _read_entry(self, path: Path, sig: tuple[int, int, int]) -> _Entry:
        claim, problems = self._parse(path)
        return _Entry(sig, claim, problems)

    def _parse(self, path: Path) -> tuple[Claim | None, list[StoreProblem]]:
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None, [StoreProblem(path, None, "(file)", "the file vanished", "io")]
        try:
            data = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            return None, [StoreProblem(path, None, "(file)", f"not UTF-8: {exc}", "json")]
        except json.JSONDecodeError as exc:
            return None, [
                StoreProblem(
                    path,
                    None,
                    "(file)",
                    f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
                    "json",
                )
            ]
        claim_id = data.get("id") if isinstance(data, dict) else None
        claim_id = claim_id if isinstance(claim_id, str) else None
        try:
            claim = Claim.model_validate(data)
        except ValidationError as exc:
            return None, [
                StoreProblem(path, claim_id, d["field"], d["message"], "schema")
                for d in error_details(exc)
            ]
        if path.stem != claim.id:
            return None, [
                StoreProblem(
                    path,
                    claim.id,
                    "id",
                    f"the file name must be the claim id: expected {claim.id}.json",
                    "filename",
                )
            ]
        return claim, []

    def claims(self) -> list[Claim]:
        """Every valid claim, sorted by id."""
        found, _ = self.scan()
        return [found[k] for k in sorted(found)]

    def get(self, claim_id: str) -> Claim:
        """One claim, as it is on disk now.

        :raise NotFound: no such claim. :raise BrokenRecord: its file does not validate.
        """
        path = self.path_for(claim_id)
        if not _safe_id(claim_id) or not path.is_file():
            raise NotFound(f"no claim '{claim_id}'")
        claim, problems = self._parse(path)
        if claim is None:
            raise BrokenRecord(
                f"claim file {path.name} is broken: "
                + "; ".join(f"{p.field}: {p.message}" for p in problems)
            )
        return claim

    def exists(self, claim_id: str) -> bool:
        """Whether a file for that claim id exists (valid or not)."""
        return _safe_id(claim_id) and self.path_for(claim_id).exists()

    # -- writing -------------------------------------------------------------------------

    @contextmanager
    def locked(self, claim_id: str) -> Iterator[None]:
        """Hold the write lock of one claim (threads of this process and other processes).

        One of `LOCK_STRIPES` locks: a thread lock, then `flock` on that stripe's lock file.
        Not POSIX record locks (`lockf`): those belong to the whole process, so the kernel's
        deadlock check mistakes two processes whose threads wait on different stripes held by
        each other for a deadlock and fails the write with EDEADLK. `flock` locks belong to
        an open file and are never refused that way.
        """
        stripe = zlib.crc32(claim_id.encode()) % LOCK_STRIPES
        with self._stripes[stripe]:
            fd = self._lock_file(stripe)
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def _lock_file(self, stripe: int) -> int:
        fd = self._lock_fds.get(stripe)
        if fd is None:
            # Outside the store so that nothing but claims is ever in the repository.
            key = hashlib.sha256(str(self.root.resolve()).encode()).hexdigest()[:20]
            lock_dir = Path(tempfile.gettempdir()) / "annotate-locks" / key
            lock_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(lock_dir / f"{stripe}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            self._lock_fds[stripe] = fd
        return fd

    def create(self, claim: Claim) -> Claim:
        """Write a new claim.

        :raise AlreadyExists: a claim file with that id is there already.
        """
        with self.locked(claim.id):
            if self.path_for(claim.id).exists():
                raise AlreadyExists(f"a claim with id '{claim.id}' exists already")
            self._write(claim)
        return claim

    def update(
        self, claim_id: str, expected_version: int, change: Callable[[Claim], Claim]
    ) -> Claim:
        """Compare-and-set: apply `change` to the claim if its version is still the one read.

        `change` gets the current claim and returns the new one (with version + 1).

        :raise StaleVersion: the claim changed since `expected_version`; carries the current one.
        """
        with self.locked(claim_id):
            current = self.get(claim_id)
            if current.version != expected_version:
                raise StaleVersion(
                    f"claim '{claim_id}' is at version {current.version}, not "
                    f"{expected_version}: someone else changed it since you read it",
                    current,
                )
            new = change(current)
            if new.version != current.version + 1 or new.id != current.id:
                raise AssertionError("a change must keep the id and add one to the version")
            self._write(new)
            return new

    def delete(
        self, claim_id: str, expected_version: int, tombstone: Callable[[Claim], Claim]
    ) -> Claim:
        """Move a claim out of the store into `.trash/`, with its history: nothing is lost.

        :raise StaleVersion: the claim changed since `expected_version`.
        """
        with self.locked(claim_id):
            current = self.get(claim_id)
            if current.version != expected_version:
                raise StaleVersion(
                    f"claim '{claim_id}' is at version {current.version}, not "
                    f"{expected_version}: someone else changed it since you read it",
                    current,
                )
            final = tombstone(current)
            trash = self.root / TRASH
            trash.mkdir(exist_ok=True)
            stamp = now().strftime("%Y%m%dT%H%M%SZ")
            self._atomic_write(
                trash / f"{claim_id}.v{final.version}.{stamp}.json", dumps(final).encode()
            )
            os.unlink(self.path_for(claim_id))
            self._fsync_dir(self.root)
            return final

    def write_unchecked(self, claim: Claim) -> None:
        """Write a claim as given, under its lock (for bulk tools such as import)."""
        with self.locked(claim.id):
            self._write(claim)

    def sweep(self) -> list[Path]:
        """Remove the temp files of writes that a crash interrupted; the paths removed.

        A write's temp file (`.<claim-id>.json.<random>.tmp`, in `.trash/` for deletions) only
        exists while its writer holds the claim's lock, so one whose lock can be taken is left
        over from a process that died mid-write: its rename never happened, the claim file is
        the previous version, and the temp file is not a claim. Reading ignores such files
        anyway (names starting with a dot); this keeps them from piling up. Safe while other
        processes serve the same store: a live write holds the lock.
        """
        removed: list[Path] = []
        for folder in (self.root, self.root / TRASH):
            if not folder.is_dir():
                continue
            for path in sorted(folder.glob(".*.tmp")):
                claim_id = path.name[1:].split(".", 1)[0]
                if not _safe_id(claim_id):
                    continue
                with self.locked(claim_id), _suppress():
                    path.unlink()
                    removed.append(path)
        return removed

    def _write(self, claim: Claim) -> None:
        self._atomic_write(self.path_for(claim.id), dumps(claim).encode("utf-8"))

    def _atomic_write(self, path: Path, data: bytes) -> None:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                if self.fsync:
                    os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except BaseException:
            with _suppress():
                os.unlink(tmp)
            raise
        if self.fsync:
            self._fsync_dir(path.parent)

    def _fsync_dir(self, folder: Path) -> None:
        if not self.fsync:
            return
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


@contextmanager
def _suppress() -> Iterator[None]:
    try:
        yield
    except OSError:
        pass


def _safe_id(claim_id: str) -> bool:
    # Ids are at most 80 characters (models.ClaimId); a longer name would make the OS raise.
    return (
        0 < len(claim_id) <= 120
        and "/" not in claim_id
        and "\\" not in claim_id
        and not claim_id.startswith(".")
        and "\x00" not in claim_id
    )


def to_json(data: Any) -> str:
    """Deterministic pretty JSON (sorted keys, UTF-8 as is, trailing newline).

    The bytes are those of `json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)`
    (tests pin them); orjson makes them in C, where `json` indents in Python: an export of
    100,000 claims spent more time indenting than reading the store.
    """
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n"
