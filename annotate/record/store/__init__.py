"""The claim store (all disk access to it is in this package), by job:

- `claimfile`: the file format (write, read back, what can be wrong with a file);
- `summary`: what the index keeps per file;
- `index`: the in-memory index, its counts and cache, and the thread that follows the folder;
- `changelog`: the log of renames that lets every process follow the others' saves;
- `locks`: per-claim write locks across threads and processes (and after a fork);
- `atomic`: atomic file writes;
- `claims`: `Store`, which puts them together: read, create, update, delete, sweep.
"""

from __future__ import annotations

from .claimfile import TRASH, StoreProblem, dumps, to_json
from .claims import Store
from .summary import Counts, Mark, Marks, Summary

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
