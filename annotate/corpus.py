"""The corpus: plain-text documents in a folder, each with an optional metadata sidecar.

A document is `<id>.txt` (UTF-8, never rewritten by the tool); its metadata is `<id>.json`
beside it (see `DocumentMeta`). Offsets are `str` indices into the text exactly as stored: no
newline translation, no normalisation. All disk access to the corpus folder happens here.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from .errors import NotFound
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
    path: Path
    length: int
    signature: tuple[int, int, int, int] = (0, 0, 0, 0)
    inodes: tuple[int, int] = (0, 0)

    @property
    def text(self) -> str:
        """The text, exactly as stored (undecodable bytes replaced, and reported).

        :raise NotFound: the file is gone.
        """
        try:
            raw = self.path.read_bytes()
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

    def __post_init__(self) -> None:
        self.root = Path(self.root)

    def refresh(self, full: bool = False) -> None:
        """Load new and changed documents; forget removed ones.

        Cheap when nothing changed: one stat of the folder. When its mtime changed (a file
        was added, removed or replaced by a rename), the folder is listed and only documents
        whose text or metadata file has another inode are stat-ed. Every `FULL_CHECK_SECONDS`,
        and with `full`, every file is stat-ed, to notice edits made in place. `get` always
        checks the one document it returns.
        """
        try:
            st = os.stat(self.root)
        except (FileNotFoundError, NotADirectoryError):
            raise NotFound(f"corpus folder {self.root} does not exist") from None
        if not stat.S_ISDIR(st.st_mode):
            raise NotFound(f"corpus folder {self.root} does not exist")
        folder = (st.st_mtime_ns, st.st_ino)
        with self._lock:
            due = time.monotonic() - self._last_full > FULL_CHECK_SECONDS
            if not (full or due) and folder == self._folder and self._folder_settled:
                return
            full = full or due
            sampled = time.time_ns()
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
            self._folder = folder
            self._folder_settled = folder[0] < sampled - RACY_NS
            if full:
                self._last_full = time.monotonic()

    def _check(self, doc_id: str) -> bool:
        """Stat one document's files and (re)load it if they changed; False if it is gone."""
        path = self.root / f"{doc_id}.txt"
        meta_path = self.root / f"{doc_id}.json"
        try:
            st = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            return False
        if not stat.S_ISREG(st.st_mode):
            return False
        try:
            mst = os.stat(meta_path)
            msig, mino = (mst.st_mtime_ns, mst.st_size), mst.st_ino
        except FileNotFoundError:
            msig, mino = (0, -1), 0
        sig = (st.st_mtime_ns, st.st_size, *msig)
        old = self._docs.get(doc_id)
        if old is not None and old.signature == sig and old.inodes == (st.st_ino, mino):
            return True
        self._load(doc_id, path, meta_path, sig)
        self._docs[doc_id].inodes = (st.st_ino, mino)
        self._docs_at += 1
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
            path=path,
            length=len(text),
            signature=sig,
        )
        self._problems[doc_id] = problems

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
        if not self.root.is_dir():
            raise NotFound(f"corpus folder {self.root} does not exist")
        with self._lock:
            if _safe_name(doc_id) and self._check(doc_id):
                return self._docs[doc_id]
            if self._docs.pop(doc_id, None) is not None:
                self._docs_at += 1
            self._problems.pop(doc_id, None)
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
