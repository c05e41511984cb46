"""Imports into the store: our own `json` export, and W3C Web Annotations from any tool.

An import first turns every record of the file into a complete, validated claim anchored in
the corpus, then writes each through the store (one atomic file per claim). What cannot be
imported is reported with the reason, never dropped silently, and a claim is written whole or
not at all. A file that is not JSON or not of the expected shape writes nothing.

- `json`: `{"claims": [...]}` as `annotate export --format json` writes it (or a list of
  claims). Claims keep their id, version and times, so exporting again gives the same bytes.
- `w3c`: an AnnotationCollection with inline pages, an AnnotationPage, one Annotation, a list
  of them, or a Hypothesis API answer (`{"rows": [...]}`). Each annotation becomes a claim:
  every target is anchored in the corpus by matching its source to a document (metadata url,
  `{base_url}/documents/<id>`, or a document id in the URL) and finding its TextQuoteSelector
  (at its TextPositionSelector when the quote is there, else the occurrence whose prefix and
  suffix agree best). Annotations of other tools become unreviewed claims; the verdict,
  rationale and sources of our own `w3c` export come back as they were.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from ..errors import AlreadyExists, AnnotateError, InvalidInput, StaleVersion
from ..record.models import Claim, error_details
from ..record.service import Workspace
from .common import ExportSettings, Unimportable
from .native import claim_from_json, json_records
from .w3c import claim_from_annotation, w3c_records

ImportFormat = Literal["json", "w3c"]
IMPORT_FORMATS: tuple[str, ...] = ("json", "w3c")

BOOKKEEPING = {"schema_version", "id", "version", "created_at", "created_by", "updated_at"}
"""Fields that say when and by whom, not what: two claims equal in the rest are identical."""


@dataclass(frozen=True)
class Skipped:
    """A record that was not imported, and why."""

    ref: str
    reason: str


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do)."""

    dry_run: bool = False
    created: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every record was imported (or was already there, identical)."""
        return not self.skipped

    def lines(self) -> list[str]:
        """The report as text, one line per record, then a summary line."""
        verb = "would " if self.dry_run else ""
        out = [f"{verb}create {c}" for c in self.created]
        out += [f"{verb}replace {c}" for c in self.replaced]
        out += [f"unchanged {c}" for c in self.unchanged]
        out += [f"not imported {s.ref}: {s.reason}" for s in self.skipped]
        summary = (
            f"{len(self.created)} created, {len(self.replaced)} replaced, "
            f"{len(self.unchanged)} unchanged, {len(self.skipped)} not imported"
        )
        if self.dry_run:
            summary += " (dry run: nothing written)"
        return [*out, summary]


MAX_DEPTH = 64
"""How deep an import file may nest arrays and objects: our exports and W3C annotations need
fewer than ten levels; deeper is not an annotation, and would exhaust the reader's stack."""


def load(raw: bytes) -> Any:
    """Parse an import file.

    :raise InvalidInput: it is not UTF-8 JSON, or nests deeper than MAX_DEPTH.
    """
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"the file is not UTF-8 text: {exc}") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"the file is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except RecursionError:
        raise InvalidInput(_too_deep()) from None
    if _depth_over(data, MAX_DEPTH):
        raise InvalidInput(_too_deep())
    return data


def _too_deep() -> str:
    return f"the file nests arrays or objects more than {MAX_DEPTH} levels deep: not an import file"


def _depth_over(data: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than `limit` levels (without recursing)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def import_data(
    ws: Workspace,
    data: Any,
    fmt: str,
    actor: str,
    *,
    settings: ExportSettings | None = None,
    replace: bool = False,
    dry_run: bool = False,
    origin: str = "a file",
) -> ImportReport:
    """Import parsed data (`json` or `w3c` format) into the workspace's store.

    :raise InvalidInput: the data is not of the format's shape (nothing is written then).
    """
    settings = settings or ExportSettings()
    if not actor.strip() or len(actor) > 500 or any(ord(ch) < 32 for ch in actor):
        raise InvalidInput("the reviewer name must be 1 to 500 printable characters")
    if fmt == "json":
        records = list(json_records(data))
    elif fmt == "w3c":
        records = list(w3c_records(data))
    else:
        raise InvalidInput(f"unknown import format '{fmt}': use one of {', '.join(IMPORT_FORMATS)}")
    docs = {d.id: d for d in ws.corpus.documents()}
    report = ImportReport(dry_run=dry_run)
    seen: set[str] = set()
    for ref, record in records:
        try:
            if fmt == "json":
                claim, note = claim_from_json(record, docs), None
            else:
                claim, note = claim_from_annotation(record, docs, settings, actor)
        except Unimportable as exc:
            report.skipped.append(Skipped(ref, str(exc)))
            continue
        twice = _passage_twice(claim)
        if twice is not None:
            report.skipped.append(Skipped(ref, f"{twice}: the same passage is listed twice"))
            continue
        if claim.id in seen:
            report.skipped.append(Skipped(ref, f"claim id '{claim.id}' is twice in the file"))
            continue
        seen.add(claim.id)
        _import_one(ws, claim, ref, actor, note, origin, replace, dry_run, report)
    return report


def _passage_twice(claim: Claim) -> str | None:
    """The first appearance that repeats an earlier one's passage (as the service refuses for
    claims made or edited in the app), or None."""
    seen: set[tuple[str, int, int]] = set()
    for i, a in enumerate(claim.appearances):
        key = (a.doc, a.start, a.end)
        if key in seen:
            return f"appearances[{i}]"
        seen.add(key)
    return None


# -- writing --------------------------------------------------------------------------------


def content(claim: Claim) -> dict[str, Any]:
    """What a claim says, without its bookkeeping (version, times, history)."""
    data = claim.model_dump(mode="json", exclude={"history"}, exclude_none=True)
    return {k: v for k, v in data.items() if k not in BOOKKEEPING}


def _import_one(
    ws: Workspace,
    claim: Claim,
    ref: str,
    actor: str,
    note: str | None,
    origin: str,
    replace: bool,
    dry_run: bool,
    report: ImportReport,
) -> None:
    label = claim.id if ref == claim.id else f"{claim.id} ({ref})"
    message = f"imported from {origin}" + (f"; {note}" if note else "")
    try:
        if not ws.exists(claim.id):
            if not dry_run:
                ws.add_imported(claim, actor, message)
            report.created.append(label)
            return
        current = ws.claim(claim.id)
        if content(current) == content(claim):
            report.unchanged.append(label)
            return
        if not replace:
            ours, theirs = content(current), content(claim)
            differ = sorted(k for k in set(ours) | set(theirs) if ours.get(k) != theirs.get(k))
            report.skipped.append(
                Skipped(
                    label,
                    f"a different claim with this id is in the store ({', '.join(differ)} "
                    "differ); use --replace to overwrite it",
                )
            )
            return
        if not dry_run:
            fields = {k: getattr(claim, k) for k in Claim.model_fields if k not in BOOKKEEPING}
            fields.pop("history")
            ws.replace_imported(claim.id, current.version, fields, actor, message)
        report.replaced.append(label)
    except (AlreadyExists, StaleVersion) as exc:
        report.skipped.append(Skipped(label, f"the store changed during the import: {exc}"))
    except AnnotateError as exc:
        report.skipped.append(Skipped(label, exc.message))
    except ValidationError as exc:
        details = error_details(exc)
        report.skipped.append(Skipped(label, f"{details[0]['field']}: {details[0]['message']}"))
