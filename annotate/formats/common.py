"""What the formats share: where the record is published and by whom (`ExportSettings`),
and the refusal of one record of an import (`Unimportable`)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from ..record.corpus import CorpusDocument

DEFAULT_BASE_URL = "http://127.0.0.1:5000"
DEFAULT_ORG_NAME = "annotate fact-check desk"


@dataclass(frozen=True)
class ExportSettings:
    """Where the record is published and who publishes it (for claimreview and w3c)."""

    base_url: str = DEFAULT_BASE_URL
    org_name: str = DEFAULT_ORG_NAME
    org_url: str | None = None

    def __post_init__(self) -> None:
        if not re.match(r"^https?://[^\s/$.?#][^\s]*$", self.base_url, re.IGNORECASE):
            raise ValueError(f"base URL must be an http:// or https:// URL, not {self.base_url!r}")
        # Frozen: normalise through object.__setattr__ so that `a/` and `a` give the same URLs.
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        if self.org_url is not None and not re.match(
            r"^https?://[^\s/$.?#][^\s]*$", self.org_url, re.IGNORECASE
        ):
            raise ValueError(
                f"organisation URL must be an http:// or https:// URL, not {self.org_url!r}"
            )
        if not self.org_name.strip():
            raise ValueError("the organisation name must not be empty")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ExportSettings:
        """Settings from `ANNOTATE_BASE_URL`, `ANNOTATE_ORG_NAME` and `ANNOTATE_ORG_URL`."""
        env = os.environ if environ is None else environ
        return cls(
            base_url=env.get("ANNOTATE_BASE_URL") or DEFAULT_BASE_URL,
            org_name=env.get("ANNOTATE_ORG_NAME") or DEFAULT_ORG_NAME,
            org_url=env.get("ANNOTATE_ORG_URL") or None,
        )

    @property
    def organisation_url(self) -> str:
        """The reviewing organisation's URL: `org_url`, else the base URL."""
        return self.org_url or self.base_url

    def claim_url(self, claim_id: str) -> str:
        """The public page of a claim's review."""
        return f"{self.base_url}/claims/{claim_id}"

    def annotation_url(self, claim_id: str) -> str:
        """The IRI of a claim as a W3C annotation."""
        return f"{self.base_url}/annotations/{claim_id}"

    def document_url(self, doc_id: str, doc: CorpusDocument | None = None) -> str:
        """A document's own url when its metadata has one, else its page in the app."""
        if doc is not None and doc.meta.url:
            return doc.meta.url
        return f"{self.base_url}/documents/{doc_id}"


class Unimportable(Exception):
    """One record of the file cannot become a claim; the message says why."""
