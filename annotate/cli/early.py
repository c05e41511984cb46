"""What `annotate serve` begins before the app's imports: the check of the store folder
against its kept index (`record.store.statcheck`), in a process of its own.

At 100,000 claims the app's imports take about half a second, and so does that check: begun
first, it is made meanwhile, and the start takes its answer instead of waiting for it. This
reads the store folder off the command line as `serve` will (`--store`, else
`ANNOTATE_STORE`, else `fixtures`); the start takes the check only when it is of the folder
and kept index it opens (with `--demo`, a copy: none is begun), so a command line read
otherwise here costs one check nobody takes, ended at the start. (The folder alone names the
check: `statcheck` knows where in it the kept index and the change log are.)
"""

from __future__ import annotations

import os
from pathlib import Path

from ..record.store import statcheck


def store_of(argv: list[str]) -> str | None:
    """The store folder `annotate <argv>` serves, when it is `serve` and serves one as it is
    (not a demo copy, not `--help`); None otherwise."""
    if not argv or argv[0] != "serve":
        return None
    store = None
    args = iter(argv[1:])
    for arg in args:
        if arg == "--":
            break
        if arg in ("-h", "--help") or arg == "--demo" or arg.startswith("--demo="):
            return None
        if arg == "--store":
            store = next(args, None)
        elif arg.startswith("--store="):
            store = arg.removeprefix("--store=")
    if store is None:
        store = os.environ.get("ANNOTATE_STORE") or "fixtures"
    return store or None


def ours(program: str) -> bool:
    """Whether `program` (a process's `sys.argv[0]`) is `annotate`: the console script, or
    `python -m annotate` (another program that imports the CLI begins nothing)."""
    path = Path(program)
    if path.name == "__main__.py":
        return path.parent.name == "annotate"
    return path.stem == "annotate"


def begin(argv: list[str]) -> None:
    """Begin the check for the store `annotate <argv>` will serve, if any (see the module)."""
    store = store_of(argv)
    if store is not None:
        statcheck.begin(store)
