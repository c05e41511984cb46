"""The claim file format: one pretty, key-sorted JSON file per claim, named by its id; how
a file is written (`dumps`) and read back, with what can be wrong with it (`StoreProblem`)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError

from ..files import read_bytes
from ..models import EMPTY_UNSAID, Change, Claim, error_details
from . import statcheck

TRASH = ".trash"

_HISTORY_LIST = TypeAdapter(list[Change])


# Where a write prepares its file before the rename (a folder of its own, so that only the
# rename itself changes the store folder, and is logged): the store's scratch folder.
TEMP = statcheck.TEMP


@dataclass(frozen=True)
class StoreProblem:
    """A claim file that cannot be used as it is: unparseable, invalid, misnamed, duplicated."""

    path: Path
    claim: str | None
    field: str
    message: str
    kind: str


NO_PROBLEMS: list[StoreProblem] = []
"""Shared by every valid entry (never appended to): one list less per claim in memory."""


def dumps(claim: Claim) -> str:
    """A claim as it is stored: pretty, keys sorted, trailing newline (git diffs read well)."""
    return claim_bytes(claim).decode("utf-8")


_HISTORY = b'\n  "history": [],\n'
"""The history's place in a claim file encoded without it (`id` always follows)."""


@dataclass(frozen=True)
class HistoryBytes:
    """A claim's history as its file holds it (the array, at its depth in the file, in
    pieces), and the entries it was made of: a save that adds an entry to them encodes that
    entry alone, and the pieces are joined once, into the file's bytes."""

    count: int
    last: Change | None
    pieces: tuple[bytes, ...]
    """The array without its closing bracket (`[` and the entries, `,` between them)."""

    def extended(self, history: list[Change]) -> HistoryBytes:
        """The bytes of `history`: these, with the entries after them encoded, when
        `history` begins with the very entries these were made of; otherwise all anew."""
        n = self.count
        if not (n and len(history) >= n and history[n - 1] is self.last):
            return history_bytes(history)
        if len(history) == n:
            return self
        added = b"".join(b",\n" + _entry_bytes(h) for h in history[n:])
        pieces = (*self.pieces, added)
        if len(pieces) > 64:  # one copy every so often, not a piece per save for ever
            pieces = (b"".join(pieces),)
        return HistoryBytes(len(history), history[-1], pieces)

    def array(self) -> list[bytes]:
        return [*self.pieces, b"\n  ]"] if self.count else [b"[]"]


def history_bytes(history: list[Change]) -> HistoryBytes:
    """A history encoded whole (once per claim a process reads: its later saves extend it)."""
    if not history:
        return HistoryBytes(0, None, ())
    raw = to_bytes(_HISTORY_LIST.dump_python(history, mode="json", exclude_none=True))
    # The array alone is at the file's top level; in the claim it is one level in.
    array = raw.rstrip(b"\n").replace(b"\n", b"\n  ")
    return HistoryBytes(len(history), history[-1], (array[:-4],))


def _entry_bytes(change: Change) -> bytes:
    # An entry at its depth in the file (in the claim, in its history: four spaces); JSON
    # strings hold no raw newline, so only the layout's own lines are indented.
    raw = to_bytes(change.model_dump(mode="json", exclude_none=True)).rstrip(b"\n")
    return b"    " + raw.replace(b"\n", b"\n    ")


def claim_bytes(claim: Claim, history: HistoryBytes | None = None) -> bytes:
    """The bytes of `dumps`; with `history` (the claim's history encoded, say by the save
    that made its previous version), without encoding the history again: a save of a claim
    with 1,000 earlier versions encodes what a save of a fresh one does (`python -m
    bench.history` measures it)."""
    data = claim.model_dump(mode="json", exclude_none=True, exclude={"history"})
    for empty in EMPTY_UNSAID:
        if not data.get(empty):
            del data[empty]  # a file without merge conflicts or tags says nothing of them
    data["history"] = []
    head = to_bytes(data)
    if not claim.history:
        return head
    at = head.find(_HISTORY)
    if at < 0 or head.find(_HISTORY, at + 1) >= 0:  # cannot happen: said, not assumed
        data["history"] = _HISTORY_LIST.dump_python(claim.history, mode="json", exclude_none=True)
        return to_bytes(data)
    block = history if history is not None else history_bytes(claim.history)
    return b"".join((head[: at + 14], *block.array(), b",\n", head[at + len(_HISTORY) :]))


def to_json(data: Any) -> str:
    """Deterministic pretty JSON (sorted keys, UTF-8 as is, trailing newline).

    The bytes are those of `json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)`
    (tests pin them); orjson makes them in C, where `json` indents in Python: an export of
    100,000 claims spent more time indenting than reading the store.
    """
    return to_bytes(data).decode("utf-8")


def to_bytes(data: Any) -> bytes:
    """`to_json`, encoded as UTF-8 (what a file gets, without a round trip through str)."""
    try:
        return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    except orjson.JSONEncodeError:
        # What orjson refuses and `json` takes (an integer beyond 64 bits, say from a hand
        # edit): the same bytes, the slow way, rather than a save that fails.
        return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def safe_id(claim_id: str) -> bool:
    # Ids are at most 80 characters (models.ClaimId); a longer name would make the OS raise.
    return (
        0 < len(claim_id) <= 120
        and "/" not in claim_id
        and "\\" not in claim_id
        and not claim_id.startswith(".")
        and "\x00" not in claim_id
    )


def parse_claim_file(where: Path | str) -> tuple[Claim | None, list[StoreProblem]]:
    """Read and validate one claim file: the claim, or what is wrong with the file."""
    try:
        raw = read_bytes(where)
    except FileNotFoundError:
        raw = None
    if raw is not None:
        try:
            # The fast path: pydantic parses the bytes itself. Only a file that fails it
            # is parsed again step by step, to say what is wrong in the words used below.
            claim = Claim.model_validate_json(raw)
        except ValidationError:
            pass
        else:
            if os.path.basename(where) == f"{claim.id}.json":
                return claim, NO_PROBLEMS
    path = Path(where)  # (a Path per valid file would be kept interned: only here)
    if raw is None:
        return None, [StoreProblem(path, None, "(file)", "the file vanished", "io")]
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return None, [StoreProblem(path, None, "(file)", f"not UTF-8: {exc}", "json")]
    except json.JSONDecodeError as exc:
        return None, [
            StoreProblem(
                path,
                None,
                "(file)",
                f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
                "json",
            )
        ]
    claim_id = data.get("id") if isinstance(data, dict) else None
    claim_id = claim_id if isinstance(claim_id, str) else None
    try:
        claim = Claim.model_validate(data)
    except ValidationError as exc:
        return None, [
            StoreProblem(path, claim_id, d["field"], d["message"], "schema")
            for d in error_details(exc)
        ]
    if path.stem != claim.id:
        return None, [
            StoreProblem(
                path,
                claim.id,
                "id",
                f"the file name must be the claim id: expected {claim.id}.json",
                "filename",
            )
        ]
    return claim, []
