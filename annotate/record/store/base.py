"""What every part of `Store` shares: the state of one store folder (declared here, made
by `Store`) and the methods the parts call on each other."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter, OrderedDict
from collections.abc import KeysView
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..models import Claim
from .claimfile import StoreProblem
from .persisted import IndexFile
from .summary import Counts, Entry, Summary


class StoreState:
    """The state of one store (see `Store`, which sets it up)."""

    root: Path
    fsync: bool
    _entries: dict[str, Entry]
    _by_doc: dict[str, list[str]]
    _folder: tuple[int, int] | None
    _folder_settled: bool
    _last_full: float
    _following: bool
    _behind: bool
    _roll: list[str]
    _roll_size: int
    _full: OrderedDict[str, tuple[int, Claim]]
    _cache_lock: threading.RLock
    _stripes: list[threading.Lock]
    _lock_fds: dict[int, int]
    _generation: int
    _derived: dict[str, tuple[int, Any]]
    _doc_summaries: dict[str, tuple[int, list[Summary]]]
    _counts: tuple[int, Counts] | None
    _valid_cache: tuple[int, dict[str, Summary], KeysView[str], list[StoreProblem]] | None
    _claimants: Counter[str]
    _log: tuple[int, int] | None
    _folder_lock: threading.Lock
    _folder_fd: int | None
    _logged: int
    _dirty: set[str] | None
    _kept: IndexFile | None
    _unsaved: dict[str, Entry | None]
    _saved_at: float
    _saving: threading.Lock

    if TYPE_CHECKING:

        def _index(self, name: str, entry: Entry | None) -> None:
            raise NotImplementedError

        def _read_entry(self, path: str, sig: int, parsed: dict[str, Claim] | None) -> Entry:
            raise NotImplementedError

        def _catch_up(self, folder: tuple[int, int], limit: int | None = None) -> bool:
            raise NotImplementedError

        def _log_position(self) -> tuple[int, int]:
            raise NotImplementedError

        def _folder_change(self, name: str) -> contextlib.AbstractContextManager[None]:
            raise NotImplementedError

        def _lock_dir(self) -> Path:
            raise NotImplementedError

        def _open_lock_file(self, name: str, flags: int) -> int:
            raise NotImplementedError
