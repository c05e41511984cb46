"""Our own format, `json`: `{"claims": [...], "documents": [...]}`, everything needed to
restore the store; exported, and imported back (claims keep their id, version and times,
so exporting again gives the same bytes). Exported `--with-history`, each claim carries its
history of changes, and an import keeps it: the claim arrives with every earlier change,
and one `imported` entry saying who moved it, when and from what file."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError

from ..errors import InvalidInput
from ..record.anchoring import anchor_problem
from ..record.corpus import CorpusDocument
from ..record.models import Claim, error_details
from ..record.service import Workspace
from .common import STREAMED, ExportSettings, Unimportable, json_chunks

# -- export ------------------------------------------------------------------------------


def export_json(ws: Workspace, settings: ExportSettings) -> Iterator[str]:
    """`{"claims": [...], "documents": [...]}`, both sorted by id; with `with_history`, each
    claim has its `history` too (what `import --format json` needs to keep it). Made a claim
    at a time (see `json_chunks`)."""
    docs = [
        d.info().model_dump(
            mode="json", exclude_none=True, exclude={"aliases"} if not d.meta.aliases else None
        )
        for d in ws.corpus.documents()
    ]
    claims = (_exported(c, settings.with_history) for c in ws.each_claim())
    return json_chunks(lambda _: {"claims": STREAMED, "documents": docs}, claims)


def _exported(claim: Claim, with_history: bool) -> dict[str, Any]:
    out = claim.public()
    if with_history:
        out["history"] = [h.model_dump(mode="json", exclude_none=True) for h in claim.history]
    return out


# -- import -----------------------------------------------------------------------------------


def json_records(data: Any) -> Iterator[tuple[str, Any]]:
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


def claim_from_json(record: Any, docs: dict[str, CorpusDocument]) -> Claim:
    if not isinstance(record, dict):
        raise Unimportable("a claim must be a JSON object")
    if record.get("blind") is True:
        raise Unimportable(
            "exported with its reviews and final verdict hidden (blind review): export it "
            "again as an adjudicator, who sees every review"
        )
    # Derived from the claim, not part of it: `public()` adds it.
    record = {k: v for k, v in record.items() if k != "review_status"}
    try:
        claim = Claim.model_validate(record)
    except ValidationError as exc:
        raise Unimportable(
            "; ".join(f"{d['field']}: {d['message']}" for d in error_details(exc))
        ) from None
    versions = [h.version for h in claim.history]
    if versions != sorted(versions) or (versions and versions[-1] > claim.version):
        raise Unimportable(
            f"history: its versions must grow up to the claim's version {claim.version}, "
            f"not {versions}"
        )
    for path, anchor in claim.anchors():
        doc = docs.get(anchor.doc)
        if doc is None:
            raise Unimportable(f"{path}.doc: no document '{anchor.doc}' in the corpus")
        if not anchor.orphaned:
            problem = anchor_problem(doc.text, anchor.start, anchor.end, anchor.exact)
            if problem:
                raise Unimportable(f"{path}: in {anchor.doc}: {problem}")
    return claim
