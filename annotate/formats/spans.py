"""Span labels (Label Studio, doccano) read into claims to import: the plan, checked whole
before anything is written (see `labelled` for the formats)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ..record import clock
from ..record.models import VERDICTS, Claim, error_details
from ..record.service import Workspace
from .common import Unimportable
from .ingest import Input, Prepared, prepare_all
from .labelled import (
    TOOL_NAMES,
    Span,
    Task,
    claim_id,
    doccano_tasks,
    find_document,
    label_map,
    labelstudio_tasks,
    place_span,
    texts_of,
)
from .w3c import UNKNOWN_CLAIMANT, tag_list


@dataclass
class Plan:
    """What an import of span labels will do: claims `(ref, claim, note)`, new documents,
    records not imported `(ref, reason)`, and notes for the report."""

    claims: list[tuple[str, Claim, str]] = field(default_factory=list)
    documents: list[Prepared] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


RULES = {
    "confirmed": "a supporting source",
    "denied": "a refuting source",
    "disputed": "a supporting and a refuting source",
}


def plan_labelled(
    ws: Workspace,
    data: Any,
    fmt: str,
    actor: str,
    label_maps: Sequence[str],
    add_documents: bool,
    claimant: str | None,
    plan: Plan,
) -> None:
    """Fill `plan` with the claims (and new documents) a Label Studio or doccano export
    gives, and what cannot be imported.

    :raise InvalidInput: not of the format's shape, or a label not mapped.
    """
    tool = TOOL_NAMES[fmt]
    tasks = labelstudio_tasks(data) if fmt == "labelstudio" else doccano_tasks(data)
    mapping = label_map(label_maps, tasks)
    docs = {d.id: d for d in ws.corpus.documents()}
    by_text = texts_of(docs)
    # Where each task's text is: a corpus document, or a new one (--add-documents).
    where: dict[str, tuple[str, str]] = {}
    unmatched: list[Task] = []
    for task in tasks:
        doc_id = find_document(task.text, docs, by_text)
        if doc_id is not None:
            where[task.ref] = (doc_id, docs[doc_id].text)
        elif any(mapping[s.label] != "ignore" for s in task.spans):
            unmatched.append(task)
    if unmatched and add_documents:
        first: dict[str, Task] = {}
        for task in unmatched:
            first.setdefault(task.text, task)
        items = [
            Input(
                raw=task.text.encode("utf-8"),
                origin=task.ref,
                kind="text",
                fields={
                    "title": " ".join(task.title.split())[:500] if task.title else None,
                    "url": task.url
                    if task.url and task.url.startswith(("http://", "https://"))
                    else None,
                },
            )
            for task in first.values()
        ]
        plan.documents = prepare_all(ws.corpus, items)
        made = {task.text: p for task, p in zip(first.values(), plan.documents, strict=True)}
        for task in unmatched:
            where[task.ref] = (made[task.text].id, made[task.text].text)
    elif unmatched:
        for task in unmatched:
            plan.skipped.append(
                (
                    task.ref,
                    "its text is not a document of the corpus (add it with --add-documents, "
                    "or add the document first with `annotate add`)",
                )
            )
    ignored = 0
    for task in tasks:
        if task.ref not in where:
            continue
        doc_id, text = where[task.ref]
        groups: dict[tuple[int, int], list[tuple[Span, Any]]] = {}
        for span in task.spans:
            if mapping[span.label] == "ignore":
                ignored += 1
                continue
            try:
                anchor = place_span(task, span, doc_id, text)
            except Unimportable as exc:
                plan.skipped.append((span.ref, f"label {span.label!r}: {exc}"))
                continue
            groups.setdefault((anchor.start, anchor.end), []).append((span, anchor))
        for key, spans in sorted(groups.items()):
            try:
                claim, suggested = _claim(tool, fmt, task, key, spans, mapping, actor, claimant)
            except Unimportable as exc:
                plan.skipped.append((spans[0][0].ref, str(exc)))
                continue
            plan.claims.append((spans[0][0].ref, claim, f"read from {tool}"))
            if suggested:
                plan.notes.append(
                    f"unreviewed {claim.id}: labelled {suggested}; a verdict needs a rationale "
                    "and sources, which a label does not give (the label is kept as a tag)"
                )
    if ignored:
        plan.notes.append(f"{ignored} span{'s' if ignored != 1 else ''} of ignored labels left out")


def _claim(
    tool: str,
    fmt: str,
    task: Task,
    key: tuple[int, int],
    spans: list[tuple[Span, Any]],
    mapping: dict[str, str],
    actor: str,
    claimant: str | None,
) -> tuple[Claim, str]:
    """One claim for the spans of a task at one place; and, when labels suggest verdicts,
    which (for the report)."""
    anchor = spans[0][1]
    statement = " ".join(anchor.exact.split())
    labels = tag_list([s.label for s, _ in spans])
    verdicts = [
        f"{s.label!r} ({mapping[s.label]})" + (f" by {s.by}" if s.by else "")
        for s, _ in spans
        if mapping[s.label] in VERDICTS
    ]
    note_parts = []
    if verdicts:
        needs = sorted({RULES[mapping[s.label]] for s, _ in spans if mapping[s.label] in VERDICTS})
        note_parts.append(
            f"Labelled {', '.join(verdicts)} in {tool}. A verdict needs a rationale and "
            f"{' or '.join(needs)}, which a label does not give: review the claim to set it."
        )
    note_parts += task.comments
    by = next((s.by for s, _ in spans if s.by), None)
    at = next((s.at for s, _ in spans if s.at), None) or clock.now()
    data: dict[str, Any] = {
        "id": claim_id(fmt, task, key, statement),
        "version": 1,
        "statement": statement,
        "claimant": claimant or UNKNOWN_CLAIMANT,
        "appearances": [anchor],
        "tags": labels,
        "note": "\n\n".join(note_parts)[:20_000] or None,
        "created_at": at,
        "created_by": by or actor,
        "updated_at": at,
    }
    if by:
        data["history"] = [
            {
                "version": 1,
                "at": at,
                "by": by,
                "action": "created",
                "note": f"labelled in {tool} ({task.ref})",
            }
        ]
    try:
        claim = Claim.model_validate(data)
    except ValidationError as exc:
        details = error_details(exc)
        raise Unimportable("; ".join(f"{d['field']}: {d['message']}" for d in details)) from None
    return claim, ", ".join(verdicts)
