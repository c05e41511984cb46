"""The clock that stamps every change (history, review times, trash names): one place, so
that a test or a benchmark sets the time once (`clock.now`)."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current time in UTC, to the second (what history and reviews record)."""
    return datetime.now(UTC).replace(microsecond=0)
