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

import datetime as dt
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from .anchoring import anchor_problem, locate_quote, make_anchor
from .corpus import CorpusDocument
from .errors import AlreadyExists, AnnotateError, InvalidInput, StaleVersion
from .export import ExportSettings
from .models import VERDICTS, Anchor, Change, Claim, error_details
from .service import Workspace, revise
from .store import now

ImportFormat = Literal["json", "w3c"]
IMPORT_FORMATS: tuple[str, ...] = ("json", "w3c")

BOOKKEEPING = {"schema_version", "id", "version", "created_at", "created_by", "updated_at"}
"""Fields that say when and by whom, not what: two claims equal in the rest are identical."""

_CLAIM_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,79}$")


class Unimportable(Exception):
    """One record of the file cannot become a claim; the message says why."""


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


def load(raw: bytes) -> Any:
    """Parse an import file.

    :raise InvalidInput: it is not UTF-8 JSON.
    """
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"the file is not UTF-8 text: {exc}") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"the file is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None


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
        records = list(_json_records(data))
    elif fmt == "w3c":
        records = list(_w3c_records(data))
    else:
        raise InvalidInput(f"unknown import format '{fmt}': use one of {', '.join(IMPORT_FORMATS)}")
    docs = {d.id: d for d in ws.corpus.documents()}
    report = ImportReport(dry_run=dry_run)
    seen: set[str] = set()
    for ref, record in records:
        try:
            if fmt == "json":
                claim, note = _claim_from_json(record, docs), None
            else:
                claim, note = _claim_from_annotation(record, docs, settings, actor)
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
        _apply(ws, claim, ref, actor, note, origin, replace, dry_run, report)
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


def _apply(
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
        if not ws.store.exists(claim.id):
            if not dry_run:
                entry = Change(
                    version=claim.version, at=now(), by=actor, action="imported", note=message
                )
                ws.store.create(claim.model_copy(update={"history": [*claim.history, entry]}))
            report.created.append(label)
            return
        current = ws.store.get(claim.id)
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
            ws.store.update(
                claim.id,
                current.version,
                lambda c: revise(c, fields, actor, "imported", note=message),
            )
        report.replaced.append(label)
    except (AlreadyExists, StaleVersion) as exc:
        report.skipped.append(Skipped(label, f"the store changed during the import: {exc}"))
    except AnnotateError as exc:
        report.skipped.append(Skipped(label, exc.message))
    except ValidationError as exc:
        details = error_details(exc)
        report.skipped.append(Skipped(label, f"{details[0]['field']}: {details[0]['message']}"))


# -- json -----------------------------------------------------------------------------------


def _json_records(data: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(data, dict) and isinstance(data.get("claims"), list):
        claims = data["claims"]
    elif isinstance(data, list):
        claims = data
    else:
        raise InvalidInput(
            'a json import is {"claims": [...]} as `annotate export --format json` writes it, '
            "or a list of claims"
        )
    for i, record in enumerate(claims):
        claim_id = record.get("id") if isinstance(record, dict) else None
        yield (claim_id if isinstance(claim_id, str) else f"claims[{i}]"), record


def _claim_from_json(record: Any, docs: dict[str, CorpusDocument]) -> Claim:
    if not isinstance(record, dict):
        raise Unimportable("a claim must be a JSON object")
    try:
        claim = Claim.model_validate(record)
    except ValidationError as exc:
        raise Unimportable(
            "; ".join(f"{d['field']}: {d['message']}" for d in error_details(exc))
        ) from None
    for path, anchor in claim.anchors():
        doc = docs.get(anchor.doc)
        if doc is None:
            raise Unimportable(f"{path}.doc: no document '{anchor.doc}' in the corpus")
        if not anchor.orphaned:
            problem = anchor_problem(doc.text, anchor.start, anchor.end, anchor.exact)
            if problem:
                raise Unimportable(f"{path}: in {anchor.doc}: {problem}")
    return claim


# -- W3C Web Annotation ---------------------------------------------------------------------


def _types(obj: Any) -> list[str]:
    if not isinstance(obj, dict):
        return []
    value = obj.get("type", obj.get("@type"))
    values = value if isinstance(value, list) else [value]
    return [v.rsplit("#", 1)[-1].rsplit(":", 1)[-1] for v in values if isinstance(v, str)]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _w3c_records(data: Any) -> Iterator[tuple[str, Any]]:
    items: list[Any]
    if isinstance(data, list):
        items = data
    elif isinstance(data, dict) and "AnnotationCollection" in _types(data):
        items = []
        page = data.get("first")
        while page is not None:
            if not isinstance(page, dict):
                raise InvalidInput(
                    "the collection's pages are given by reference; only inline pages "
                    "(`first` and `next` objects with `items`) can be imported"
                )
            items += _as_list(page.get("items"))
            page = page.get("next")
    elif isinstance(data, dict) and "AnnotationPage" in _types(data):
        items = _as_list(data.get("items"))
    elif isinstance(data, dict) and isinstance(data.get("rows"), list):
        items = data["rows"]  # a Hypothesis API search answer
    elif isinstance(data, dict) and ("Annotation" in _types(data) or "target" in data):
        items = [data]
    else:
        raise InvalidInput(
            "a w3c import is an AnnotationCollection with inline pages, an AnnotationPage, "
            'an Annotation, a list of annotations, or a Hypothesis answer {"rows": [...]}'
        )
    for i, item in enumerate(items):
        ident = item.get("id") if isinstance(item, dict) else None
        yield (f"annotation {ident}" if isinstance(ident, str) else f"annotation #{i + 1}"), item


_DOC_SUFFIX = re.compile(r"\.(txt|json|html?)$")


def _normal_url(url: str) -> str:
    url = url.split("#", 1)[0].rstrip("/")
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}://{host.lower()}{slash}{path}"


def match_document(
    url: str, docs: dict[str, CorpusDocument], settings: ExportSettings
) -> CorpusDocument:
    """The corpus document an annotation target's source names.

    By the documents' metadata url, by `{base_url}/documents/<id>`, else by a document id that
    is one of the URL's path segments.

    :raise Unimportable: no document, or more than one, fits.
    """
    wanted = _normal_url(url)
    by_meta = [d for d in docs.values() if d.meta.url and _normal_url(d.meta.url) == wanted]
    if len(by_meta) == 1:
        return by_meta[0]
    if len(by_meta) > 1:
        raise Unimportable(
            f"source {url} is the url of several documents: {', '.join(d.id for d in by_meta)}"
        )
    ours = _normal_url(f"{settings.base_url}/documents/")
    if wanted.startswith(ours) and wanted[len(ours) :] in docs:
        return docs[wanted[len(ours) :]]
    path = re.split(r"[?]", wanted, maxsplit=1)[0]
    segments = {_DOC_SUFFIX.sub("", s) for s in re.split(r"[/=&]", path) if s}
    found = sorted(segments & set(docs))
    if len(found) == 1:
        return docs[found[0]]
    if found:
        raise Unimportable(f"source {url} names several documents: {', '.join(found)}")
    raise Unimportable(f"source {url} is not a document of the corpus")


def _selector_list(target: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for sel in _as_list(target.get("selector")):
        if isinstance(sel, dict):
            found.append(sel)
            found += [r for r in _as_list(sel.get("refinedBy")) if isinstance(r, dict)]
    return found


def _int(value: Any) -> int | None:
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: Any) -> str | None:
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, dict):
        value = value.get("@value")
    return value if isinstance(value, str) else None


def anchor_target(
    target: Any,
    docs: dict[str, CorpusDocument],
    settings: ExportSettings,
    fallback_source: str | None = None,
) -> Anchor:
    """A W3C target (or a source body) with a TextQuoteSelector, as an anchor in the corpus.

    :raise Unimportable: saying which part is missing or does not fit the corpus.
    """
    if isinstance(target, str):
        raise Unimportable(f"target {target} is a whole resource, with no quote to anchor")
    if not isinstance(target, dict):
        raise Unimportable("a target must be a URL or an object")
    source = _str(target.get("source")) or fallback_source
    if isinstance(target.get("source"), dict):
        source = _str(target["source"].get("id"))
    if not source:
        raise Unimportable("the target has no source")
    doc = match_document(source, docs, settings)
    sels = _selector_list(target)
    quote = next((s for s in sels if "TextQuoteSelector" in _types(s)), None)
    if quote is None or not _str(quote.get("exact")):
        raise Unimportable(f"the target on {source} has no TextQuoteSelector with an exact quote")
    position = next((s for s in sels if "TextPositionSelector" in _types(s)), {})
    exact = _str(quote.get("exact")) or ""
    start, end = _int(position.get("start")), _int(position.get("end"))
    if target.get("orphaned") is True and start is not None and end is not None:
        # Our own export keeps an orphaned anchor at its last known place, quote and all.
        try:
            return Anchor(
                doc=doc.id,
                start=start,
                end=end,
                exact=exact,
                prefix=(_str(quote.get("prefix")) or "")[-200:],
                suffix=(_str(quote.get("suffix")) or "")[:200],
                orphaned=True,
            )
        except ValidationError as exc:
            raise Unimportable(f"orphaned target on {doc.id}: {error_details(exc)[0]}") from None
    try:
        start, end = locate_quote(
            doc.text,
            exact,
            _str(quote.get("prefix")) or "",
            _str(quote.get("suffix")) or "",
            start,
            end,
        )
    except ValueError as exc:
        raise Unimportable(f"in {doc.id}: {exc}") from None
    return make_anchor(doc.id, doc.text, start, end)


def _agent_name(agent: Any) -> str | None:
    for candidate in _as_list(agent):
        if isinstance(candidate, str) and candidate.strip():
            return candidate.removeprefix("acct:").strip()[:500]
        if isinstance(candidate, dict):
            name = _str(candidate.get("name")) or _str(candidate.get("nickname"))
            if name and name.strip():
                return name.strip()[:500]
    return None


def _time(value: Any) -> dt.datetime | None:
    text = _str(value)
    if not text:
        return None
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def _bodies(anno: dict[str, Any]) -> list[Any]:
    bodies = _as_list(anno.get("body"))
    if "bodyValue" in anno:
        bodies.append({"type": "TextualBody", "value": anno["bodyValue"]})
    if isinstance(anno.get("text"), str) and anno["text"].strip():  # Hypothesis
        bodies.append({"type": "TextualBody", "purpose": "commenting", "value": anno["text"]})
    for tag in _as_list(anno.get("tags")):  # Hypothesis
        bodies.append({"type": "TextualBody", "purpose": "tagging", "value": tag})
    return bodies


def _purposes(body: Any) -> list[str]:
    if not isinstance(body, dict):
        return []
    return [p.rsplit("#", 1)[-1] for p in _as_list(body.get("purpose")) if isinstance(p, str)]


def _claim_id(anno: dict[str, Any], statement: str) -> str:
    ident = _str(anno.get("id")) or ""
    last = ident.rstrip("/").rsplit("/", 1)[-1]
    if _CLAIM_ID.match(last):
        return last
    # Another tool's id: stable, so that importing the same file again finds the same claim
    # (also across versions of annotate: the stem is made as it was before ids transliterated
    # letters, by stripping accents only).
    digest = hashlib.sha256((ident or statement).encode()).hexdigest()[:8]
    return f"{_accentless_stem(statement)[:50].strip('-')}-{digest}"


def _accentless_stem(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    parts = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return "-".join(parts[:7])[:60].strip("-") or "claim"


def _source(
    body: dict[str, Any], docs: dict[str, CorpusDocument], settings: ExportSettings
) -> dict[str, Any]:
    source: dict[str, Any] = {"stance": _str(body.get("stance"))}
    if "selector" in body:
        source["quote"] = anchor_target(body, docs, settings)
    else:
        page = body.get("source", body)
        page = page if isinstance(page, dict) else {"id": page}
        url = _str(page.get("id"))
        source["url"] = url
        source["title"] = _str(page.get("title")) or url
        for key in ("publisher", "date"):
            if _str(page.get(key)):
                source[key] = _str(page.get(key))
    if _str(body.get("note")):
        source["note"] = _str(body.get("note"))
    return source


def _claim_from_annotation(
    anno: Any, docs: dict[str, CorpusDocument], settings: ExportSettings, actor: str
) -> tuple[Claim, str | None]:
    if not isinstance(anno, dict):
        raise Unimportable("an annotation must be a JSON object")
    targets = _as_list(anno.get("target"))
    if not targets:
        raise Unimportable("the annotation has no target")
    fallback = _str(anno.get("uri"))  # Hypothesis names the page beside the target
    appearances = []
    for i, target in enumerate(targets):
        try:
            appearances.append(anchor_target(target, docs, settings, fallback))
        except Unimportable as exc:
            raise Unimportable(f"target {i + 1}: {exc}") from None

    described = classified = assessed = None
    comments: list[str] = []
    sources: list[dict[str, Any]] = []
    for i, body in enumerate(_bodies(anno)):
        purposes = _purposes(body)
        value = _str(body.get("value")) if isinstance(body, dict) else _str(body)
        if isinstance(body, dict) and "stance" in body:
            try:
                sources.append(_source(body, docs, settings))
            except Unimportable as exc:
                raise Unimportable(f"body {i + 1} (a source): {exc}") from None
        elif "describing" in purposes and value and described is None:
            described = value
        elif "classifying" in purposes and value in VERDICTS and classified is None:
            classified = body
        elif "assessing" in purposes and value and assessed is None:
            assessed = body
        elif value:
            comments.append(f"{purposes[0]}: {value}" if purposes else value)
        elif isinstance(body, dict) and _str(body.get("id")):
            comments.append(f"linked: {_str(body.get('id'))}")

    statement = " ".join((described or appearances[0].exact).split())[:20_000]
    claimant = anno.get("claimant")
    claimant_type = next((t for t in _types(claimant) if t in ("Person", "Organization")), None)
    created = _time(anno.get("created")) or now()
    data: dict[str, Any] = {
        "id": _claim_id(anno, statement),
        "version": 1,
        "statement": statement,
        "claimant": _agent_name(claimant) or "unknown",
        "claimant_type": claimant_type,
        "claim_date": _str(anno.get("claimDate")),
        "appearances": appearances,
        "created_at": created,
        "created_by": _agent_name(anno.get("creator")) or _agent_name(anno.get("user")) or actor,
        "updated_at": _time(anno.get("modified")) or _time(anno.get("updated")) or created,
    }
    if classified is not None:
        review = assessed or {}
        data["verdict"] = _str(classified.get("value"))
        data["rationale"] = _str(review.get("value"))
        data["reviewer"] = (
            _agent_name(review.get("creator")) or _agent_name(classified.get("creator")) or actor
        )
        data["reviewed_at"] = (
            _time(review.get("created")) or _time(classified.get("created")) or created
        )
        data["sources"] = sources
    elif sources:
        comments += [f"source without a verdict: {s.get('url') or 'a quote'}" for s in sources]
    try:
        claim = Claim.model_validate(data)
    except ValidationError as exc:
        raise Unimportable(
            "; ".join(f"{d['field']}: {d['message']}" for d in error_details(exc))
        ) from None
    note = "; ".join(comments)[:2000] if comments else None
    return claim, note
