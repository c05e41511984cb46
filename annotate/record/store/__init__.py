"""The claim store (all disk access to it is in this package), by job:

- `claimfile`: the file format (write, read back, what can be wrong with a file);
- `summary`: what the index keeps per file;
- `index`: the in-memory index, its counts and cache, and the thread that follows the folder;
- `changelog`: the log of renames that lets every process follow the others' saves;
- `locks`: per-claim write locks across threads and processes (and after a fork);
- `atomic`: atomic file writes;
- `statcheck`: the start-up check of every file against the kept index (`persisted`);
- `claims`: `Store`, which puts them together: read, create, update, delete, sweep.

The names below are imported when first asked for, not with the package: `statcheck` (the
standard library only) is begun before the app's imports, at the start of `annotate serve`
(see `cli.early`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .claimfile import TRASH, StoreProblem, dumps, to_json
    from .claims import Store
    from .summary import Counts, Mark, Marks, Summary

_WHERE = {
    "TRASH": "claimfile",
    "StoreProblem": "claimfile",
    "dumps": "claimfile",
    "to_json": "claimfile",
    "Store": "claims",
    "Counts": "summary",
    "Mark": "summary",
    "Marks": "summary",
    "Summary": "summary",
}

__all__ = [
    "TRASH",
    "Counts",
    "Mark",
    "Marks",
    "Store",
    "StoreProblem",
    "Summary",
    "dumps",
    "to_json",
]


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{where}", __name__), name)
    globals()[name] = value
    return value
