"""Span labels of annotation tools, as claims: Label Studio's JSON export and doccano's JSONL.

Both give a task's whole text and, for each labelled span, its offsets in that text and its
label. The text is matched to a corpus document (the same text, or the same after the
normalisation `annotate add` applies: LF line ends, NFC, a final newline), or added as a new
document with `--add-documents`. A label says what the span is: a claim to review, or a
verdict (`--label-map LABEL=confirmed|denied|disputed|claim|ignore`; a label named like one of
those needs no map). A verdict needs a rationale and sources, which a span label cannot give:
such a span becomes an unreviewed claim with its label as a tag and the verdict it suggests in
its note, and the report says so.

- Label Studio (its JSON export, "Label Studio JSON format of annotated tasks"): a list of
  tasks `{"id", "data": {"text", …}, "annotations": [{"completed_by", "created_at",
  "result": [{"type": "labels", "from_name", "to_name", "value": {"start", "end", "text",
  "labels"}}]}]}`.
- doccano (sequence labelling, JSONL export): one task a line, `{"id", "text", "label":
  [[start, end, "LABEL"], …]}` (or `"labels"`), or in newer versions `"entities": [{"start_offset",
  "end_offset", "label"}]`; `"Comments"` and `"comments"` are kept as notes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import InvalidInput
from ..record.anchoring import make_anchor
from ..record.corpus import CorpusDocument
from ..record.models import CONTEXT_CHARS, VERDICTS
from .common import Unimportable
from .ingest import normalise
from .matching import place_quote
from .w3c import accentless_stem

Tool = Literal["labelstudio", "doccano"]
TOOL_NAMES: dict[str, str] = {"labelstudio": "Label Studio", "doccano": "doccano"}
TARGETS: tuple[str, ...] = (*VERDICTS, "claim", "ignore")
"""What a label may stand for: a verdict, a claim to review, or nothing to import."""


@dataclass(frozen=True)
class Span:
    """One labelled span of a task's text."""

    ref: str
    start: int
    end: int
    label: str
    text: str | None = None
    by: str | None = None
    at: dt.datetime | None = None


@dataclass
class Task:
    """A task: its text, what else its data say (title, url), its spans and comments."""

    ref: str
    text: str
    spans: list[Span] = field(default_factory=list)
    title: str | None = None
    url: str | None = None
    comments: list[str] = field(default_factory=list)


# -- reading --------------------------------------------------------------------------------


def load_lines(raw: bytes, load: Any) -> Any:
    """A doccano export: JSON Lines (one task a line), or a JSON array of tasks.

    :raise InvalidInput: a line that is not JSON, naming it.
    """
    try:
        return load(raw)
    except InvalidInput:
        pass
    tasks = []
    for n, line in enumerate(raw.decode("utf-8-sig", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            tasks.append(load(line.encode("utf-8")))
        except InvalidInput as exc:
            raise InvalidInput(f"line {n}: {exc.message}") from None
    return tasks


def _time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def _person(value: Any) -> str | None:
    """Label Studio's `completed_by`: a user id, or (older exports) a user object."""
    if isinstance(value, dict):
        for key in ("email", "username", "first_name", "id"):
            if value.get(key) not in (None, ""):
                return str(value[key])
        return None
    if isinstance(value, (int, str)) and not isinstance(value, bool) and str(value).strip():
        return f"user {value}" if isinstance(value, int) else value.strip()
    return None


def _offset(value: Any) -> int:
    """An offset as given, or -1 (no span) when it is not a whole number."""
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


def _text_of(data: dict[str, Any], key: str | None) -> str | None:
    for name in (key, "text"):
        if name and isinstance(data.get(name), str):
            return str(data[name])
    return None


def labelstudio_tasks(data: Any) -> list[Task]:
    """The tasks of a Label Studio JSON export (a list of tasks, or one task).

    :raise InvalidInput: not of that shape.
    """
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(t, dict) and isinstance(t.get("data"), dict) for t in items):
        raise InvalidInput(
            'a labelstudio import is Label Studio\'s JSON export: a list of tasks {"data": '
            '{"text": …}, "annotations": [{"result": [{"type": "labels", "value": {"start", '
            '"end", "text", "labels"}}]}]}'
        )
    tasks = []
    for i, item in enumerate(items):
        ref = f"task {item.get('id', i + 1)}"
        data = item["data"]
        spans, key = [], None
        for a, annotation in enumerate(item.get("annotations") or []):
            if not isinstance(annotation, dict) or annotation.get("was_cancelled"):
                continue
            by = _person(annotation.get("completed_by"))
            at = _time(annotation.get("created_at"))
            for r, result in enumerate(annotation.get("result") or []):
                value = result.get("value") if isinstance(result, dict) else None
                if not isinstance(value, dict):
                    continue
                if result.get("type") == "textarea" and isinstance(value.get("text"), list):
                    continue  # a free-text answer about the whole task: see comments below
                labels = value.get("labels") or value.get("hypertextlabels") or []
                key = key or result.get("to_name")
                rid = result.get("id") or f"{a + 1}.{r + 1}"
                for label in labels if isinstance(labels, list) else []:
                    spans.append(
                        Span(
                            f"{ref} result {rid}",
                            _offset(value.get("start")),
                            _offset(value.get("end")),
                            str(label),
                            value.get("text") if isinstance(value.get("text"), str) else None,
                            by,
                            at,
                        )
                    )
        comments = [
            " ".join(str(t) for t in result["value"]["text"])
            for annotation in item.get("annotations") or []
            if isinstance(annotation, dict)
            for result in annotation.get("result") or []
            if isinstance(result, dict)
            and result.get("type") == "textarea"
            and isinstance(result.get("value", {}).get("text"), list)
        ]
        text = _text_of(data, key if isinstance(key, str) else None)
        if text is None:
            raise InvalidInput(f"{ref}: its data has no text (data.text)")
        tasks.append(
            Task(
                ref,
                text,
                spans,
                title=data.get("title") if isinstance(data.get("title"), str) else None,
                url=next(
                    (data[k] for k in ("url", "source") if isinstance(data.get(k), str)), None
                ),
                comments=comments,
            )
        )
    return tasks


def doccano_tasks(data: Any) -> list[Task]:
    """The tasks of a doccano sequence-labelling export (JSONL lines, or a list of them).

    :raise InvalidInput: not of that shape.
    """
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(t, dict) and isinstance(t.get("text"), str) for t in items):
        raise InvalidInput(
            'a doccano import is its JSONL export, one task a line: {"text": …, "label": '
            '[[start, end, "LABEL"]]} or {"text": …, "entities": [{"start_offset", '
            '"end_offset", "label"}]}'
        )
    tasks = []
    for i, item in enumerate(items):
        ref = f"line {i + 1}" + (f" (id {item['id']})" if "id" in item else "")
        spans = []
        raw = item.get("label", item.get("labels"))
        for n, entry in enumerate(raw if isinstance(raw, list) else []):
            if isinstance(entry, list) and len(entry) == 3:
                start, end, label = entry
                spans.append(Span(f"{ref} label {n + 1}", _offset(start), _offset(end), str(label)))
            elif isinstance(entry, str):
                raise InvalidInput(
                    f"{ref}: the label {entry!r} names no span: a text classification export, "
                    "not sequence labelling"
                )
        for n, entity in enumerate(item.get("entities") or []):
            if isinstance(entity, dict):
                spans.append(
                    Span(
                        f"{ref} entity {entity.get('id', n + 1)}",
                        _offset(entity.get("start_offset")),
                        _offset(entity.get("end_offset")),
                        str(entity.get("label")),
                    )
                )
        comments = [
            str(c.get("text", c)) if isinstance(c, dict) else str(c)
            for c in (item.get("Comments") or item.get("comments") or [])
        ]
        meta = item.get("meta") if isinstance(item.get("meta"), dict) else {}
        tasks.append(
            Task(
                ref,
                item["text"],
                spans,
                title=next(
                    (v for k, v in meta.items() if k == "title" and isinstance(v, str)), None
                ),
                url=next(
                    (v for k, v in meta.items() if k in ("url", "source") and isinstance(v, str)),
                    None,
                ),
                comments=[c for c in comments if c.strip()],
            )
        )
    return tasks


# -- labels ---------------------------------------------------------------------------------


def label_map(given: Iterable[str], tasks: list[Task]) -> dict[str, str]:
    """What each label of the file stands for: `LABEL=TARGET` pairs, and the labels named
    like a target (any letter case).

    :raise InvalidInput: a pair that is not `LABEL=TARGET`, or labels of the file that are
        not mapped (named, with how to map them): nothing is imported then.
    """
    mapping: dict[str, str] = {}
    for pair in given:
        label, sep, target = pair.rpartition("=")
        if not sep or not label.strip() or target.strip().lower() not in TARGETS:
            raise InvalidInput(
                f"--label-map {pair!r}: give it as LABEL=TARGET, TARGET one of {', '.join(TARGETS)}"
            )
        mapping[label.strip()] = target.strip().lower()
    used = sorted({s.label for t in tasks for s in t.spans})
    for label in used:
        if label not in mapping and label.strip().lower() in TARGETS:
            mapping[label] = label.strip().lower()
    missing = [label for label in used if label not in mapping]
    if missing:
        counts = {label: sum(s.label == label for t in tasks for s in t.spans) for label in missing}
        listed = ", ".join(
            f"{label!r} ({counts[label]} span{'s' if counts[label] != 1 else ''})"
            for label in missing
        )
        raise InvalidInput(
            f"labels not mapped: {listed}; say what each stands for with --label-map "
            f"LABEL=TARGET ({', '.join(TARGETS)})"
        )
    return mapping


# -- documents ------------------------------------------------------------------------------


def find_document(
    text: str, docs: Mapping[str, CorpusDocument], by_text: dict[str, str]
) -> str | None:
    """The id of the corpus document whose text is the task's, as it is or normalised as
    `annotate add` normalises a new document."""
    if text in by_text:
        return by_text[text]
    for final_newline in (True, False):
        try:
            normalised, _ = normalise(text, "task", final_newline)
        except InvalidInput:
            return None
        if normalised in by_text:
            return by_text[normalised]
    return None


def texts_of(docs: Mapping[str, CorpusDocument]) -> dict[str, str]:
    """`{text: id}` of the corpus (the first id, for a text that is there twice)."""
    out: dict[str, str] = {}
    for doc_id in sorted(docs):
        out.setdefault(docs[doc_id].text, doc_id)
    return out


# -- claims ---------------------------------------------------------------------------------


def place_span(task: Task, span: Span, doc_id: str, text: str) -> Any:
    """The span as an anchor in the document's text: at its offsets when the task's text and
    the span's own text agree there; else found by the quote and its context in the task's
    text (tolerant matching).

    :raise Unimportable: offsets outside the text, or the quote not found.
    """
    if not 0 <= span.start < span.end <= len(task.text):
        raise Unimportable(
            f"offsets {span.start}-{span.end} are not a span of the task's text "
            f"({len(task.text)} characters)"
        )
    exact = task.text[span.start : span.end]
    if span.text is not None and span.text != exact:
        exact = span.text  # the offsets and the span's own text disagree: the text decides
    if text[span.start : span.end] == exact and task.text == text[: len(task.text)]:
        return make_anchor(doc_id, text, span.start, span.end)
    # Context as a new document would store it (the task's text may have CRLF line ends).
    prefix = task.text[max(0, span.start - CONTEXT_CHARS) : span.start].replace("\r\n", "\n")
    suffix = task.text[span.end : span.end + CONTEXT_CHARS].replace("\r\n", "\n")
    try:
        start, end = place_quote(text, exact, prefix, suffix, span.start)
    except ValueError as exc:
        raise Unimportable(f"in {doc_id}: {exc}") from None
    return make_anchor(doc_id, text, start, end)


def claim_id(tool: str, task: Task, key: tuple[int, int], statement: str) -> str:
    """A stable id: importing the same file again finds the same claims."""
    digest = hashlib.sha256(
        json.dumps([tool, task.ref, key, statement], ensure_ascii=False).encode()
    ).hexdigest()[:8]
    return f"{accentless_stem(statement)[:50].strip('-')}-{digest}"
