"""What reviewers do, as library functions: the web views and the CLI both call these.

Input is validated by the models, anchors are checked against the corpus (the server never
trusts client offsets), and every accepted change goes through the store's compare-and-set and
is recorded in the claim's history.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import secrets
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..errors import (
    BrokenRecord,
    InvalidInput,
    NotFound,
    StaleText,
    StaleVersion,
    StillLinked,
    detail,
)
from . import clock
from .anchoring import checked_anchor, edited_in_place, locate, relocated
from .corpus import Corpus, CorpusDocument
from .editorial import EVIDENCE_CHANGED, evidence_moved_since
from .merge import VERDICT_UNIT
from .models import (
    RESERVED_NAME,
    Anchor,
    AnchorInput,
    Change,
    Claim,
    ClaimInput,
    ClaimPatch,
    ConfirmInput,
    Decision,
    DocumentMeta,
    Relation,
    Review,
    Source,
    SourceInput,
    VerdictInput,
    error_details,
)
from .questions import Question, questions
from .reviews import ReviewRules, after_review, blinded, hidden
from .revisions import Outcome, Relocation, reanchored, reopening, revise
from .search import START, STOP, Found, SearchIndex
from .similarity import ClaimCandidate, Suggestions, polar_passages, related_claims
from .slugs import ascii_words
from .store import Counts, Store, StoreProblem
from .store import Marks as Marks  # a summary's appearances (the claims page sorts by them)
from .store import Summary as Summary  # what the page views list
from .store.persisted import IndexFile

M = TypeVar("M", bound=BaseModel)

MAX_QUOTE_CHARS = 1000
"""The longest quote a new appearance or source may have. The shipped record's longest is
273 characters; a claim is a sentence or two, and a selection of thousands of characters is
a slip of the mouse (1,572 characters had become a quote without a word). A longer passage
is cited as two quotes, or by its address. Anchors already stored are kept as they are."""

SUGGESTION_DOCS = 200
"""Up to this many documents, suggestions come from the whole corpus; beyond, from the
claim's own documents and those sharing most claims with them (`SUGGESTION_NEIGHBOURS`)."""
SUGGESTION_NEIGHBOURS = 20


def parse(model: type[M], data: Any) -> M:
    """Validate client data with a model.

    :raise InvalidInput: naming each field that is wrong.
    """
    if not isinstance(data, dict):
        raise InvalidInput(
            "the body must be a JSON object",
            [detail("(body)", "expected a JSON object")],
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = error_details(exc)
        raise InvalidInput(
            f"invalid input: {details[0]['field']}: {details[0]['message']}", details
        ) from None


def slugify(text: str, words: int = 7, limit: int = 60) -> str:
    """A URL-safe id stem from a statement: lower-case ASCII words joined by hyphens, cut
    between words (`slugs.ascii_words`)."""
    return ascii_words(text, words, limit) or "claim"


@dataclass
class Workspace:
    """A corpus and the store of claims about it."""

    corpus: Corpus
    store: Store
    rules: ReviewRules = ReviewRules()
    lens: Callable[[Claim], Claim] | None = None
    """How the claims look to whoever asked (blind review); None: as they are."""
    summary_lens: Callable[[Summary], Summary] | None = None
    """The same for the index's summaries."""
    search: SearchIndex | None = None
    """The full-text search database (made with the workspace; shared by its `seen_by`)."""

    def __post_init__(self) -> None:
        if self.search is None:
            self.search = SearchIndex(self.store, self.corpus)

    @classmethod
    def open(
        cls,
        seeds: Path | str,
        store: Path | str,
        fsync: bool = True,
        rules: ReviewRules | None = None,
    ) -> Workspace:
        """The workspace of a corpus folder and a store folder."""
        return cls(Corpus(Path(seeds)), Store(Path(store), fsync=fsync), rules or ReviewRules())

    def seen_by(self, viewer: str | None, adjudicator: bool) -> Workspace:
        """This workspace as `viewer` reads it: under blind review, the claims they have not
        reviewed yet without reviews or final verdict (what exports for them read)."""
        if not self.rules.blind or adjudicator:
            return self
        rules = self.rules

        def lens(claim: Claim) -> Claim:
            return hidden(claim) if blinded(claim, viewer, adjudicator, rules) else claim

        def summary_lens(s: Summary) -> Summary:
            if (s.verdict is None and not s.reviews) or (
                viewer is not None and viewer in s.reviewers
            ):
                return s  # nothing to hide, or theirs to see
            return s._replace(
                verdict=None, rationale_text=None, reviews=(), settled=None, reopened=False
            )

        return dataclasses.replace(self, lens=lens, summary_lens=summary_lens)

    # -- reading -------------------------------------------------------------------------

    def claim(self, claim_id: str) -> Claim:
        """One claim (as whoever asked may see it). :raise NotFound:"""
        found = self.store.get(claim_id)
        return found if self.lens is None else self.lens(found)

    def find(
        self,
        doc: str | None = None,
        verdict: str | None = None,
        q: str | None = None,
        claimant: str | None = None,
        tag: str | None = None,
    ) -> list[Summary]:
        """Claims (as the index summarises them) filtered by document, verdict (or
        `unreviewed`), claimant, tag (any letter case) and text: by id, or with `q` best
        match first (see `search_claims`). Reads no claim file."""
        if q:
            return list(self.search_claims(q, doc, verdict, claimant, tag).claims)
        return self._filtered(doc, verdict, claimant, tag)

    def _filtered(
        self, doc: str | None, verdict: str | None, claimant: str | None, tag: str | None = None
    ) -> list[Summary]:
        found, _ = self.store.summaries(doc=doc or None)
        if self.summary_lens is not None:
            found = [self.summary_lens(s) for s in found]
        return _narrowed(found, verdict, claimant, tag)

    def search_claims(
        self,
        q: str,
        doc: str | None = None,
        verdict: str | None = None,
        claimant: str | None = None,
        tag: str | None = None,
    ) -> ClaimSearch:
        """The claims whose id, statement, claimant, rationale, appearances' quotes, note or
        tags have the words and phrases of `q` (see `search`), best first, with the other
        filters. Under blind review, a rationale hidden from the reader is not searched."""
        assert self.search is not None
        if self.summary_lens is None and not (doc or verdict or claimant or tag):
            # Nothing to narrow them by: counted by the search, and only the page shown is
            # ranked to the end and has its summaries fetched (see `search.Listed`).
            listed = self.search.listing(q)
            if listed is not None:
                return ClaimSearch(self, q, listed, listed.every)
        result = self.search.claims(q)
        names = result.names
        without: set[str] = set()
        if self.summary_lens is not None:
            # A rationale hidden from the reader is not searched: the claims a search without
            # rationales finds, in its order, then those found by a rationale they may see.
            blind = self.search.claims(q, rationale=False)
            if blind.every == result.every:
                without = set(blind.ids)
                names = blind.names + [
                    n for i, n in zip(result.ids, names, strict=True) if i not in without
                ]
        # Only the claims found are looked at (not every summary): a search at 100,000
        # claims costs what its hits cost.
        found = self.store.summaries_named(names)
        if self.summary_lens is not None:
            lensed = (self.summary_lens(s) for s in found)
            found = [s for s in lensed if s.id in without or s.rationale is not None]
        if doc:
            found = [s for s in found if doc in s.appearances.docs]
        return ClaimSearch(self, q, _narrowed(found, verdict, claimant, tag), result.every)

    def search_documents(self, q: str, offset: int = 0, limit: int = 50) -> DocumentSearch:
        """The documents whose title or text have the words and phrases of `q`: how many,
        and `limit` of them from `offset`, best first."""
        assert self.search is not None
        total, found = self.search.documents(q, offset, limit)
        return DocumentSearch(self, q, total, found)

    def claims(
        self,
        doc: str | None = None,
        verdict: str | None = None,
        q: str | None = None,
        claimant: str | None = None,
        tag: str | None = None,
    ) -> list[Claim]:
        """Claims filtered by document, verdict (or `unreviewed`), claimant, tag and text, by
        id (with `q`, best match first)."""
        return self.read(self.find(doc, verdict, q, claimant, tag))

    def read(self, summaries: Iterable[Summary]) -> list[Claim]:
        """The claims of these summaries as their files hold them now, in that order (one
        gone or broken since it was indexed is left out)."""
        return list(self.each_read(summaries))

    def each_read(self, summaries: Iterable[Summary]) -> Iterator[Claim]:
        """`read`, one claim at a time (each read when the one before is done with)."""
        for summary in summaries:
            try:
                yield self.store.get(summary.id)
            except (NotFound, BrokenRecord):  # gone or broken since it was indexed
                continue

    def claims_named(self, ids: Iterable[str]) -> dict[str, Claim]:
        """The claims of `ids` as whoever asked may see them, by id, each read as its file is
        now; one gone or broken since it was indexed is left out."""
        out: dict[str, Claim] = {}
        for claim_id in ids:
            try:
                out[claim_id] = self.claim(claim_id)
            except (NotFound, BrokenRecord):
                continue
        return out

    def every_claim(self) -> list[Claim]:
        """Every valid claim, by id, as the files are now (each file stat-ed): what exports
        read."""
        claims = self.store.claims()
        return claims if self.lens is None else [self.lens(c) for c in claims]

    def each_claim(self) -> Iterator[Claim]:
        """`every_claim()` one claim at a time (what exports read: a store of any size costs
        them one claim's memory)."""
        for claim in self.store.each_claim():
            yield claim if self.lens is None else self.lens(claim)

    def exists(self, claim_id: str) -> bool:
        """Whether a file for that claim id is in the store (valid or not)."""
        return self.store.exists(claim_id)

    def counts(self) -> Counts:
        """Claims per verdict, overall and per document, the claimants, and the problems of
        broken claim files: from the store's index (cheap; under blind review, counted
        again from the summaries as the reader may see them)."""
        counts = self.store.counts()
        if self.summary_lens is None:
            return counts
        total: Counter[str] = Counter()
        per_doc: dict[str, Counter[str]] = {}
        for s in self.find():
            total[s.status] += 1
            for doc in s.appearances.docs:
                per_doc.setdefault(doc, Counter())[s.status] += 1
        return Counts(total, per_doc, counts.problems, counts.claimants)

    def problems(self) -> list[StoreProblem]:
        """The claim files that cannot be used as they are (what `annotate check` reports)."""
        return self.store.counts().problems

    def to_mark(self, doc_id: str, text: str) -> list[Claim | Summary]:
        """The claims of a document as marking its `text` needs them: the index's summaries
        are enough; a claim whose quote is no longer at its offsets is read in full, to find
        where the quote is now (or list it as orphaned)."""
        return [
            self.claim(s.id)  # through the lens, as the summaries are
            if any(m.doc == doc_id and (m.orphaned or not m.matches(text)) for m in s.appearances)
            else s
            for s in self.find(doc=doc_id)
        ]

    def neighbourhood(self, claim: Claim, doc_id: str | None) -> list[str]:
        """The documents offered around a claim: all of a small corpus; in a large one, the
        page's (`doc_id`), the claim's own (appearances, quoted sources) and those sharing
        most claims with its appearances' documents."""
        docs = self.corpus.documents()
        if len(docs) <= SUGGESTION_DOCS:
            return [d.id for d in docs]
        own = list(
            dict.fromkeys([*([doc_id] if doc_id else []), *(a.doc for _, a in claim.anchors())])
        )
        shared: Counter[str] = Counter()
        for doc in {a.doc for a in claim.appearances}:
            for s in self.store.summaries(doc=doc)[0]:
                shared.update({m.doc for m in s.appearances} - set(own))
        near = [d for d, _ in sorted(shared.items(), key=lambda kv: (-kv[1], kv[0]))]
        return own + near[:SUGGESTION_NEIGHBOURS]

    def suggestions(self, claim: Claim, near: list[str]) -> Suggestions:
        """Passages of the documents `near` (see `neighbourhood`) that may be further
        appearances of the claim, and those that may refute it (they say its opposite)."""
        docs = self.corpus.documents()
        ids = {d.id for d in docs}
        if len(near) == len(docs):
            corpus = tuple((d.id, d.text) for d in docs)
        else:
            corpus = tuple((d, self.corpus.get(d).text) for d in near if d in ids)
        return polar_passages(corpus, claim)

    def relation_candidates(
        self, claim: Claim, near: list[str], linked: Iterable[str] = ()
    ) -> list[ClaimCandidate]:
        """Other claims (on the documents `near`, see `neighbourhood`) that may repeat or
        contradict this one (`similarity.related_claims`), those it links to and those in
        `linked` (the claims linking to it) left out."""
        linked = {r.claim for r in claim.relations} | {claim.id} | set(linked)
        texts = {d: self.corpus.get(d).text for d in near if self.corpus.has(d)}
        others = []
        seen: set[str] = set()
        for doc in texts:
            for s in self.find(doc=doc):
                if s.id in linked or s.id in seen:
                    continue
                seen.add(s.id)
                quotes = [
                    texts[m.doc][m.start : m.end]
                    for m in s.appearances
                    if m.doc in texts and not m.orphaned
                ]
                others.append((s.id, s.statement, "\n".join([s.statement, *quotes])))
        return related_claims(claim, others)

    # -- changing ------------------------------------------------------------------------

    def anchor(self, given: AnchorInput, field: str, kept: Sequence[Anchor] = ()) -> Anchor:
        """Check a client's anchor against the corpus and give the stored one. An anchor sent
        back `orphaned` is one of `kept` (the claim's own anchors) as it is; its read-only
        `prefix`, `suffix` and `orphaned` must agree with the server's. A quote longer than
        `MAX_QUOTE_CHARS` is refused, unless it is one of `kept` (anchors the claim has).

        :raise InvalidInput: unknown document, offsets out of range, quote not there or too
            long, or a read-only field that disagrees (named).
        """
        if given.orphaned:
            found = next(
                (
                    a
                    for a in kept
                    if a.orphaned
                    and (a.doc, a.start, a.end, a.exact)
                    == (given.doc, given.start, given.end, given.exact)
                ),
                None,
            )
            if found is None:
                why = (
                    "read-only: the server has no orphaned anchor of this claim with this "
                    "document, offsets and quote; send the quote where it is now, without "
                    "`orphaned`"
                )
                raise InvalidInput(f"{field}.orphaned: {why}", [detail(f"{field}.orphaned", why)])
            return self._context_agrees(found, given, field)
        length = len(given.exact)
        known = any(
            (a.doc, a.start, a.end, a.exact) == (given.doc, given.start, given.end, given.exact)
            for a in kept
        )
        if length > MAX_QUOTE_CHARS and not known:
            msg = (
                f"the quote is {length:,} characters long, more than the {MAX_QUOTE_CHARS:,} "
                "a quote may have: select the sentence or two that make the claim (cite a "
                "longer passage as two quotes, or by its address)"
            )
            raise InvalidInput(f"{field}.exact: {msg}", [detail(f"{field}.exact", msg)])
        try:
            doc = self.corpus.get(given.doc)
        except NotFound:
            raise InvalidInput(
                f"{field}.doc: no document '{given.doc}' in the corpus",
                [detail(f"{field}.doc", f"no document '{given.doc}' in the corpus")],
            ) from None
        try:
            anchor = checked_anchor(doc.id, doc.text, given)
        except ValueError as exc:
            raise InvalidInput(
                f"{field}.exact: {exc}", [detail(f"{field}.exact", str(exc))]
            ) from None
        return self._context_agrees(anchor, given, field)

    @staticmethod
    def _context_agrees(anchor: Anchor, given: AnchorInput, field: str) -> Anchor:
        """`anchor`, when the read-only context `given` carries agrees with it.

        :raise InvalidInput: naming `prefix` or `suffix` when it does not."""
        problems = []
        if given.prefix is not None and not anchor.prefix.endswith(given.prefix):
            problems.append(("prefix", anchor.prefix))
        if given.suffix is not None and not anchor.suffix.startswith(given.suffix):
            problems.append(("suffix", anchor.suffix))
        if not problems:
            return anchor
        details = [
            detail(
                f"{field}.{name}",
                f"read-only: the server's {name} is {value!r} (the document's text next to "
                "the quote); leave it out or send it as the API gave it",
            )
            for name, value in problems
        ]
        raise InvalidInput(f"{details[0]['field']}: {details[0]['message']}", details)

    def _anchors(
        self, given: list[AnchorInput], field: str, kept: Sequence[Anchor] = ()
    ) -> list[Anchor]:
        anchors = [self.anchor(a, f"{field}[{i}]", kept) for i, a in enumerate(given)]
        seen: set[tuple[str, int, int]] = set()
        for i, a in enumerate(anchors):
            key = (a.doc, a.start, a.end)
            if key in seen:
                raise InvalidInput(
                    f"{field}[{i}]: the same passage is listed twice",
                    [detail(f"{field}[{i}]", "the same passage is listed twice")],
                )
            seen.add(key)
        return anchors

    def _sources(self, given: list[SourceInput], kept: Sequence[Anchor] = ()) -> list[Source]:
        out = []
        for i, s in enumerate(given):
            data = s.model_dump(exclude={"quote"})
            if s.quote is not None:
                data["quote"] = self.anchor(s.quote, f"sources[{i}].quote", kept)
            out.append(Source(**data))
        return out

    def _kept(self, claim_id: str) -> list[Anchor]:
        """The anchors a claim has now, which a client may send back as they are (an orphaned
        one included); none when there is no such claim (the write answers 404)."""
        try:
            return [a for _, a in self.store.get(claim_id).anchors()]
        except NotFound:
            return []

    def new_id(self, statement: str) -> str:
        """A fresh claim id made from the statement."""
        stem = slugify(statement)
        if len(stem) >= 2 and not RESERVED_NAME.match(stem) and not self.store.exists(stem):
            return stem
        while True:
            candidate = f"{slugify(statement, limit=52)}-{secrets.token_hex(3)}"
            if not self.store.exists(candidate):
                return candidate

    def create_claim(self, data: dict[str, Any] | ClaimInput, actor: str) -> Claim:
        """Create a claim from `{statement, claimant, claim_date?, appearances}`.

        :raise InvalidInput: :raise AlreadyExists: when an id is given and taken.
        """
        given = data if isinstance(data, ClaimInput) else parse(ClaimInput, data)
        self._linked(given.relations)
        appearances = self._anchors(given.appearances, "appearances")
        at = clock.now()
        claim = Claim(
            id=given.id or self.new_id(given.statement),
            version=1,
            statement=given.statement,
            short_statement=given.short_statement,
            claimant=given.claimant,
            claimant_type=given.claimant_type,
            claim_date=given.claim_date,
            claim_month=given.claim_month,
            appearances=appearances,
            tags=given.tags,
            note=given.note,
            relations=given.relations,
            question=given.question,
            created_at=at,
            created_by=actor,
            updated_at=at,
            history=[Change(version=1, at=at, by=actor, action="created")],
        )
        return self.store.create(claim)

    def edit_claim(
        self, claim_id: str, expected_version: int, data: dict[str, Any] | ClaimPatch, actor: str
    ) -> Claim:
        """Change statement, its short form, claimant, claim date or appearances of a claim.

        :raise InvalidInput: :raise NotFound: :raise StaleVersion:
        """
        patch = data if isinstance(data, ClaimPatch) else parse(ClaimPatch, data)
        fields = patch.model_dump(exclude_unset=True)
        if patch.relations is not None:
            self._linked(patch.relations, claim_id)
        if "appearances" in fields and patch.appearances is not None:
            fields["appearances"] = self._anchors(
                patch.appearances, "appearances", self._kept(claim_id)
            )
        # A day and a month are alternatives: giving one (and not the other) drops the other.
        for given, other in (("claim_date", "claim_month"), ("claim_month", "claim_date")):
            if fields.get(given) is not None and other not in fields:
                fields[other] = None
        for required in ("statement", "claimant", "appearances"):
            if required in fields and fields[required] is None:
                raise InvalidInput(
                    f"{required}: may not be null",
                    [detail(required, "may not be null")],
                )
        return self.store.update(
            claim_id, expected_version, lambda c: revise(c, fields, actor, "edited")
        )

    def set_verdict(
        self, claim_id: str, expected_version: int, data: dict[str, Any] | VerdictInput, actor: str
    ) -> Claim:
        """Record the verdict, rationale and sources of a claim.

        :raise InvalidInput: breaking the verdict/source rules names `sources`.
        """
        given = data if isinstance(data, VerdictInput) else parse(VerdictInput, data)
        sources = self._sources(given.sources, self._kept(claim_id))
        fields = {
            "verdict": given.verdict,
            "rationale": given.rationale,
            "sources": sources,
            "basis": given.basis,
            "reviewer": actor,
            "settled": None,
            "reopened": None,
        }
        return self.store.update(
            claim_id, expected_version, lambda c: revise(c, fields, actor, "verdict", reviewed=True)
        )

    def confirm_verdict(
        self,
        claim_id: str,
        expected_version: int,
        actor: str,
        data: dict[str, Any] | ConfirmInput | None = None,
    ) -> Claim:
        """Confirm that a final verdict still stands after its cited evidence changed: the
        claim is no longer reopened, its `reviewed_at` is now, and the history records who
        confirmed it (action `confirmed`, with the note given). A claim reopened by a review
        is not confirmed this way: an adjudicator sets its verdict again.

        :raise InvalidInput: no final verdict, or nothing changed in its evidence.
        :raise NotFound: :raise StaleVersion:
        """
        given = data if isinstance(data, ConfirmInput) else parse(ConfirmInput, data or {})

        def change(c: Claim) -> Claim:
            evidence = (c.reopened or "").startswith(EVIDENCE_CHANGED)
            if c.verdict is None or not (evidence or evidence_moved_since(c)):
                if c.verdict is None:
                    why = "the claim has no final verdict"
                elif c.reopened:
                    why = f"reopened by a review ({c.reopened}): set the final verdict again"
                else:
                    why = "its evidence has not changed since the verdict"
                raise InvalidInput(
                    f"nothing to confirm: {why}", [detail("verdict", f"nothing to confirm: {why}")]
                )
            note = "the verdict still stands after its evidence changed"
            if given.note:
                note += f": {given.note}"
            return revise(
                c, {"reopened": None}, actor, "confirmed", reviewed=True, note=note[:2000]
            )

        return self.store.update(claim_id, expected_version, change)

    def require_version(self, claim_id: str, expected_version: int) -> None:
        """Evaluate a change's precondition before its content (RFC 9110 §13.2.1): a stale
        version is refused whatever the body says. (The write checks it again, under the
        claim's lock.)

        :raise NotFound: :raise StaleVersion: carrying the claim as it is now.
        """
        current = self.store.get(claim_id)
        if current.version != expected_version:
            raise StaleVersion(
                f"claim '{claim_id}' is at version {current.version}, not {expected_version}: "
                "someone else changed it since you read it",
                current,
            )

    def set_review(
        self, claim_id: str, expected_version: int, data: dict[str, Any] | VerdictInput, actor: str
    ) -> Claim:
        """Give or revise `actor`'s own review of a claim (verdict, rationale, sources, under
        the verdict/source rules). When the store's required number of reviews agree, their
        verdict becomes the final one (`agreed`); a review that no longer agrees with a final
        verdict reopens the claim (`disagreement`).

        :raise InvalidInput: :raise NotFound: :raise StaleVersion:
        """
        given = data if isinstance(data, VerdictInput) else parse(VerdictInput, data)
        sources = self._sources(given.sources, self._kept(claim_id))
        review = Review(
            verdict=given.verdict,
            rationale=given.rationale,
            reviewed_at=clock.now(),
            sources=sources,
            basis=given.basis,
        )
        return self.store.update(
            claim_id,
            expected_version,
            lambda c: revise(c, after_review(c, actor, review, self.rules), actor, "reviewed"),
        )

    def reviewer_progress(self, docs: list[str]) -> tuple[Counter[str], dict[str, Counter[str]]]:
        """How many claims each reviewer has reviewed, overall and in each of `docs` (names
        and numbers: no verdict, nothing blind review hides)."""
        listed = set(docs)
        overall: Counter[str] = Counter()
        per_doc: dict[str, Counter[str]] = {d: Counter() for d in docs}
        for summary in self.store.summaries()[0]:
            overall.update(summary.reviewers)
            for d in {m.doc for m in summary.appearances} & listed:
                per_doc[d].update(summary.reviewers)
        return overall, per_doc

    def agreement(self, doc: str | None = None) -> dict[str, Any]:
        """Agreement between reviewers over the claims with at least two reviews, overall,
        per pair and per document (or for one document): see `agreement.agreement`."""
        from .agreement import agreement

        return agreement(self._rated(), document=doc)

    def agreement_stream(self) -> Iterator[str]:
        """`agreement()` over every document as JSON text (keys sorted), made a document at
        a time: the whole result of a large store is tens of megabytes of objects, the
        stream a few."""
        from .agreement import agreement, iter_documents

        items = self._rated()
        head = agreement(items, with_documents=False)
        yield '{"documents": {'
        for i, (doc, figures) in enumerate(iter_documents(items)):
            yield (
                ("" if i == 0 else ", ")
                + json.dumps(doc)
                + ": "
                + json.dumps(figures, sort_keys=True)
            )
        yield '}, "overall": ' + json.dumps(head["overall"], sort_keys=True)
        yield ', "pairs": ' + json.dumps(head["pairs"], sort_keys=True) + "}\n"

    def _rated(self) -> list[Any]:
        from .agreement import Rated

        return [
            Rated(s.id, tuple(sorted({m.doc for m in s.appearances})), dict(s.reviews))
            for s in self.store.summaries()[0]
            if len(s.reviews) >= 2
        ]

    def resolve_conflict(
        self, claim_id: str, expected_version: int, index: int, take: str, actor: str
    ) -> Claim:
        """Decide one conflict a git merge recorded (`conflicts[index]`): keep `ours` (the
        value in place) or take `theirs`; the other side stays in the history's note.

        :raise InvalidInput: no such conflict, or `take` not ours/theirs, or the value taken
            breaks a rule. :raise NotFound: :raise StaleVersion:
        """
        if take not in ("ours", "theirs"):
            raise InvalidInput(
                f"take: '{take}' is neither ours nor theirs",
                [detail("take", "one of ours, theirs")],
            )

        current = self.store.get(claim_id)
        if (
            0 <= index < len(current.conflicts)
            and current.conflicts[index].field == "deleted"
            and getattr(current.conflicts[index], take) == "deleted"
        ):
            # One side deleted the claim: taking that side deletes it (into the trash), as a
            # delete would: not while other claims link to it.
            self._refuse_if_linked(claim_id)
            note = "merge conflict decided: the deletion kept"
            return self.store.delete(
                claim_id,
                expected_version,
                lambda c: revise(c, {"conflicts": []}, actor, "deleted", note=note),
            )

        def change(c: Claim) -> Claim:
            if not 0 <= index < len(c.conflicts):
                raise InvalidInput(
                    f"conflicts[{index}]: no such conflict",
                    [detail(f"conflicts[{index}]", "no such conflict")],
                )
            found = c.conflicts[index]
            value = found.ours if take == "ours" else found.theirs
            fields: dict[str, Any] = {
                "conflicts": [x for i, x in enumerate(c.conflicts) if i != index]
            }
            if found.field == "deleted":
                pass  # the claim is kept: only the conflict goes
            elif found.field == "verdict":
                chosen = value or dict.fromkeys(VERDICT_UNIT)
                fields.update({k: v for k, v in chosen.items() if k in Claim.model_fields})
            elif found.field.startswith("reviews."):
                reviews = dict(c.model_dump(mode="json")["reviews"])
                name = found.field.split(".", 1)[1]
                if value is None:
                    reviews.pop(name, None)
                else:
                    reviews[name] = value
                fields["reviews"] = reviews
            elif found.field.startswith("relations."):
                other = found.field.split(".", 1)[1]
                kept = [r for r in c.relations if r.claim != other]
                if value is not None:
                    at = next((i for i, r in enumerate(c.relations) if r.claim == other), None)
                    kept.insert(len(kept) if at is None else at, Relation(kind=value, claim=other))
                fields["relations"] = kept
            else:
                fields[found.field] = value
            note = f"merge conflict on {found.field} decided: {take} kept"
            return revise(c, fields, actor, "resolved", note=note)

        return self.store.update(claim_id, expected_version, change)

    def withdraw_review(self, claim_id: str, expected_version: int, actor: str) -> Claim:
        """Withdraw `actor`'s own review of a claim (a settled claim is reopened).

        :raise InvalidInput: they have none. :raise NotFound: :raise StaleVersion:
        """
        return self.store.update(
            claim_id,
            expected_version,
            lambda c: revise(c, after_review(c, actor, None, self.rules), actor, "withdrawn"),
        )

    def queue(self, status: str | None = None, reviewer: str | None = None) -> list[Summary]:
        """Claims by review status (`REVIEW_STATUSES`), by id; with `reviewer`, only those
        waiting for that reviewer: not settled, and not reviewed by them yet."""
        found, _ = self.store.summaries()
        if status:
            found = [s for s in found if s.review_status == status]
        if reviewer:
            found = [
                s
                for s in found
                if s.review_status in ("unreviewed", "in review", "disagreement")
                and reviewer not in s.reviewers
            ]
        return found

    def decide(
        self,
        claim_id: str,
        expected_version: int,
        verdict: str,
        rationale: str,
        actor: str,
        basis: str | None = None,
    ) -> Claim:
        """Set verdict, rationale (and the basis of a disputed verdict), keeping the sources
        already cited.

        :raise InvalidInput: when the sources cited do not allow that verdict.
        """
        given = parse(
            Decision,
            {"verdict": verdict, "rationale": rationale} | ({"basis": basis} if basis else {}),
        )
        fields = {
            "verdict": given.verdict,
            "rationale": given.rationale,
            "basis": given.basis,
            "reviewer": actor,
            "settled": None,
            "reopened": None,
        }
        return self.store.update(
            claim_id, expected_version, lambda c: revise(c, fields, actor, "verdict", reviewed=True)
        )

    def add_source(
        self, claim_id: str, expected_version: int, data: dict[str, Any] | SourceInput, actor: str
    ) -> Claim:
        """Cite one more source (a quote from the corpus or a URL) for a claim."""
        given = data if isinstance(data, SourceInput) else parse(SourceInput, data)
        (source,) = self._sources([given])
        return self.store.update(
            claim_id,
            expected_version,
            lambda c: revise(c, {"sources": [*c.sources, source]}, actor, "edited"),
        )

    def remove_source(self, claim_id: str, expected_version: int, index: int, actor: str) -> Claim:
        """Stop citing a source.

        :raise InvalidInput: when the verdict would then break the source rules.
        """

        def change(c: Claim) -> Claim:
            if not 0 <= index < len(c.sources):
                raise InvalidInput(
                    f"sources[{index}]: no such source",
                    [detail(f"sources[{index}]", "no such source")],
                )
            rest = [s for i, s in enumerate(c.sources) if i != index]
            return revise(c, {"sources": rest}, actor, "edited")

        return self.store.update(claim_id, expected_version, change)

    def add_appearance(
        self, claim_id: str, expected_version: int, data: dict[str, Any] | AnchorInput, actor: str
    ) -> Claim:
        """Add one more place where the claim appears."""
        given = data if isinstance(data, AnchorInput) else parse(AnchorInput, data)

        def change(c: Claim) -> Claim:
            new = self.anchor(given, f"appearances[{len(c.appearances)}]")
            if any((a.doc, a.start, a.end) == (new.doc, new.start, new.end) for a in c.appearances):
                raise InvalidInput(
                    "appearances: that passage is already an appearance",
                    [detail("appearances", "that passage is already an appearance")],
                )
            return revise(c, {"appearances": [*c.appearances, new]}, actor, "edited")

        return self.store.update(claim_id, expected_version, change)

    def remove_appearance(
        self, claim_id: str, expected_version: int, index: int, actor: str
    ) -> Claim:
        """Remove one appearance (a claim keeps at least one)."""

        def change(c: Claim) -> Claim:
            if not 0 <= index < len(c.appearances):
                raise InvalidInput(
                    f"appearances[{index}]: no such appearance",
                    [detail(f"appearances[{index}]", "no such appearance")],
                )
            if len(c.appearances) == 1:
                raise InvalidInput(
                    "appearances: a claim keeps at least one appearance",
                    [
                        detail(
                            "appearances",
                            "a claim keeps at least one appearance; delete the claim instead",
                        )
                    ],
                )
            rest = [a for i, a in enumerate(c.appearances) if i != index]
            return revise(c, {"appearances": rest}, actor, "edited")

        return self.store.update(claim_id, expected_version, change)

    def find_quote(self, doc_id: str, quote: str, field: str = "quote") -> AnchorInput:
        """The anchor of a quote typed or pasted by hand: its first place in the document.

        Whitespace differences are tolerated; the stored quote is the document's own text.

        :raise InvalidInput: when the document does not contain it.
        """
        try:
            doc = self.corpus.get(doc_id)
        except NotFound:
            raise InvalidInput(
                f"{field}: no document '{doc_id}'",
                [detail(f"{field}.doc", f"no document '{doc_id}'")],
            ) from None
        words = quote.split()
        if not words:
            raise InvalidInput(
                f"{field}: the quote is empty",
                [detail(f"{field}.exact", "the quote is empty")],
            )
        pattern = r"\s+".join(re.escape(w) for w in words)
        m = re.search(pattern, doc.text)
        if m is None:
            msg = f"the quote is not in '{doc.meta.title}'; copy it exactly from the document"
            raise InvalidInput(f"{field}: {msg}", [detail(f"{field}.exact", msg)])
        return AnchorInput(doc=doc.id, start=m.start(), end=m.end(), exact=m.group(0))

    def relocations(
        self, claim: Claim, texts: Mapping[str, str] | None = None, doc: str | None = None
    ) -> list[Relocation]:
        """Where every anchor of a claim belongs in the corpus as it is now (reads only).

        `texts` stands in for documents' texts (a replacement being previewed); with `doc`,
        only the anchors in that document are looked at.
        """
        out = []
        for field, anchor in claim.anchors():
            if doc is not None and anchor.doc != doc:
                continue
            if texts is not None and anchor.doc in texts:
                text = texts[anchor.doc]
            elif not self.corpus.has(anchor.doc):
                out.append(Relocation(claim.id, field, "unknown document", anchor, anchor))
                continue
            else:
                text = self.corpus.get(anchor.doc).text
            placement = locate(text, anchor)
            new = relocated(anchor.doc, text, anchor, placement)
            outcome: Outcome
            if not placement.placed:
                outcome = "still orphaned" if anchor.orphaned else "orphaned"
            elif anchor.orphaned:
                outcome = "restored"
            elif placement.status == "moved":
                outcome = "edited" if edited_in_place(anchor, placement) else "moved"
            else:
                outcome = "unchanged" if new == anchor else "refreshed"
            out.append(Relocation(claim.id, field, outcome, anchor, new, placement))
        return out

    def reanchor(
        self, actor: str, dry_run: bool = False, doc: str | None = None, replaced: bool = False
    ) -> list[Relocation]:
        """Move drifted anchors of every claim to where their quote is now, orphan the lost.

        Each changed claim gets one new version through the store's compare-and-set, with
        every move recorded in its history (action `reanchored`). A claim changed by someone
        else meanwhile is re-read and re-anchored again. `dry_run` writes nothing. With `doc`,
        only the anchors in that document are re-anchored. A final verdict whose cited
        quotes change is reopened (`revisions.reopening`); with `replaced` (the text of `doc`
        was replaced), so is one that cites a quote in `doc` at all.
        """
        report: list[Relocation] = []
        for claim in self.store.claims():
            if doc is not None and not any(a.doc == doc for _, a in claim.anchors()):
                continue
            gone = doc if replaced else None
            for _ in range(5):
                moves = self.relocations(claim, doc=doc)
                reopen = reopening(claim, moves, gone)
                if dry_run or not (
                    any(m.changes for m in moves) or (reopen and reopen != claim.reopened)
                ):
                    break
                try:
                    self.store.update(
                        claim.id,
                        claim.version,
                        functools.partial(reanchored, moves=moves, actor=actor, replaced=gone),
                    )
                    break
                except StaleVersion as exc:
                    claim = exc.current
                except NotFound:  # deleted meanwhile: nothing left to re-anchor
                    moves = []
                    break
            report += moves
        return report

    def reattach(
        self,
        claim_id: str,
        expected_version: int,
        field: str,
        data: dict[str, Any] | AnchorInput,
        actor: str,
    ) -> Claim:
        """Attach one anchor of a claim (`appearances[i]` or `sources[i].quote`), typically an
        orphaned one, to a new selection; recorded as `reanchored` in the claim's history.

        :raise InvalidInput: unknown field, or the selection is not in the corpus.
        :raise NotFound: :raise StaleVersion:
        """
        given = data if isinstance(data, AnchorInput) else parse(AnchorInput, data)
        anchor = self.anchor(given, field)

        def change(claim: Claim) -> Claim:
            old = dict(claim.anchors()).get(field)
            if old is None:
                raise InvalidInput(
                    f"{field}: the claim has no anchor there",
                    [detail(field, "the claim has no anchor there")],
                )
            if field.startswith("appearances") and any(
                (a.doc, a.start, a.end) == (anchor.doc, anchor.start, anchor.end)
                for f, a in claim.anchors()
                if f != field and f.startswith("appearances")
            ):
                raise InvalidInput(
                    f"{field}: the same passage is listed twice",
                    [detail(field, "the same passage is listed twice")],
                )
            move = Relocation(claim_id, field, "moved", old, anchor)
            return reanchored(claim, [move], actor, note=f"{field} re-attached by hand")

        return self.store.update(claim_id, expected_version, change)

    # -- documents -------------------------------------------------------------------------

    def set_document_meta(
        self, doc_id: str, data: dict[str, Any], expected: str | None = None
    ) -> CorpusDocument:
        """Change a document's metadata: the given fields replace the stored ones (an empty
        or null value clears one; the title cannot be cleared). `expected` is the
        `meta_version` that was read, or None to skip that check.

        :raise InvalidInput: :raise NotFound: :raise StaleText:
        """
        doc = self.corpus.get(doc_id)
        merged = doc.meta.model_dump(mode="json")
        for key, value in data.items():
            merged[key] = None if value == "" else value
        for key in ("language", "aliases"):  # absent: the default (en; no aliases)
            if merged.get(key) is None:
                merged.pop(key, None)
        meta = parse(DocumentMeta, merged)
        if meta == doc.meta and self.corpus.has_sidecar(doc_id):
            raise InvalidInput(
                "nothing to change: the values sent are the ones the document has",
                [detail("(body)", "no field differs from the document")],
            )
        return self.corpus.set_meta(doc_id, meta, expected)

    def _claims_on(self, doc_id: str) -> list[Claim]:
        return [c for c in self.store.claims() if any(a.doc == doc_id for _, a in c.anchors())]

    def preview_replace(self, doc_id: str, text: str) -> list[Relocation]:
        """What replacing a document's text would do to every anchor in it (writes nothing).

        :raise NotFound: :raise InvalidInput: when the text is the same.
        """
        doc = self.corpus.get(doc_id)
        if text == doc.text:
            raise InvalidInput(
                "the new text is the same as the stored one: nothing to replace",
                [detail("text", "the same as the stored text: nothing to replace")],
            )
        return [
            r
            for claim in self._claims_on(doc_id)
            for r in self.relocations(claim, texts={doc_id: text}, doc=doc_id)
        ]

    def replace_text(self, doc_id: str, text: str, base: str, actor: str) -> list[Relocation]:
        """Replace a document's text, then re-anchor every claim anchored in it.

        `base` is the sha256 of the text the preview was made against: if the text changed
        since, nothing is written. Moves and orphans go through the store's compare-and-set
        (history `reanchored`); orphaned anchors are kept with their last offsets.

        :raise NotFound: :raise InvalidInput: :raise StaleText:
        """
        if self.corpus.get(doc_id).sha256 != base:
            raise StaleText(
                f"the text of '{doc_id}' was changed meanwhile: look at the new preview",
                [detail("base", "the text changed since the preview")],
            )
        self.preview_replace(doc_id, text)
        self.corpus.replace_text(doc_id, text, base)
        return self.reanchor(actor, doc=doc_id, replaced=True)

    def sweep(self) -> list[Path]:
        """Remove the temp files of writes a crash interrupted (see `Store.sweep`); the paths."""
        return self.store.sweep()

    def reload(self) -> None:
        """Read the store and the corpus again after something else changed their files in
        bulk (a git merge by `annotate sync`)."""
        self.store.refresh(full=True)
        self.corpus.refresh()

    def keep_index(self) -> None:
        """Keep the store's index, and what the corpus knows of its documents, between runs
        in the store's `.annotate-tmp/`, as a server does (see `Store.keep_index`)."""
        self.store.keep_index()
        self.corpus.keep_index(IndexFile(self.store.root))

    def follow(self) -> None:
        """Keep the store's index current from a background thread, as a server does."""
        self.store.follow()

    def save_index(self, before: Callable[[int], object] | None = None) -> int:
        """Write to the kept index what its following thread has not written yet (as a
        server does when it stops: the next start takes it instead of reading those files
        again); how many files' rows were written. `before` is told how many there are,
        before they are written."""
        return self.store.save_kept(before)

    def add_imported(self, claim: Claim, actor: str, note: str) -> Claim:
        """Write a claim read by an import as it is, its history ending with an `imported`
        entry. :raise AlreadyExists: a claim file with its id is there already."""
        entry = Change(
            version=claim.version, at=clock.now(), by=actor, action="imported", note=note
        )
        return self.store.create(claim.model_copy(update={"history": [*claim.history, entry]}))

    def replace_imported(
        self, claim_id: str, expected_version: int, fields: dict[str, Any], actor: str, note: str
    ) -> Claim:
        """Give a claim the `fields` an import read, recorded as `imported`.

        :raise StaleVersion: the claim changed since `expected_version`.
        """
        return self.store.update(
            claim_id,
            expected_version,
            lambda c: revise(c, fields, actor, "imported", note=note),
        )

    def _linked(self, relations: Sequence[Relation], claim_id: str | None = None) -> None:
        """Every claim `relations` link to is in the store (and is not `claim_id` itself).

        :raise InvalidInput: naming `relations[i].claim` of each one that is not.
        """
        details = [
            detail(f"relations[{i}].claim", f"no claim '{r.claim}' in the record")
            for i, r in enumerate(relations)
            if r.claim != claim_id and not self.store.exists(r.claim)
        ]
        details += [
            detail(f"relations[{i}].claim", "a claim is not linked to itself")
            for i, r in enumerate(relations)
            if r.claim == claim_id
        ]
        if details:
            details.sort(key=lambda d: d["field"])
            raise InvalidInput(f"{details[0]['field']}: {details[0]['message']}", details)

    def questions(self) -> list[Question]:
        """Every question of the record (see `questions`), worked out from the index's
        summaries once per change of the store (they have each claim's relations and
        question name, which blind review does not hide). Shared: never change it."""
        return self.store.derived("questions", questions)

    def links_to(self) -> Mapping[str, list[tuple[str, str]]]:
        """For each claim that others link to, those claims and the kind of each link, by
        the linking claim's id; from the index, once per change of the store. Shared."""
        return self.store.derived("links_to", _links_to)

    def linking_to(self, claim_id: str) -> list[str]:
        """The ids of the claims that have a relation to `claim_id`, by id: found in the
        index (reading every claim file took 15 s at 100,000 claims), each then read from
        its file, which has the last word."""
        found = []
        for other, _kind in self.links_to().get(claim_id, ()):
            try:
                claim = self.store.get(other)
            except (NotFound, BrokenRecord):  # gone or broken since it was indexed
                continue
            if any(r.claim == claim_id for r in claim.relations):
                found.append(claim.id)
        return sorted(found)

    def _refuse_if_linked(self, claim_id: str) -> None:
        """:raise StillLinked: naming the claims that link to `claim_id`, which would point
        at nothing once it is deleted."""
        linking = self.linking_to(claim_id)
        if linking:
            raise StillLinked(
                f"claim {claim_id} is linked to by {', '.join(linking)}: remove those "
                "relations first (in each claim's panel, Related claims), then delete it",
                [detail("linked_by", f"{', '.join(linking)}: remove their relations to it first")],
            )

    def delete_claim(self, claim_id: str, expected_version: int, actor: str) -> Claim:
        """Remove a claim from the store (kept, with its history, in the store's `.trash/`).

        A claim other claims link to is not deleted: their links would point at nothing, and
        the questions they answer would change without anyone deciding it (docs/record.md
        "Relations and questions"). :raise StillLinked: naming the claims that link to it.
        """
        self.require_version(claim_id, expected_version)
        self._refuse_if_linked(claim_id)
        return self.store.delete(
            claim_id, expected_version, lambda c: revise(c, {}, actor, "deleted")
        )


def _narrowed(
    found: list[Summary], verdict: str | None, claimant: str | None, tag: str | None
) -> list[Summary]:
    """The claims of `found` with that verdict (or `unreviewed`), a claimant whose name holds
    `claimant`, and `tag` (both in any letter case); a filter not given keeps every claim."""
    if verdict:
        found = [c for c in found if c.status == verdict]
    if claimant:
        needle = claimant.casefold()
        found = [c for c in found if needle in c.claimant.casefold()]
    if tag:
        wanted = tag.strip().casefold()
        found = [c for c in found if any(t.casefold() == wanted for t in c.tags)]
    return found


@dataclass
class ClaimSearch:
    """Claims found by a text search (`Workspace.search_claims`), best first."""

    workspace: Workspace
    query: str
    claims: Sequence[Summary]
    """Best first; a slice of it fetches what it shows (see `search.Listed`)."""
    every: bool
    """Whether each claim has every word (else, none had them all: any of them)."""

    def highlights(self, claims: Sequence[Summary]) -> dict[str, dict[str, str]]:
        """For some of the claims found (a page of them), the statement and claimant with
        the matched words between `search.START` and `search.STOP`, and excerpts of the
        rationale and quotes where they matched (a rationale only where the reader sees it)."""
        search = self.workspace.search
        assert search is not None
        marked = search.claim_highlights(self.query, [c.id for c in claims], self.every)
        for c in claims:
            fields = marked.get(c.id)
            if fields is None:
                continue
            if c.rationale is None:
                fields.pop("rationale", None)
            if fields.get("statement", "").replace(START, "").replace(STOP, "") != c.statement:
                fields.pop("statement", None)  # not the summary's (changed meanwhile)
        return marked


@dataclass
class DocumentSearch:
    """Documents found by a text search (`Workspace.search_documents`), best first."""

    workspace: Workspace
    query: str
    total: int
    found: Found

    @property
    def ids(self) -> list[str]:
        """The documents found, best first."""
        return [h.id for h in self.found.hits]

    def snippets(self, ids: list[str]) -> dict[str, str]:
        """An excerpt of each document's text around matched words (see `ClaimSearch`)."""
        search = self.workspace.search
        assert search is not None
        return search.document_snippets(self.query, ids, self.found.every)


def _links_to(summaries: list[Summary]) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for s in sorted(summaries, key=lambda s: s.id):
        for r in s.relations:
            out.setdefault(r.claim, []).append((s.id, r.kind))
    return out
