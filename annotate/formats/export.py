"""Exports of the record. Every format is deterministic: the same store gives the same bytes.

Formats (`FORMATS` is the one registry; the CLI and the web app both use it):

- `json`: `{"claims": [...], "documents": [...]}`, everything needed to restore the store.
- `csv`: one row per claim for spreadsheets; no cell can start a formula.
- `claimreview`: a JSON-LD array of schema.org `ClaimReview`s, one per reviewed claim, as
  Google's fact-check markup guide describes them. The verdict is the rating's `alternateName`
  on a numeric scale from 1 (worst) to 3 (best): Denied = 1, Disputed = 2, Confirmed = 3.
- `w3c`: a W3C Web Annotation `AnnotationCollection` with one `assessing` annotation per
  claim: statement, verdict and rationale as bodies, sources as linked resources, each
  appearance a target with a `TextQuoteSelector` and a `TextPositionSelector`.

Public URLs (review pages, annotations, documents without a url of their own) and the
reviewing organisation come from `ExportSettings`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..record.service import Workspace
from .claimreview import claimant_type as claimant_type
from .claimreview import export_claimreview
from .common import DEFAULT_BASE_URL, DEFAULT_ORG_NAME, ExportSettings
from .native import export_json
from .spreadsheet import export_csv
from .w3c import W3C_MEDIA_TYPE, export_w3c

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_ORG_NAME",
    "FORMATS",
    "ExportSettings",
    "Format",
    "claimant_type",
    "export",
    "export_stream",
]


@dataclass(frozen=True)
class Format:
    """An export format: how to make it (in pieces of text, a claim at a time: the export of
    any store holds one claim), its media type and file extension."""

    name: str
    stream: Callable[[Workspace, ExportSettings], Iterator[str]]
    media_type: str
    extension: str


FORMATS: dict[str, Format] = {
    "json": Format("json", export_json, "application/json", "json"),
    "csv": Format("csv", export_csv, "text/csv; charset=utf-8", "csv"),
    "claimreview": Format("claimreview", export_claimreview, "application/ld+json", "jsonld"),
    "w3c": Format("w3c", export_w3c, W3C_MEDIA_TYPE, "jsonld"),
}


def export(ws: Workspace, fmt: str, settings: ExportSettings | None = None) -> str:
    """The export in one of `FORMATS` (default settings when none are given), whole.

    :raise KeyError: for an unknown format.
    """
    return "".join(export_stream(ws, fmt, settings))


def export_stream(ws: Workspace, fmt: str, settings: ExportSettings | None = None) -> Iterator[str]:
    """`export` in pieces, made as they are taken (what the CLI and the web app write). What
    refuses the export (a claimreview export without a public URL) is raised here, before
    the first piece.

    :raise KeyError: for an unknown format.
    """
    return FORMATS[fmt].stream(ws, settings or ExportSettings())
