"""The corpus: plain-text documents in a folder, each with an optional metadata sidecar.

A document is `<id>.txt` (UTF-8); its metadata is `<id>.json` beside it (see `DocumentMeta`).
Offsets are `str` indices into the text exactly as stored: no newline translation, no
normalisation when reading. All disk access to the corpus folder happens here: reading, adding a
new document (both files written atomically, never over an existing one), rewriting metadata,
and replacing a text (only through `Workspace.replace_text`, which re-anchors the claims).
Writes hold an exclusive `flock` on the corpus folder, across threads and processes.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import stat
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from pydantic import ValidationError

from ..errors import AlreadyExists, NotFound, StaleText, detail
from .files import folder_state, read_bytes
from .models import Document, DocumentMeta, error_details

FULL_CHECK_SECONDS = 60.0
"""How often a listing stats every file, to notice documents edited in place."""
RACY_NS = 1_000_000_000
"""A folder changed this recently may change again within the same timestamp: look again."""


def _safe_name(doc_id: str) -> bool:
    return (
        0 < len(doc_id) <= 200
        and "/" not in doc_id
        and "\\" not in doc_id
        and not doc_id.startswith(".")
        and "\x00" not in doc_id
    )


def meta_json(meta: DocumentMeta) -> str:
    """A sidecar as the shipped ones are: every field (null when unknown), keys sorted,
    two-space indent, non-ASCII kept, trailing newline."""
    data = meta.model_dump(mode="json")
    if not data["aliases"]:
        del data["aliases"]  # a page with one URL says nothing of others
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _kept_signature(sig: tuple[int, int, int, int], inodes: tuple[int, int]) -> str:
    """A document's files' signature as the kept index holds it: what `json.dumps` makes of
    the six ints (written by it before; formatted directly, 10,000 calls of it took a sixth
    of a warm start's look at the corpus)."""
    return "[%d, %d, %d, %d, %d, %d]" % (*sig, *inodes)  # noqa: UP031 - the ints only


def sha256_text(text: str) -> str:
    """The sha256 of a text as it is stored (UTF-8), as documents report it."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class KeptDocuments(Protocol):
    """Where a corpus keeps what it knows of its documents between runs (the store's
    `persisted.IndexFile`): rows of (files' signature, sha256, length, metadata JSON)."""

    def documents(self, corpus: Path) -> dict[str, tuple[str, str, int, bytes]]: ...

    def save_documents(
        self, corpus: Path, changed: dict[str, tuple[str, str, int, bytes] | None]
    ) -> bool: ...


@dataclass(frozen=True)
class CorpusProblem:
    """Something wrong with a corpus file (bad encoding, bad metadata)."""

    path: Path
    field: str
    message: str


@dataclass
class CorpusDocument:
    """A loaded document: its metadata, its length and the identity of its text.

    The text itself is not kept in memory (a newsroom corpus is larger than the claims about
    it): `text` reads it from its file, which `Corpus.get` has just checked is the one loaded.
    """

    id: str
    meta: DocumentMeta
    sha256: str
    file: str
    """Its text file's path (`path` as a `Path`: made when asked for, as a start from the
    kept index makes 10,000 documents and asks for none)."""
    length: int
    signature: tuple[int, int, int, int] = (0, 0, 0, 0)
    inodes: tuple[int, int] = (0, 0)

    @property
    def path(self) -> Path:
        """Its text file."""
        return Path(self.file)

    @property
    def text(self) -> str:
        """The text, exactly as stored (undecodable bytes replaced, and reported).

        :raise NotFound: the file is gone.
        """
        try:
            raw = read_bytes(self.file)
        except FileNotFoundError:
            raise NotFound(f"document '{self.id}' is gone from the corpus") from None
        return raw.decode("utf-8", errors="replace")

    def info(self) -> Document:
        """Metadata with id, sha256 and length, as the API lists documents."""
        return Document(
            id=self.id, sha256=self.sha256, length=self.length, **self.meta.model_dump()
        )


@dataclass
class Corpus:
    """The documents of a corpus folder, reloaded when their files change."""

    root: Path
    _docs: dict[str, CorpusDocument] = field(default_factory=dict)
    _problems: dict[str, list[CorpusProblem]] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _folder: tuple[int, int] | None = None
    _folder_settled: bool = False
    _last_full: float = 0.0
    _docs_at: int = 0
    _sorted: tuple[int, list[CorpusDocument]] | None = None
    _kept: KeptDocuments | None = None
    """Where what is known of each document is kept between runs (see `keep_index`)."""
    _kept_rows: dict[str, tuple[str, str, int, bytes]] | None = None
    _root_name: str = field(init=False, default="")
    _unsaved: dict[str, tuple[str, str, int, bytes] | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        self._root_name = str(self.root)

    def keep_index(self, kept: KeptDocuments) -> None:
        """Keep what is known of each document (its files' signature, the sha256 and length
        of its text, its metadata) in `kept` between runs, as a server does: the first look
        at the folder then reads only the documents whose files changed since (a start at
        10,000 documents read 35 MB of text to know them again). Call before the first look."""
        with self._lock:
            self._kept = kept

    def refresh(self, full: bool = False) -> None:
        """Load new and changed documents; forget removed ones.

        Cheap when nothing changed: one stat of the folder. When its mtime changed (a file
        was added, removed or replaced by a rename), the folder is listed and only documents
        whose text or metadata file has another inode are stat-ed. Every `FULL_CHECK_SECONDS`,
        and with `full`, every file is stat-ed, to notice edits made in place. `get` always
        checks the one document it returns.
        """
        with self._lock:
            # Stat-ed under the lock, as the store's index is (see `Index.refresh`).
            folder = folder_state(self.root, "corpus")
            due = time.monotonic() - self._last_full > FULL_CHECK_SECONDS
            if not (full or due) and folder == self._folder and self._folder_settled:
                return
            full = full or due
            sampled = time.time_ns()
            if self._kept is not None and self._folder is None:
                self._kept_rows = self._kept.documents(self.root)
            texts: dict[str, os.DirEntry[str]] = {}
            inodes: dict[str, int] = {}
            with os.scandir(self.root) as entries:
                for entry in entries:
                    inodes[entry.name] = entry.inode()
                    if entry.name.endswith(".txt"):
                        texts[entry.name[: -len(".txt")]] = entry
            seen: set[str] = set()
            for doc_id, entry in texts.items():
                old = self._docs.get(doc_id)
                if (
                    not full
                    and old is not None
                    and old.inodes == (inodes[entry.name], inodes.get(f"{doc_id}.json", 0))
                ):
                    seen.add(doc_id)
                    continue
                if not entry.is_file():
                    continue
                seen.add(doc_id)
                self._check(doc_id)
            for gone in set(self._docs) - seen:
                del self._docs[gone]
                self._problems.pop(gone, None)
                self._docs_at += 1
                if self._kept is not None:
                    self._unsaved[gone] = None
            if self._kept_rows is not None:
                self._unsaved.update(dict.fromkeys(set(self._kept_rows) - seen))
                self._kept_rows = None
            if self._kept is not None and self._unsaved:
                changed, self._unsaved = self._unsaved, {}
                self._kept.save_documents(self.root, changed)  # else read again next start
            self._folder = folder
            self._folder_settled = folder[0] < sampled - RACY_NS
            if full:
                self._last_full = time.monotonic()

    def _check(self, doc_id: str) -> bool:
        """Stat one document's files and (re)load it if they changed; False if it is gone."""
        # Stat-ed by their names as strings (10,000 documents' `Path`s made to stat them were
        # a fifth of a warm start's look at the corpus); a `Path` made for the one loaded.
        text_name = os.path.join(self._root_name, doc_id + ".txt")
        try:
            st = os.stat(text_name)
        except (FileNotFoundError, NotADirectoryError):
            return False
        if not stat.S_ISREG(st.st_mode):
            return False
        try:
            mst = os.stat(os.path.join(self._root_name, doc_id + ".json"))
            msig, mino = (mst.st_mtime_ns, mst.st_size), mst.st_ino
        except FileNotFoundError:
            msig, mino = (0, -1), 0
        sig = (st.st_mtime_ns, st.st_size, *msig)
        old = self._docs.get(doc_id)
        if old is not None and old.signature == sig and old.inodes == (st.st_ino, mino):
            return True
        inodes = (st.st_ino, mino)
        if not self._from_kept(doc_id, text_name, sig, inodes):
            self._load(doc_id, Path(text_name), self.root / f"{doc_id}.json", sig)
            self._docs[doc_id].inodes = inodes
            if self._kept is not None:
                doc = self._docs[doc_id]
                self._unsaved[doc_id] = (
                    None
                    if self._problems[doc_id]
                    else (
                        _kept_signature(sig, inodes),
                        doc.sha256,
                        doc.length,
                        doc.meta.model_dump_json().encode(),
                    )
                )
        self._docs_at += 1
        return True

    def _from_kept(
        self, doc_id: str, path: str, sig: tuple[int, int, int, int], inodes: tuple[int, int]
    ) -> bool:
        """Take a document from the kept rows (see `keep_index`) when its files are the ones
        kept there; whether it was."""
        row = self._kept_rows.pop(doc_id, None) if self._kept_rows else None
        if row is None or row[0] != _kept_signature(sig, inodes):
            return False
        try:
            meta = DocumentMeta.model_validate_json(row[3])
        except ValidationError:
            return False  # kept by another version: read the files
        self._docs[doc_id] = CorpusDocument(doc_id, meta, row[1], path, row[2], sig, inodes)
        self._problems[doc_id] = []
        return True

    def _load(
        self, doc_id: str, path: Path, meta_path: Path, sig: tuple[int, int, int, int]
    ) -> None:
        problems: list[CorpusProblem] = []
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(CorpusProblem(path, "text", f"not UTF-8: {exc}"))
            text = raw.decode("utf-8", errors="replace")
        meta = DocumentMeta(title=doc_id)
        if meta_path.exists():
            try:
                data = json.loads(meta_path.read_text(encoding="utf-8"))
                meta = DocumentMeta.model_validate(data)
            except json.JSONDecodeError as exc:
                problems.append(
                    CorpusProblem(
                        meta_path, "(file)", f"not valid JSON: {exc.msg} at line {exc.lineno}"
                    )
                )
            except ValidationError as exc:
                for d in error_details(exc):
                    problems.append(CorpusProblem(meta_path, d["field"], d["message"]))
        self._docs[doc_id] = CorpusDocument(
            id=doc_id,
            meta=meta,
            sha256=hashlib.sha256(raw).hexdigest(),
            file=str(path),
            length=len(text),
            signature=sig,
        )
        self._problems[doc_id] = problems

    @property
    def generation(self) -> int:
        """A number that changes whenever a document is loaded, reloaded or forgotten."""
        return self._docs_at

    def text_files(self) -> dict[str, str]:
        """The path of each document's text file, by id, as the folder lists them now (no
        reading, no metadata). :raise NotFound: the corpus folder does not exist."""
        if not self.root.is_dir():
            raise NotFound(f"corpus folder {self.root} does not exist")
        with os.scandir(self.root) as entries:
            return {
                e.name[: -len(".txt")]: e.path
                for e in entries
                if e.name.endswith(".txt") and e.is_file()
            }

    def documents(self) -> list[CorpusDocument]:
        """Every document, sorted by id."""
        self.refresh()
        with self._lock:
            if self._sorted is None or self._sorted[0] != self._docs_at:
                self._sorted = (self._docs_at, [self._docs[k] for k in sorted(self._docs)])
            return list(self._sorted[1])

    def get(self, doc_id: str) -> CorpusDocument:
        """One document.

        :raise NotFound: when there is no such document.
        """
        with self._lock:
            if _safe_name(doc_id) and self._check(doc_id):
                return self._docs[doc_id]
            if self._docs.pop(doc_id, None) is not None:
                self._docs_at += 1
            self._problems.pop(doc_id, None)
        if not self.root.is_dir():
            raise NotFound(f"corpus folder {self.root} does not exist")
        raise NotFound(f"no document '{doc_id}' in {self.root}") from None

    def peek(self, doc_id: str) -> CorpusDocument | None:
        """A document as last loaded, without looking at the disk (None if not loaded)."""
        return self._docs.get(doc_id)

    def has(self, doc_id: str) -> bool:
        """Whether the corpus has a document of that id (without refreshing)."""
        if not self._docs:
            self.refresh()
        return doc_id in self._docs

    def problems(self) -> list[CorpusProblem]:
        """Problems found in the corpus files (undecodable text, invalid metadata)."""
        self.refresh(full=True)
        return [p for k in sorted(self._problems) for p in self._problems[k]]

    # -- writing ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Exclusive lock on the corpus folder (threads and processes alike)."""
        fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def _temp(self, data: bytes) -> Path:
        # Named so that no reader takes it for a document (`*.txt`) or a sidecar (`*.json`);
        # created with mode 0666 less the umask, as any file the user writes.
        for _ in range(100):
            path = self.root / f".annotate-{secrets.token_hex(8)}.tmp"
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
                break
            except FileExistsError:
                continue
        else:  # pragma: no cover - 100 collisions of 64 random bits
            raise FileExistsError(f"no free temporary name in {self.root}")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        except BaseException:
            path.unlink()
            raise
        return path

    def _fsync_dir(self) -> None:
        dfd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)

    def taken(self, doc_id: str) -> bool:
        """Whether a new document may not use this id: its text or sidecar exists, also in
        another letter case (the corpus must survive a checkout on a case-blind disk)."""
        folded = {doc_id.casefold() + ".txt", doc_id.casefold() + ".json"}
        with os.scandir(self.root) as entries:
            return any(e.name.casefold() in folded for e in entries)

    def add(self, doc_id: str, text: str, meta: DocumentMeta) -> CorpusDocument:
        """Write a new document: sidecar then text, each through a temp file, fsync and a hard
        link that fails rather than replace an existing file; directory fsync at the end.

        :raise AlreadyExists: when the id is taken (nothing is written).
        """
        if not self.root.is_dir():
            raise NotFound(f"corpus folder {self.root} does not exist")
        txt, side = self.root / f"{doc_id}.txt", self.root / f"{doc_id}.json"
        with self._locked():
            if self.taken(doc_id):
                raise AlreadyExists(
                    f"a document '{doc_id}' exists already in {self.root}",
                    [detail("id", f"'{doc_id}' is taken")],
                )
            tmp_meta = self._temp(meta_json(meta).encode("utf-8"))
            tmp_text = self._temp(text.encode("utf-8"))
            linked: list[Path] = []
            try:
                for tmp, final in ((tmp_meta, side), (tmp_text, txt)):
                    os.link(tmp, final)
                    linked.append(final)
            except BaseException:
                for path in linked:
                    path.unlink()
                raise
            finally:
                tmp_meta.unlink()
                tmp_text.unlink()
            self._fsync_dir()
        with self._lock:
            self._docs.pop(doc_id, None)
        return self.get(doc_id)

    def set_meta(self, doc_id: str, meta: DocumentMeta, expected: str | None) -> CorpusDocument:
        """Rewrite a document's sidecar (atomic replace); `expected` is the sha256 of the
        sidecar that was read (`meta_version`), so a change made meanwhile is not lost.

        :raise NotFound: :raise StaleText: when the sidecar changed since it was read.
        """
        doc = self.get(doc_id)
        side = self.root / f"{doc_id}.json"
        with self._locked():
            if expected is not None and expected != self.meta_version(doc_id):
                raise StaleText(
                    f"the details of '{doc_id}' were changed meanwhile: reload and try again",
                    [detail("meta_version", "stale")],
                )
            tmp = self._temp(meta_json(meta).encode("utf-8"))
            os.replace(tmp, side)
            self._fsync_dir()
        with self._lock:
            self._docs.pop(doc.id, None)
        return self.get(doc_id)

    def meta_version(self, doc_id: str) -> str:
        """The sha256 of a document's sidecar file as it is on disk (of no bytes when it has
        none): what a change of metadata names to show which version it read."""
        try:
            data = (self.root / f"{doc_id}.json").read_bytes()
        except FileNotFoundError:
            data = b""
        return hashlib.sha256(data).hexdigest()

    def has_sidecar(self, doc_id: str) -> bool:
        """Whether the document has a metadata file (else its metadata are the defaults)."""
        return (self.root / f"{doc_id}.json").is_file()

    def replace_text(self, doc_id: str, text: str, expected_sha256: str) -> CorpusDocument:
        """Replace a document's text (atomic replace) if it is still the one that was read.

        Only `Workspace.replace_text` calls this: it re-anchors the claims right after.

        :raise NotFound: :raise StaleText: when the text changed since it was read.
        """
        doc = self.get(doc_id)
        with self._locked():
            current = hashlib.sha256(doc.path.read_bytes()).hexdigest()
            if current != expected_sha256:
                raise StaleText(
                    f"the text of '{doc_id}' was changed meanwhile: look at the new preview",
                    [detail("base", "the text changed since the preview")],
                )
            tmp = self._temp(text.encode("utf-8"))
            os.replace(tmp, doc.path)
            self._fsync_dir()
        with self._lock:
            self._docs.pop(doc_id, None)
        return self.get(doc_id)

    def remove_new(self, doc_id: str) -> None:
        """Take back a document this process has just added (a batch that failed midway)."""
        with self._locked():
            for suffix in (".txt", ".json"):
                (self.root / f"{doc_id}{suffix}").unlink(missing_ok=True)
            self._fsync_dir()
        with self._lock:
            self._docs.pop(doc_id, None)
