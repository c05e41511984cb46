"""The corpus: plain-text documents in a folder, each with an optional metadata sidecar.

A document is `<id>.txt` (UTF-8, never rewritten by the tool); its metadata is `<id>.json`
beside it (see `DocumentMeta`). Offsets are `str` indices into the text exactly as stored: no
newline translation, no normalisation. All disk access to the corpus folder happens here.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from .errors import NotFound
from .models import Document, DocumentMeta, error_details


@dataclass(frozen=True)
class CorpusProblem:
    """Something wrong with a corpus file (bad encoding, bad metadata)."""

    path: Path
    field: str
    message: str


@dataclass
class CorpusDocument:
    """A loaded document: its metadata, its text and the identity of that text."""

    id: str
    text: str
    meta: DocumentMeta
    sha256: str
    path: Path
    signature: tuple[int, int, int, int] = (0, 0, 0, 0)

    @property
    def length(self) -> int:
        """Length of the text in code points."""
        return len(self.text)

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
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.root = Path(self.root)

    def refresh(self) -> None:
        """Load new and changed documents; forget removed ones."""
        if not self.root.is_dir():
            raise NotFound(f"corpus folder {self.root} does not exist")
        with self._lock:
            seen: set[str] = set()
            with os.scandir(self.root) as entries:
                for entry in entries:
                    if not entry.name.endswith(".txt") or not entry.is_file():
                        continue
                    doc_id = entry.name[: -len(".txt")]
                    seen.add(doc_id)
                    meta_path = self.root / f"{doc_id}.json"
                    st = entry.stat()
                    try:
                        mst = meta_path.stat()
                        msig = (mst.st_mtime_ns, mst.st_size)
                    except FileNotFoundError:
                        msig = (0, -1)
                    sig = (st.st_mtime_ns, st.st_size, *msig)
                    old = self._docs.get(doc_id)
                    if old is not None and old.signature == sig:
                        continue
                    self._load(doc_id, Path(entry.path), meta_path, sig)
            for gone in set(self._docs) - seen:
                del self._docs[gone]
                self._problems.pop(gone, None)

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
            text=text,
            meta=meta,
            sha256=hashlib.sha256(raw).hexdigest(),
            path=path,
            signature=sig,
        )
        self._problems[doc_id] = problems

    def documents(self) -> list[CorpusDocument]:
        """Every document, sorted by id."""
        self.refresh()
        return [self._docs[k] for k in sorted(self._docs)]

    def get(self, doc_id: str) -> CorpusDocument:
        """One document.

        :raise NotFound: when there is no such document.
        """
        self.refresh()
        try:
            return self._docs[doc_id]
        except KeyError:
            raise NotFound(f"no document '{doc_id}' in {self.root}") from None

    def has(self, doc_id: str) -> bool:
        """Whether the corpus has a document of that id (without refreshing)."""
        if not self._docs:
            self.refresh()
        return doc_id in self._docs

    def problems(self) -> list[CorpusProblem]:
        """Problems found in the corpus files (undecodable text, invalid metadata)."""
        self.refresh()
        return [p for k in sorted(self._problems) for p in self._problems[k]]
