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
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from pydantic import TypeAdapter, ValidationError

from ..errors import AlreadyExists, AnnotateError, InvalidInput, StaleVersion
from ..record.models import MAX_ALIASES, Claim, ClaimShortText, DocumentMeta, error_details
from ..record.service import Workspace
from .common import ExportSettings, Unimportable
from .ingest import Prepared
from .labelled import load_lines
from .matching import PageIndex, page_key, parse_maps
from .native import claim_from_json, json_records
from .spans import Plan, plan_labelled
from .w3c import Lookup, claim_from_annotation, w3c_records

ImportFormat = Literal["json", "w3c", "hypothesis", "labelstudio", "doccano"]
IMPORT_FORMATS: tuple[str, ...] = get_args(ImportFormat)
LABELLED: tuple[str, ...] = ("labelstudio", "doccano")
ANNOTATIONS: tuple[str, ...] = ("w3c", "hypothesis")

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
    notes: list[str] = field(default_factory=list)
    """What else was done or decided: documents added, aliases recorded, labels read."""

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
        out += self.notes
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


def load_file(raw: bytes, fmt: str) -> Any:
    """Parse an import file of a format: JSON, or for doccano JSON Lines.

    :raise InvalidInput:
    """
    return load_lines(raw, load) if fmt == "doccano" else load(raw)


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


@dataclass
class Planned:
    """A claim an import will write, with the note for its history."""

    ref: str
    claim: Claim
    note: str | None = None
    links: dict[str, list[str]] = field(default_factory=dict)


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
    maps: Sequence[str] = (),
    label_maps: Sequence[str] = (),
    add_documents: bool = False,
    claimant: str | None = None,
) -> ImportReport:
    """Import parsed data into the workspace's store: every record is read and checked
    first, then what can be imported is written (documents, claims, then aliases).

    :raise InvalidInput: the data is not of the format's shape, an option is wrong, or (span
        labels) a label is not mapped: nothing is written then.
    """
    settings = settings or ExportSettings()
    if not actor.strip() or len(actor) > 500 or any(ord(ch) < 32 for ch in actor):
        raise InvalidInput("the reviewer name must be 1 to 500 printable characters")
    if fmt not in IMPORT_FORMATS:
        raise InvalidInput(f"unknown import format '{fmt}': use one of {', '.join(IMPORT_FORMATS)}")
    if maps and fmt not in ANNOTATIONS:
        raise InvalidInput("--map is for annotations of web pages (hypothesis, w3c)")
    if (label_maps or add_documents) and fmt not in LABELLED:
        raise InvalidInput(
            "--label-map and --add-documents are for span labels (labelstudio, doccano)"
        )
    if claimant is not None:
        claimant = _checked_claimant(claimant)
    docs = {d.id: d for d in ws.corpus.documents()}
    report = ImportReport(dry_run=dry_run)
    planned: list[Planned] = []
    new_docs: list[Prepared] = []
    if fmt == "json":
        for ref, record in json_records(data):
            try:
                planned.append(Planned(ref, claim_from_json(record, docs)))
            except Unimportable as exc:
                report.skipped.append(Skipped(ref, str(exc)))
    elif fmt in ANNOTATIONS:
        pages = PageIndex(docs, parse_maps(maps, docs))
        lookup = Lookup(docs, settings, pages, claimant, page_positions=fmt == "hypothesis")
        for ref, record in w3c_records(data):
            try:
                got = claim_from_annotation(record, lookup, actor)
            except Unimportable as exc:
                report.skipped.append(Skipped(ref, str(exc)))
                continue
            planned.append(Planned(ref, got.claim, got.note, got.links))
    else:
        plan = Plan()
        plan_labelled(ws, data, fmt, actor, label_maps, add_documents, claimant, plan)
        planned = [Planned(ref, claim, note) for ref, claim, note in plan.claims]
        new_docs = plan.documents
        report.skipped += [Skipped(ref, reason) for ref, reason in plan.skipped]
        report.notes += plan.notes
    seen: set[str] = set()
    ready: list[Planned] = []
    for item in planned:
        twice = _passage_twice(item.claim)
        if twice is not None:
            report.skipped.append(Skipped(item.ref, f"{twice}: the same passage is listed twice"))
        elif item.claim.id in seen:
            report.skipped.append(
                Skipped(item.ref, f"claim id '{item.claim.id}' is twice in the file")
            )
        else:
            seen.add(item.claim.id)
            ready.append(item)
    verb = "would add" if dry_run else "added"
    if new_docs and not dry_run:
        _write_documents(ws, new_docs)
    report.notes[:0] = [f"{verb} document {p.id}: {p.meta.title!r} ({p.origin})" for p in new_docs]
    placed: list[Planned] = []
    for item in ready:
        refused = len(report.skipped)
        _import_one(ws, item.claim, item.ref, actor, item.note, origin, replace, dry_run, report)
        if len(report.skipped) == refused:
            placed.append(item)
    _record_aliases(ws, placed, dry_run, report)
    return report


def _checked_claimant(name: str) -> str:
    try:
        return TypeAdapter(ClaimShortText).validate_python(name)
    except ValidationError as exc:
        raise InvalidInput(f"--claimant: {error_details(exc)[0]['message']}") from None


def _write_documents(ws: Workspace, prepared: list[Prepared]) -> None:
    """Add the new documents of an import, all of them or none.

    :raise InvalidInput: one could not be written (those already written are taken back).
    """
    done: list[str] = []
    try:
        for p in prepared:
            ws.corpus.add(p.id, p.text, p.meta)
            done.append(p.id)
    except AnnotateError as exc:
        for doc_id in done:
            ws.corpus.remove_new(doc_id)
        raise InvalidInput(f"{exc.message} (the corpus changed during the import)") from None
    except BaseException:
        for doc_id in done:
            ws.corpus.remove_new(doc_id)
        raise


def _record_aliases(
    ws: Workspace, imported: list[Planned], dry_run: bool, report: ImportReport
) -> None:
    """Give each document the page URLs its annotations were made on (Hypothesis's
    `uri`, target sources and `document.link`) that it does not have yet as its url or an
    alias: the next import of that page needs no --map. A URL that is another document's is
    left out, and said."""
    wanted: dict[str, list[str]] = {}
    for item in imported:
        for doc_id, links in item.links.items():
            wanted.setdefault(doc_id, []).extend(links)
    if not wanted:
        return
    docs = {d.id: d for d in ws.corpus.documents()}
    pages = PageIndex(docs)
    verb = "would record" if dry_run else "recorded"
    for doc_id in sorted(wanted):
        if doc_id not in docs:
            continue
        version = ws.corpus.meta_version(doc_id)
        doc = ws.corpus.get(doc_id)
        keys = {page_key(u) for u in (doc.meta.url, *doc.meta.aliases) if u}
        new: list[str] = []
        for url in wanted[doc_id]:
            key = page_key(url)
            others = pages.owner(url) - {doc_id}
            if others:
                report.notes.append(
                    f"not an alias of {doc_id}: {url} is the url of {', '.join(sorted(others))}"
                )
            elif key not in keys and len(doc.meta.aliases) + len(new) < MAX_ALIASES:
                keys.add(key)
                new.append(url)
        if not new:
            continue
        if not dry_run:
            meta = doc.meta.model_copy(update={"aliases": [*doc.meta.aliases, *new]})
            try:
                ws.corpus.set_meta(doc_id, DocumentMeta.model_validate(meta.model_dump()), version)
            except (AnnotateError, ValidationError) as exc:
                report.notes.append(f"aliases of {doc_id} not recorded: {exc}")
                continue
        report.notes += [f"{verb} alias of {doc_id}: {url}" for url in new]


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
