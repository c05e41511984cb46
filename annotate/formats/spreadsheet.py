"""The `csv` export: one row per claim for spreadsheets; no cell can start a formula.

`verdict` is the final verdict (or `unreviewed`); `reviews` lists each reviewer's own verdict
(`name: verdict; ...`, a disputed review's basis in brackets when one is recorded) beside the
claim's `review_status`; `basis` is a disputed final verdict's (`contested` when none is
recorded), empty for the other verdicts; `tags` are comma-separated, `note` is the claim's
note (an imported annotation's comment), `short_statement` its short form (ClaimReview's
`claimReviewed`); `relations` the claim's links (`contradicts <id>; supports <id>`) and
`question` the question it answers, with its answer (`Were Iskanders used? (no)`; an unnamed
one as `unnamed question <id>`).

Rows end in CRLF (RFC 4180), which every spreadsheet reads. `excel` puts a UTF-8 byte order
mark first: without it, Microsoft Excel opens a double-clicked CSV in the system's legacy
code page and shows "Aliyev’s" as "Aliyevâ€™s"; with it, Excel reads UTF-8."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from ..record.questions import Question, question_of
from ..record.service import Workspace
from .common import CHUNK_CHARS, ExportSettings

BOM = "\ufeff"
"""The byte order mark (EF BB BF in UTF-8) that tells Excel a CSV is UTF-8."""

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
    "review_status",
    "reviews",
    "basis",
    "tags",
    "note",
    "short_statement",
    "relations",
    "question",
    "claim_month",
]


def spreadsheet_safe(value: str) -> str:
    """Neutralise a cell a spreadsheet would run as a formula (CSV injection)."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


def _answered(claim_id: str, found: list[Question]) -> str:
    question = question_of(claim_id, found)
    if question is None:
        return ""
    name = question.name or f"unnamed question {question.id}"
    return f"{name} ({question.answers[claim_id]})"


def export_csv(ws: Workspace, settings: ExportSettings) -> Iterator[str]:
    """One row per claim, for spreadsheets; no cell can start a formula. Made a claim at a
    time, given out in pieces of about `CHUNK_CHARS`."""
    out = io.StringIO()
    if settings.excel:
        out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    # The question column needs every claim's links: the questions the index's summaries
    # make (they hold each claim's links), not a first pass reading every claim file (at
    # 100,000 claims it took a third of the export's time and kept 100,000 links at once).
    found = ws.questions()
    for c in ws.each_claim():
        if out.tell() >= CHUNK_CHARS:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
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
            c.review_status,
            "; ".join(
                f"{name}: {r.verdict}" + (f" ({r.basis})" if r.basis else "")
                for name, r in sorted(c.reviews.items())
            ),
            (c.basis or "contested") if c.verdict == "disputed" else "",
            ", ".join(c.tags),
            c.note or "",
            c.short_statement or "",
            "; ".join(f"{r.kind} {r.claim}" for r in c.relations),
            _answered(c.id, found),
            c.claim_month or "",
        ]
        writer.writerow([spreadsheet_safe(v) for v in row])
    yield out.getvalue()
