"""What the formats share: where the record is published and by whom (`ExportSettings`),
and the refusal of one record of an import (`Unimportable`)."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..record.corpus import CorpusDocument
from ..record.store import to_json

DEFAULT_BASE_URL = "http://127.0.0.1:5000"
DEFAULT_ORG_NAME = "annotate fact-check desk"

LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa", ".intranet")
"""Host names that only reach a machine on this network (RFC 6761, RFC 6762, RFC 8375 and
common practice): nobody reading a published ClaimReview could open them."""


def unpublishable(url: str) -> str | None:
    """Why `url` cannot be a published record's address (None when it can): a loopback,
    private, link-local, unspecified or reserved IP address, `localhost`, a name of the local
    network (`LOCAL_SUFFIXES`), or a name without a dot (an intranet host)."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if not host:
        return "it has no host name"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or host.endswith(LOCAL_SUFFIXES):
            return f"{host} is a name of this machine or its local network"
        if "." not in host:
            return f"{host} is a host name without a domain (an intranet name)"
        return None
    if ip.is_loopback:
        return f"{host} is a loopback address (this machine only)"
    if ip.is_unspecified:
        return f"{host} is the unspecified address, not one anybody can reach"
    if ip.is_private or ip.is_link_local or ip.is_reserved or not ip.is_global:
        return f"{host} is a private or reserved address (this network only)"
    return None


@dataclass(frozen=True)
class ExportSettings:
    """Where the record is published and who publishes it (for claimreview and w3c)."""

    base_url: str = DEFAULT_BASE_URL
    org_name: str = DEFAULT_ORG_NAME
    org_url: str | None = None
    org_logo: str | None = None
    with_history: bool = False
    """`json`: each claim with its `history`."""
    excel: bool = False
    """`csv`: a UTF-8 byte order mark first, which Excel needs to read UTF-8."""

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
        if self.org_logo is not None and not re.match(
            r"^https?://[^\s/$.?#][^\s]*$", self.org_logo, re.IGNORECASE
        ):
            raise ValueError(
                f"organisation logo must be an http:// or https:// URL, not {self.org_logo!r}"
            )
        if not self.org_name.strip():
            raise ValueError("the organisation name must not be empty")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ExportSettings:
        """Settings from `ANNOTATE_BASE_URL`, `ANNOTATE_ORG_NAME`, `ANNOTATE_ORG_URL` and
        `ANNOTATE_ORG_LOGO`."""
        env = os.environ if environ is None else environ
        return cls(
            base_url=env.get("ANNOTATE_BASE_URL") or DEFAULT_BASE_URL,
            org_name=env.get("ANNOTATE_ORG_NAME") or DEFAULT_ORG_NAME,
            org_url=env.get("ANNOTATE_ORG_URL") or None,
            org_logo=env.get("ANNOTATE_ORG_LOGO") or None,
        )

    def publish_problem(self) -> str | None:
        """Why a record published with these settings would point where nobody can follow
        (the base URL or the organisation's URL not public), or None."""
        for setting, flag, url in (
            ("base_url", "--base-url", self.base_url),
            ("org_url", "--org-url", self.org_url),
            ("org_logo", "--org-logo", self.org_logo),
        ):
            if url is None:
                continue
            why = unpublishable(url)
            if why is not None:
                return (
                    f"{url} is not a public URL ({why}): a published ClaimReview must point "
                    f"where its readers can go. Set [publish] {setting} in the desk's settings "
                    f"file (annotate.toml) or give {flag}"
                )
        return None

    @property
    def organisation_url(self) -> str:
        """The reviewing organisation's URL: `org_url`, else the base URL."""
        return self.org_url or self.base_url

    def claim_url(self, claim_id: str) -> str:
        """The public page of a claim's review."""
        return f"{self.base_url}/claims/{claim_id}"

    def claim_review_id(self, claim_id: str) -> str:
        """The `@id` of a claim's ClaimReview: its review page's URL with `#claimreview`
        (stable: the claim id never changes)."""
        return f"{self.claim_url(claim_id)}#claimreview"

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


STREAMED = "@@annotate: the streamed list goes here@@"
"""Where `json_chunks` puts the items it streams, in the skeleton of the document."""

CHUNK_CHARS = 1 << 16
"""About how much text `json_chunks` gathers before it gives a piece out."""


def json_chunks(skeleton: Callable[[int], Any], items: Iterable[Any]) -> Iterator[str]:
    """`to_json(document)` in pieces, where the document is `skeleton(n)` with the list of
    `items` (n of them) in place of the string `STREAMED`: the same text, made one item at a
    time, so that no more than one item is held as objects (the exports of 100,000 claims).

    The part of the skeleton after `STREAMED` is made once every item was written, so it may
    say how many there were (the W3C collection's `total`); the part before must not depend
    on the count beyond whether it is 0 (`skeleton(0)` may leave `STREAMED` out).
    """
    it = iter(items)
    first = next(it, _NOTHING)
    if first is _NOTHING:
        yield to_json(skeleton(0)).replace(f'"{STREAMED}"', "[]")
        return
    head, _, _ = to_json(skeleton(1)).partition(f'"{STREAMED}"')
    line = head.rsplit("\n", 1)[-1]
    indent = " " * (len(line) - len(line.lstrip(" ")))
    inner = "\n" + indent + "  "
    out = [head, "[", inner, _item(first, inner)]
    size, count = 0, 1
    for item in it:
        out += [",", inner, _item(item, inner)]
        count += 1
        size += len(out[-1])
        if size >= CHUNK_CHARS:
            yield "".join(out)
            out, size = [], 0
    _, _, tail = to_json(skeleton(count)).partition(f'"{STREAMED}"')
    out += ["\n", indent, "]", tail]
    yield "".join(out)


_NOTHING = object()


def _item(item: Any, inner: str) -> str:
    """One item as `to_json` writes it inside a list at that indent (JSON strings hold no
    raw line breaks, so every line break is one of the layout's)."""
    return to_json(item)[:-1].replace("\n", inner)
