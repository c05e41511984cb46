"""The command line: `annotate ...` (the console script and `python -m annotate`)."""

from __future__ import annotations

import sys

from . import early

# Before the imports of the commands (and with them the app's): see `early`.
if early.ours(sys.argv[0]):
    early.begin(sys.argv[1:])

from .main import cli  # noqa: E402

__all__ = ["cli"]
