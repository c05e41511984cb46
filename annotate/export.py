"""Exports of the record. Every format is deterministic: the same store gives the same bytes."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

from .service import Workspace
from .store import to_json


@dataclass(frozen=True)
class Format:
    """An export format: how to make it, its media type and file extension."""

    name: str
    render: Callable[[Workspace], str]
    media_type: str
    extension: str


def export_json(ws: Workspace) -> str:
    """`{"claims": [...], "documents": [...]}`, both sorted by id."""
    claims = [c.public() for c in ws.store.claims()]
    docs = [d.info().model_dump(mode="json", exclude_none=True) for d in ws.corpus.documents()]
    return to_json({"claims": claims, "documents": docs})


CSV_COLUMNS = [
    "id",
    "statement",
    "claimant",
    "claim_date",
    "verdict",
    "rationale",
    "reviewer",
    "reviewed_at",
    "documents",
    "appearances",
    "quotes",
    "supporting_sources",
    "refuting_sources",
    "context_sources",
    "urls",
    "version",
]


def spreadsheet_safe(value: str) -> str:
    """Neutralise a cell a spreadsheet would run as a formula (CSV injection)."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


def export_csv(ws: Workspace) -> str:
    """One row per claim, for spreadsheets; no cell can start a formula."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for c in ws.store.claims():
        stances = [s.stance for s in c.sources]
        row = [
            c.id,
            c.statement,
            c.claimant,
            c.claim_date.isoformat() if c.claim_date else "",
            c.status,
            c.rationale or "",
            c.reviewer or "",
            c.reviewed_at.isoformat() if c.reviewed_at else "",
            " ".join(sorted({a.doc for a in c.appearances})),
            str(len(c.appearances)),
            " | ".join(a.exact for a in c.appearances),
            str(stances.count("supports")),
            str(stances.count("refutes")),
            str(stances.count("context")),
            " ".join(s.url for s in c.sources if s.url),
            str(c.version),
        ]
        writer.writerow([spreadsheet_safe(v) for v in row])
    return out.getvalue()


FORMATS: dict[str, Format] = {
    "json": Format("json", export_json, "application/json", "json"),
    "csv": Format("csv", export_csv, "text/csv; charset=utf-8", "csv"),
}


def export(ws: Workspace, fmt: str) -> str:
    """The export in one of `FORMATS`.

    :raise KeyError: for an unknown format.
    """
    return FORMATS[fmt].render(ws)
