"""The claim file format: one pretty, key-sorted JSON file per claim, named by its id; how
a file is written (`dumps`) and read back, with what can be wrong with it (`StoreProblem`)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from ..files import read_bytes
from ..models import Claim, error_details

TRASH = ".trash"


TEMP = ".annotate-tmp"
"""Where a write prepares its file before the rename: a folder of its own, so that only the
rename itself changes the store folder (and is logged)."""


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
    data = claim.model_dump(mode="json", exclude_none=True)
    for empty in ("conflicts", "tags"):
        if not data.get(empty):
            del data[empty]  # a file without merge conflicts or tags says nothing of them
    return to_json(data)


def to_json(data: Any) -> str:
    """Deterministic pretty JSON (sorted keys, UTF-8 as is, trailing newline).

    The bytes are those of `json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)`
    (tests pin them); orjson makes them in C, where `json` indents in Python: an export of
    100,000 claims spent more time indenting than reading the store.
    """
    try:
        raw = orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        # What orjson refuses and `json` takes (an integer beyond 64 bits, say from a hand
        # edit): the same bytes, the slow way, rather than a save that fails.
        return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return raw.decode() + "\n"


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
