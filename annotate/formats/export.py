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

from collections.abc import Callable
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
]


@dataclass(frozen=True)
class Format:
    """An export format: how to make it, its media type and file extension."""

    name: str
    render: Callable[[Workspace, ExportSettings], str]
    media_type: str
    extension: str


FORMATS: dict[str, Format] = {
    "json": Format("json", export_json, "application/json", "json"),
    "csv": Format("csv", export_csv, "text/csv; charset=utf-8", "csv"),
    "claimreview": Format("claimreview", export_claimreview, "application/ld+json", "jsonld"),
    "w3c": Format("w3c", export_w3c, W3C_MEDIA_TYPE, "jsonld"),
}


def export(ws: Workspace, fmt: str, settings: ExportSettings | None = None) -> str:
    """The export in one of `FORMATS` (default settings when none are given).

    :raise KeyError: for an unknown format.
    """
    return FORMATS[fmt].render(ws, settings or ExportSettings())
