"""The command line: `annotate ...` (the console script and `python -m annotate`)."""

from __future__ import annotations

from .main import cli

__all__ = ["cli"]
