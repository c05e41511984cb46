"""`annotate check`: validate the store against the corpus and say plainly what is wrong."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from .anchoring import anchor_problem, locate
from .service import Workspace


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the record, with where it is and what to do about it."""

    kind: str
    file: str
    claim: str | None
    field: str
    message: str
    doc: str | None = None
    start: int | None = None
    end: int | None = None
    found_start: int | None = None
    found_end: int | None = None
    score: float | None = None

    def text(self) -> str:
        """One line for people: `file: claim ID: field: message`."""
        where = self.file
        if self.claim:
            where += f": claim {self.claim}"
        return f"{where}: {self.field}: {self.message} [{self.kind}]"

    def github(self) -> str:
        """A GitHub Actions workflow command that annotates the file in a pull request."""
        title = f"annotate check: {self.kind}"
        msg = (f"claim {self.claim}: " if self.claim else "") + f"{self.field}: {self.message}"
        return f"::error file={_gh(self.file, True)},title={_gh(title, True)}::{_gh(msg)}"


def _gh(value: str, prop: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def _rel(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def check(ws: Workspace) -> list[Problem]:
    """Every problem of the store and corpus: unreadable or invalid files, duplicated ids,
    anchors on unknown documents, out of range or not matching their quote, orphaned anchors,
    broken verdict/source rules."""
    problems: list[Problem] = []
    for cp in ws.corpus.problems():
        problems.append(Problem("corpus", _rel(cp.path), None, cp.field, cp.message))
    claims, store_problems = ws.store.scan()
    for sp in store_problems:
        problems.append(Problem(sp.kind, _rel(sp.path), sp.claim, sp.field, sp.message))
    docs = {d.id: d for d in ws.corpus.documents()}
    texts: dict[str, str] = {}  # decoded once per check
    for claim_id in sorted(claims):
        claim = claims[claim_id]
        file = _rel(ws.store.path_for(claim_id))
        for field, anchor in claim.anchors():
            doc = docs.get(anchor.doc)
            if doc is None:
                problems.append(
                    Problem(
                        "unknown-document",
                        file,
                        claim_id,
                        f"{field}.doc",
                        f"refers to document '{anchor.doc}', which is not in the corpus "
                        f"({_rel(ws.corpus.root)})",
                        anchor.doc,
                        anchor.start,
                        anchor.end,
                    )
                )
                continue
            if anchor.orphaned:
                problems.append(
                    Problem(
                        "orphaned",
                        file,
                        claim_id,
                        field,
                        f"orphaned: the quote {anchor.exact[:60]!r} was not found in "
                        f"{anchor.doc} after it changed "
                        f"(last known at {anchor.start}-{anchor.end}); "
                        "attach it again or remove it",
                        anchor.doc,
                        anchor.start,
                        anchor.end,
                    )
                )
                continue
            text = texts.get(doc.id)
            if text is None:
                text = texts[doc.id] = doc.text
            issue = anchor_problem(text, anchor.start, anchor.end, anchor.exact)
            if issue:
                kind = "out-of-range" if anchor.end > len(text) else "quote-mismatch"
                # Only anchors that fail are searched for, so a clean store costs nothing more.
                found = locate(text, anchor)
                if found.placed:
                    drift = (
                        f"drifted: quote now found at {found.start}-{found.end} "
                        f"(score {found.score:.2f}); run `annotate reanchor`"
                    )
                elif found.start is not None:
                    drift = (
                        f"drifted: quote not found, best candidate {found.start}-{found.end} "
                        f"(score {found.score:.2f}) is too unlike it; `annotate reanchor` "
                        "will mark it orphaned"
                    )
                else:
                    drift = (
                        "drifted: quote not found anywhere in the document; "
                        "`annotate reanchor` will mark it orphaned"
                    )
                problems.append(
                    Problem(
                        kind,
                        file,
                        claim_id,
                        f"{field}.exact",
                        f"in {anchor.doc} ({_rel(doc.path)}): {issue}; {drift}",
                        anchor.doc,
                        anchor.start,
                        anchor.end,
                        found.start,
                        found.end,
                        found.score,
                    )
                )
    return problems


def render(problems: list[Problem], fmt: str, checked: int) -> str:
    """The report in `text`, `json` or `github` format."""
    if fmt == "json":
        return (
            json.dumps(
                {
                    "ok": not problems,
                    "claims_checked": checked,
                    "problems": [asdict(p) for p in problems],
                },
                indent=2,
                ensure_ascii=False,
            )
            + "\n"
        )
    if fmt == "github":
        lines = [p.github() for p in problems]
        summary = f"annotate check: {checked} claims, " + (
            f"{len(problems)} problem(s)" if problems else "no problems"
        )
        return "\n".join([*lines, summary]) + "\n"
    lines = [p.text() for p in problems]
    if problems:
        lines.append(f"{len(problems)} problem(s) in {checked} claim(s)")
    else:
        lines.append(f"ok: {checked} claims checked, no problems")
    return "\n".join(lines) + "\n"
