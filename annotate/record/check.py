"""`annotate check`: validate the store against the corpus and say plainly what is wrong."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from .anchoring import (
    anchor_problem,
    changed_part,
    edit_count,
    edited_in_place,
    locate,
    shown_score,
)
from .editorial import EDITORIAL, claim_findings, similar_names
from .files import shown
from .models import Anchor, Claim, QuestionName, Relation
from .questions import questions
from .service import Workspace
from .store import Store


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the record, with where it is and what to do about it.

    `severity` is `error` (the record is broken: `check` fails) or `warning` (an editorial
    check, `EDITORIAL`: `check --strict` fails on it)."""

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
    severity: str = "error"
    drift: str | None = None
    """For a quote not at its offsets: `edited` (its text changed where it was), `moved`
    (found elsewhere) or `lost` (not found: `reanchor` orphans it)."""

    def text(self) -> str:
        """One line for people: `file: claim ID: field: message [kind]` (a warning's line
        begins with `warning: `)."""
        where = self.file
        if self.claim:
            where += f": claim {self.claim}"
        head = "warning: " if self.severity == "warning" else ""
        return f"{head}{where}: {self.field}: {self.message} [{self.kind}]"

    def github(self) -> str:
        """A GitHub Actions workflow command that annotates the file in a pull request
        (`::error`, or `::warning` for an editorial check)."""
        title = f"annotate check: {self.kind}"
        msg = (f"claim {self.claim}: " if self.claim else "") + f"{self.field}: {self.message}"
        command = "warning" if self.severity == "warning" else "error"
        return f"::{command} file={_gh(self.file, True)},title={_gh(title, True)}::{_gh(msg)}"


def _gh(value: str, prop: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def _rel(path: Path | str) -> str:
    try:
        return shown(os.path.relpath(path))
    except ValueError:
        return shown(path)


PARALLEL_FROM = 4000
"""From this many claim files on, `check` spreads them over one process per core."""
CHUNK = 1000


@dataclass(frozen=True)
class Report:
    """What `examine` found, and how many claims it checked."""

    problems: list[Problem]
    checked: int


def check(ws: Workspace, workers: int | None = None) -> list[Problem]:
    """Every problem of the store and corpus: unreadable or invalid files, duplicated ids,
    anchors on unknown documents, out of range or not matching their quote, orphaned anchors,
    broken verdict/source rules."""
    return examine(ws, workers).problems


def examine(ws: Workspace, workers: int | None = None) -> Report:
    """`check`, with the number of valid claims checked.

    Claim files are read and checked in chunks, by `workers` processes (default: one per
    core from `PARALLEL_FROM` files on, else this process alone); the report is the same
    either way, in the same order.
    """
    root = ws.store.root
    names = ws.store.file_names()
    # The documents as the corpus lists them (its `.txt` files), so that the workers can
    # start while this process loads the corpus and checks its metadata.
    docs = ws.corpus.text_files()
    chunks = [
        _Chunk(str(root), str(ws.corpus.root), docs, names[i : i + CHUNK], ws.rules.required)
        for i in range(0, len(names), CHUNK)
    ]
    if workers is None:
        workers = (os.cpu_count() or 1) if len(names) >= PARALLEL_FROM else 1
    problems: list[Problem] = []
    _TEXTS.clear()
    _PUBLISHED.clear()
    try:
        if workers > 1 and len(chunks) > 1:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                pending = pool.map(_examine_chunk, chunks)
                problems += _corpus_problems(ws)
                results = list(pending)
        else:
            problems += _corpus_problems(ws)
            results = [_examine_chunk(c) for c in chunks]
    finally:
        _TEXTS.clear()
        _PUBLISHED.clear()
    by_claim: dict[str, list[Problem]] = {}
    first_file: dict[str, str] = {}
    claimants: dict[str, list[tuple[str, str]]] = {}
    linked: dict[str, _Links] = {}
    for result in results:
        for name, file_problems, claim_id, anchor_problems, claimant, links in result:
            problems.extend(file_problems)
            if claim_id is None:
                continue
            if claim_id in first_file:
                problems.append(
                    Problem(
                        "duplicate",
                        _rel(root / name),
                        claim_id,
                        "id",
                        f"duplicated id: '{claim_id}' is also the id in {first_file[claim_id]}",
                    )
                )
                continue
            first_file[claim_id] = name
            by_claim[claim_id] = anchor_problems
            if links is not None:
                linked[claim_id] = links
            if claimant is not None:
                claimants.setdefault(claimant[0], []).append((claim_id, claimant[1]))
    for claim_id, problem in _relation_problems(linked, set(first_file) | _unreadable(problems)):
        by_claim[claim_id].append(problem)
    for claim_id in sorted(by_claim):
        problems.extend(by_claim[claim_id])
    problems += _similar_claimants(claimants)
    return Report(problems, len(by_claim))


def _unreadable(problems: list[Problem]) -> set[str]:
    """The claim ids of files that are there but cannot be read (a link to one is not
    dangling: the file's own problem says what to mend)."""
    return {Path(p.file).stem for p in problems if p.file.endswith(".json")}


def _relation_problems(
    linked: dict[str, _Links], present: set[str]
) -> Iterator[tuple[str, Problem]]:
    """A relation to a claim that is not in the record (deleted, or gone in a git merge),
    and each question that cannot be answered consistently (`Question.problems`), on the
    claim that names it or its first claim."""
    for claim_id in sorted(linked):
        links = linked[claim_id]
        for i, relation in enumerate(links.relations):
            if relation.claim not in present:
                yield (
                    claim_id,
                    Problem(
                        "relation",
                        links.file,
                        claim_id,
                        f"relations[{i}].claim",
                        f"{relation.kind} '{relation.claim}', which is not in the record (deleted, "
                        "or gone in a git merge): link another claim, or remove the relation",
                    ),
                )
    for question in questions(list(linked.values())):
        for message in question.problems:
            name = f" {question.name!r}" if question.name else ""
            yield (
                question.id,
                Problem(
                    "question",
                    linked[question.id].file,
                    question.id,
                    "question" if question.named_by else "relations",
                    f"question{name} (claims {', '.join(question.claims())}): {message}",
                ),
            )


def _similar_claimants(claimants: dict[str, list[tuple[str, str]]]) -> list[Problem]:
    """One warning per pair of near-duplicate claimant names, on the first claim (by id) of
    the name fewer claims use (the likely variant)."""
    out = []
    for a, b, rule in similar_names(list(claimants)):
        ca, cb = sorted(claimants[a]), sorted(claimants[b])
        variant, canon = (a, b) if len(ca) < len(cb) else (b, a)
        (claim_id, file), (other, _) = sorted(claimants[variant])[0], sorted(claimants[canon])[0]
        out.append(
            Problem(
                "similar-claimants",
                file,
                claim_id,
                "claimant",
                f"claimant {variant!r} ({len(claimants[variant])} claim(s)) is a near-duplicate "
                f"of {canon!r} ({len(claimants[canon])} claim(s), e.g. {other}) [{rule}]: "
                "one canonical name per person or organisation",
                severity="warning",
            )
        )
    return out


def _corpus_problems(ws: Workspace) -> list[Problem]:
    return [
        Problem("corpus", _rel(cp.path), None, cp.field, cp.message) for cp in ws.corpus.problems()
    ]


@dataclass(frozen=True)
class _Chunk:
    store: str
    corpus: str
    docs: dict[str, str]
    names: list[str]
    required: int = 1


@dataclass(frozen=True)
class _Links:
    """What the checks across claims need of one claim: its links and question name (what
    `questions.questions` reads), and its file as reported."""

    id: str
    relations: list[Relation]
    question: QuestionName | None
    file: str


_Checked = tuple[
    str, list[Problem], str | None, list[Problem], tuple[str, str] | None, _Links | None
]
"""Per claim file: its name, its problems, its claim's id, that claim's anchor and editorial
problems, its claimant with the file's path as reported, and its links (for the checks across
claims)."""


_TEXTS: dict[str, str] = {}
"""The corpus texts a checking process has read (each worker reads each document once)."""
_PUBLISHED: dict[str, dt.date | None] = {}
"""The documents' publication dates a checking process has read from their sidecars."""


def _published(doc: str, chunk: _Chunk) -> dt.date | None:
    if doc in _PUBLISHED:
        return _PUBLISHED[doc]
    found = None
    path = chunk.docs.get(doc)
    if path is not None:
        try:
            meta = json.loads(Path(path).with_suffix(".json").read_bytes())
            found = dt.date.fromisoformat(meta["published"])
        except (OSError, ValueError, KeyError, TypeError):
            found = None  # no sidecar, no date, or a broken one (the corpus check says so)
    _PUBLISHED[doc] = found
    return found


def _examine_chunk(chunk: _Chunk) -> list[_Checked]:
    """Read and check some claim files: per file its problems, its claim id when it is
    valid, and that claim's anchor problems."""
    store = Store(Path(chunk.store))
    folder = _rel(chunk.store)  # once: relpath per file would cost more than the parse
    out: list[_Checked] = []
    for name in chunk.names:
        claim, store_problems = store.parse_file(os.path.join(chunk.store, name))
        file = os.path.join(folder, shown(name))
        file_problems = [
            Problem(sp.kind, file, sp.claim, sp.field, sp.message) for sp in store_problems
        ]
        if claim is None:
            out.append((name, file_problems, None, [], None, None))
            continue
        found = _anchor_problems(claim, file, chunk, _TEXTS)
        for i, conflict in enumerate(claim.conflicts):
            found.append(
                Problem(
                    "merge-conflict",
                    file,
                    claim.id,
                    f"conflicts[{i}]",
                    f"a git merge found {conflict.field} changed two ways: decide in the "
                    f"claim panel, or `annotate resolve {claim.id} {i} --take ours|theirs`",
                )
            )
        if claim.settled == "agreed" and claim.reopened is None:
            found += _agreement_problems(claim, file, chunk.required)
        published = (
            {a.doc: _published(a.doc, chunk) for a in claim.appearances}
            if claim.claim_date is not None or claim.claim_month is not None
            else {}
        )
        found += [
            Problem(
                f.code,
                file,
                claim.id,
                f.field,
                f.message,
                f.doc,
                f.start,
                f.end,
                severity="warning",
            )
            for f in claim_findings(claim, _TEXTS, published)
        ]
        links = _Links(claim.id, claim.relations, claim.question, file)
        out.append((name, file_problems, claim.id, found, (claim.claimant, file), links))
    return out


def _agreement_problems(claim: Claim, file: str, required: int) -> list[Problem]:
    """A final verdict recorded as settled by agreeing reviews must have them: the desk's
    required number of reviews (`annotate.toml`), every one with the final verdict."""
    others = sorted(n for n, r in claim.reviews.items() if r.verdict != claim.verdict)
    if others:
        message = (
            f"settled as agreed on '{claim.verdict}', but the review of "
            f"{', '.join(others)} says otherwise (and the claim is not reopened)"
        )
    elif len(claim.reviews) < required:
        message = (
            f"settled as agreed with {len(claim.reviews)} review(s); the desk requires "
            f"{required} (annotate.toml): an adjudicator's decision, or more reviews, settle it"
        )
    else:
        return []
    return [Problem("review-rules", file, claim.id, "settled", message)]


def _anchors(claim: Claim) -> Iterator[Anchor]:
    yield from claim.appearances
    for source in claim.sources:
        if source.quote is not None:
            yield source.quote
    for review in claim.reviews.values():
        for source in review.sources:
            if source.quote is not None:
                yield source.quote


def _anchor_problems(
    claim: Claim, file: str, chunk: _Chunk, texts: dict[str, str]
) -> list[Problem]:
    # The common case first: every anchor is where it says, in a known document.
    for anchor in _anchors(claim):
        text = texts.get(anchor.doc)
        if text is None:
            break
        if anchor.orphaned or text[anchor.start : anchor.end] != anchor.exact:
            break
    else:
        return []
    problems: list[Problem] = []
    claim_id = claim.id
    for field, anchor in claim.anchors():
        doc_path = chunk.docs.get(anchor.doc)
        if doc_path is None:
            problems.append(
                Problem(
                    "unknown-document",
                    file,
                    claim_id,
                    f"{field}.doc",
                    f"refers to document '{anchor.doc}', which is not in the corpus "
                    f"({_rel(Path(chunk.corpus))})",
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
        text = texts.get(anchor.doc)
        if text is None:
            try:
                raw = Path(doc_path).read_bytes()
            except FileNotFoundError:
                raw = b""
            text = texts[anchor.doc] = raw.decode("utf-8", errors="replace")
        issue = anchor_problem(text, anchor.start, anchor.end, anchor.exact)
        if issue:
            kind = "out-of-range" if anchor.end > len(text) else "quote-mismatch"
            # Only anchors that fail are searched for, so a clean store costs nothing more.
            found = locate(text, anchor)
            drift_kind = "moved" if found.placed else "lost"
            if found.placed and found.start is not None and edited_in_place(anchor, found):
                drift_kind = "edited"
                was, now = changed_part(anchor.exact, text[found.start : found.end])
                drift = (
                    f"edited: the quoted text changed in place at {found.start}-{found.end}: "
                    f"{was!r} -> {now!r} ({edit_count(found.errors)}, score {shown_score(found)}); "
                    "run `annotate reanchor`"
                )
            elif found.placed:
                drift = (
                    f"drifted: quote now found at {found.start}-{found.end} "
                    f"(score {shown_score(found)}); run `annotate reanchor`"
                )
            elif found.start is not None:
                drift = (
                    f"drifted: quote not found, best candidate {found.start}-{found.end} "
                    f"(score {shown_score(found)}) is too unlike it; `annotate reanchor` "
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
                    f"in {anchor.doc} ({_rel(Path(doc_path))}): {issue}; {drift}",
                    anchor.doc,
                    anchor.start,
                    anchor.end,
                    found.start,
                    found.end,
                    found.score,
                    drift=drift_kind,
                )
            )
    return problems


def failing(problems: list[Problem], strict: bool = False) -> list[Problem]:
    """The problems that make `check` fail: the errors, and with `strict` the warnings too."""
    return [p for p in problems if strict or p.severity == "error"]


def format_report(problems: list[Problem], fmt: str, checked: int, strict: bool = False) -> str:
    """The report in `text`, `json` or `github` format: errors, and warnings (editorial
    checks, which fail it only when `strict`)."""
    fails = failing(problems, strict)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if fmt == "json":
        return "".join(_json_report(problems, not fails, checked, strict, errors, warnings))
    if fmt == "github":
        lines = [p.github() for p in problems]
        summary = f"annotate check: {checked} claims, " + _counts(errors, warnings, strict)
        return "\n".join([*lines, summary]) + "\n"
    lines = [p.text() for p in problems]
    if fails:
        lines.append(f"{len(fails)} problem(s) in {checked} claim(s)" + _also(fails, warnings))
    elif warnings:
        lines.append(
            f"ok: {checked} claims checked, no errors; {warnings} warning(s) "
            "(`--strict` fails on them)"
        )
    else:
        lines.append(f"ok: {checked} claims checked, no problems")
    return "\n".join(lines) + "\n"


def report_pieces(
    problems: list[Problem], fmt: str, checked: int, strict: bool = False
) -> Iterator[str]:
    """`format_report` in pieces, a problem at a time in `json` (at 100,000 claims the report
    can name 250,000 problems: written as one document, its text and the dicts it was made
    of took hundreds of megabytes)."""
    if fmt != "json":
        yield format_report(problems, fmt, checked, strict)
        return
    errors = sum(p.severity == "error" for p in problems)
    ok = not failing(problems, strict)
    yield from _json_report(problems, ok, checked, strict, errors, len(problems) - errors)


def _json_report(
    problems: list[Problem], ok: bool, checked: int, strict: bool, errors: int, warnings: int
) -> Iterator[str]:
    """The json report as `json.dumps(..., indent=2, ensure_ascii=False)` writes it, a
    problem at a time (JSON strings hold no raw line breaks: each is the layout's)."""
    head = {
        "ok": ok,
        "claims_checked": checked,
        "strict": strict,
        "errors": errors,
        "warnings": warnings,
    }
    text = json.dumps({**head, "problems": []}, indent=2, ensure_ascii=False)
    if not problems:
        yield text + "\n"
        return
    yield text[: text.rindex("[]")] + "["
    out: list[str] = []
    for i, p in enumerate(problems):
        item = json.dumps(asdict(p), indent=2, ensure_ascii=False)
        out.append(("\n    " if i == 0 else ",\n    ") + item.replace("\n", "\n    "))
        if len(out) >= 1000:
            yield "".join(out)
            out = []
    out.append("\n  ]\n}\n")
    yield "".join(out)


def _counts(errors: int, warnings: int, strict: bool) -> str:
    if not errors and not warnings:
        return "no problems"
    parts = [f"{errors} problem(s)"] if errors else []
    if warnings:
        parts.append(f"{warnings} warning(s)" + (" (strict: failing)" if strict else ""))
    return ", ".join(parts)


def _also(fails: list[Problem], warnings: int) -> str:
    counted = sum(p.severity == "warning" for p in fails)
    return f", and {warnings} warning(s)" if warnings and not counted else ""


EDITORIAL_CODES = tuple(EDITORIAL)
"""The codes of the editorial checks (warnings), as `annotate check --help` lists them."""
