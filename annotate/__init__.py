"""annotate: a fact-check annotation tool whose record lives in git and checks itself in CI."""

from __future__ import annotations

__version__ = "0.1.0"
