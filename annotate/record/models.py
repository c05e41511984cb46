"""The domain models: documents, anchors, claims, verdicts and sources.

Every rule about what a valid record is lives here, once. The store validates what it loads
with these models, the views validate what they receive, and `annotate schema` prints the JSON
Schema generated from them.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ..errors import Detail, detail

SCHEMA_VERSION = 1
CONTEXT_CHARS = 32
"""How many characters of context an anchor keeps on each side of its quote."""

VERDICTS: tuple[str, ...] = ("confirmed", "denied", "disputed")
STANCES: tuple[str, ...] = ("supports", "refutes", "context")

Verdict = Literal["confirmed", "denied", "disputed"]
ReviewStatus = Literal["unreviewed", "in review", "agreed", "disagreement", "decided"]
REVIEW_STATUSES: tuple[ReviewStatus, ...] = get_args(ReviewStatus)
Settled = Literal["agreed", "decided"]
Stance = Literal["supports", "refutes", "context"]
Basis = Literal["contested", "unsubstantiated"]
"""Why a claim is `disputed` (DESIGN.md, "Disputed, and why"): `contested`, credible
evidence both ways (the default when absent), or `unsubstantiated`, nothing decisive against
it but no support independent of the claimant's own report."""
BASES: tuple[str, ...] = get_args(Basis)
AgentType = Literal["Person", "Organization"]
"""What kind of agent a claimant is (schema.org and FOAF both have these two types)."""

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_control_chars(value: str) -> str:
    if _CONTROL.search(value):
        raise PydanticCustomError("control_char", "must not contain control characters")
    return value


def _http_url(value: str) -> str:
    if not re.match(r"^https?://[^\s/$.?#][^\s]*$", value, re.IGNORECASE):
        raise PydanticCustomError("url_scheme", "must be an http:// or https:// URL")
    return value


DocId = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$", max_length=128)
]
"""A document id: the corpus file's stem, safe in a URL path and as a file name."""

RESERVED_NAME = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)
"""Names Windows gives no file, with any extension: a store or corpus holding one cannot be
checked out there, so no id may be one."""


def _not_reserved(value: str) -> str:
    if RESERVED_NAME.match(value):
        raise PydanticCustomError(
            "reserved_name",
            "'{value}' is a reserved file name on Windows; choose another id",
            {"value": value},
        )
    return value


ClaimId = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,79}$", min_length=2, max_length=80),
    AfterValidator(_not_reserved),
]
"""A claim id: lower-case letters, digits and hyphens; it is also the store's file name, so
never a name Windows reserves (`con`, `nul`, `com1`, …)."""

Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000),
    AfterValidator(_no_control_chars),
]
ShortText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
    AfterValidator(_no_control_chars),
]
_INVISIBLE = re.compile("[\u202a-\u202e\u2066-\u2069\u200b\u2060\ufeff]")
"""Bidirectional embeddings, overrides and isolates, and zero-width spaces: invisible, and
able to make a statement display otherwise than it reads (or two claimants look alike).
The joiners (U+200C, U+200D) and the marks (U+200E, U+200F) stay: scripts need them."""


def _no_invisible_chars(value: str) -> str:
    found = _INVISIBLE.search(value)
    if found:
        char = found.group()
        raise PydanticCustomError(
            "invisible_char",
            "must not contain the invisible character U+{code} ({name}), which can make the "
            "text display differently from what it says",
            {"code": f"{ord(char):04X}", "name": unicodedata.name(char)},
        )
    return value


ClaimText = Annotated[Text, AfterValidator(_no_invisible_chars)]
"""A statement or rationale: what a reviewer reads as written, nothing hidden in it."""
ClaimShortText = Annotated[ShortText, AfterValidator(_no_invisible_chars)]
"""A claimant: a name that cannot pass for another."""

SHORT_STATEMENT_ADVISED = 75
"""How long a published `claimReviewed` should be at most (Google's fact-check markup guide
asks for a short summary, under 75 characters): over it, an editorial warning."""
ShortStatement = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=280),
    AfterValidator(_no_control_chars),
    AfterValidator(_no_invisible_chars),
]
"""The short form of a statement published as ClaimReview's `claimReviewed`."""
SHORT_STATEMENT_DESCRIPTION = (
    "A short form of the statement (at most 280 characters; the desk standard asks for 75 "
    "or fewer), published as ClaimReview's `claimReviewed`; absent, the statement is."
)

ReviewerName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=128),
    AfterValidator(_no_control_chars),
    AfterValidator(_no_invisible_chars),
]
"""Who reviewed: an account name in team mode, the configured reviewer name in local mode."""

HttpUrl = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=2000), AfterValidator(_http_url)
]

MAX_TAGS = 50
EMPTY_UNSAID = ("conflicts", "tags", "relations")
"""Lists a claim file and the API leave out when empty (said only when there are some)."""
MAX_ALIASES = 100


def _unique(value: list[str]) -> list[str]:
    seen: set[str] = set()
    for item in value:
        key = item.casefold()
        if key in seen:
            raise PydanticCustomError("duplicate", "'{item}' is listed twice", {"item": item})
        seen.add(key)
    return value


def _tag_chars(value: str) -> str:
    if "," in value or "\n" in value or "\r" in value:
        raise PydanticCustomError("tag_chars", "a tag has no comma and no line break")
    return value


Tag = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(_no_control_chars),
    AfterValidator(_tag_chars),
]
"""A tag: a short label (no comma: a list of tags is typed, and exported, comma-separated)."""


class Strict(BaseModel):
    """Base of every model: unknown fields are an error, never silently dropped."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False)


YearMonth = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]
"""A month, `2021-02`: when a claim was made, where the sources give the month, not the day."""

CLAIM_MONTH_DESCRIPTION = (
    "The month the claim was made in (`2021-02`), where the sources give the month but not "
    'the day ("In February, Aliyev stated…"). A claim has a `claim_date` or a '
    "`claim_month`, not both."
)

MONTH_NAMES = (
    "January February March April May June July August September October November December"
).split()


def month_words(month: str) -> str:
    """A `claim_month` as a reader says it: `2021-02` is February 2021."""
    year, number = month.split("-")
    return f"{MONTH_NAMES[int(number) - 1]} {year}"


RelationKind = Literal["repeats", "contradicts", "supports"]
"""How a claim stands to another: it says the same thing (`repeats`), says its opposite
(`contradicts`), or is evidence for it without saying it (`supports`)."""

Answer = Literal["yes", "no"]

MAX_RELATIONS = 100


class Relation(Strict):
    """A link from this claim to another claim of the record."""

    kind: RelationKind
    claim: ClaimId = Field(description="The id of the other claim.")


def _one_relation_each(value: list[Relation]) -> list[Relation]:
    seen: set[str] = set()
    for relation in value:
        if relation.claim in seen:
            raise PydanticCustomError(
                "duplicate",
                "'{item}' is linked twice: a claim has one relation to another",
                {"item": relation.claim},
            )
        seen.add(relation.claim)
    return value


Relations = Annotated[
    list[Relation], Field(max_length=MAX_RELATIONS), AfterValidator(_one_relation_each)
]

QUESTION_DESCRIPTION = (
    "The name of the question this claim and the claims linked to it by `repeats` and "
    '`contradicts` answer ("Were Iskanders used?"), and this claim\'s own answer to it: '
    "claims that repeat it give the same answer, claims that contradict it the other. One "
    "claim of a group names it."
)


class QuestionName(Strict):
    """The name of a question, held by one claim of the group that answers it."""

    name: ClaimShortText
    answer: Answer = Field(description="This claim's answer to the question as named.")


class DocumentMeta(Strict):
    """What a corpus document's sidecar `<id>.json` file holds."""

    title: ShortText
    outlet: ShortText | None = None
    author: ShortText | None = None
    published: dt.date | None = None
    url: HttpUrl | None = None
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")] = "en"
    notes: Text | None = None
    aliases: Annotated[list[HttpUrl], Field(max_length=MAX_ALIASES), AfterValidator(_unique)] = (
        Field(
            default_factory=list,
            description="Other URLs of the same page (http/https, AMP, canonical links): an "
            "annotation of any of them is matched to this document on import.",
        )
    )


class Document(DocumentMeta):
    """A document of the corpus as the API lists it: metadata plus identity of its text."""

    id: DocId
    sha256: str
    length: int


class Anchor(Strict):
    """Where a piece of text sits in a document (W3C TextPosition + TextQuote selectors).

    `start`/`end` are Python `str` indices (code points) into the text exactly as stored.
    `orphaned` is set when the quote can no longer be found after the document changed: the
    anchor is then kept with its last known offsets, never dropped.
    """

    doc: DocId
    start: Annotated[int, Field(ge=0)]
    end: Annotated[int, Field(ge=1)]
    exact: Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
    prefix: Annotated[str, StringConstraints(max_length=200)] = ""
    suffix: Annotated[str, StringConstraints(max_length=200)] = ""
    orphaned: bool = False

    @model_validator(mode="after")
    def _span_matches_quote(self) -> Anchor:
        if self.end <= self.start:
            raise PydanticCustomError(
                "anchor_span",
                "end ({end}) must be greater than start ({start})",
                {"start": self.start, "end": self.end},
            )
        if self.end - self.start != len(self.exact):
            raise PydanticCustomError(
                "anchor_span",
                "end - start ({span}) must equal the length of exact ({length})",
                {"span": self.end - self.start, "length": len(self.exact)},
            )
        return self


class AnchorInput(Strict):
    """An anchor as a client sends it: the server adds the context and checks the quote.

    `prefix`, `suffix` and `orphaned` are the server's (read-only): an anchor sent back as
    the API gave it is accepted with them when they agree with the server's (a prefix may be
    a shorter end of the server's, a suffix a shorter start), and refused naming them when
    they do not."""

    doc: DocId
    start: Annotated[int, Field(ge=0)]
    end: Annotated[int, Field(ge=1)]
    exact: Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
    prefix: str | None = None
    suffix: str | None = None
    orphaned: bool | None = Field(
        default=None,
        description="Read-only: true only for an orphaned anchor of this very claim, sent "
        "back as it is (the server keeps it orphaned).",
    )


def _check_source_kind(quote: object, url: str | None, title: str | None) -> None:
    """A source is a quote or a url (with a title), never both or neither."""
    if (quote is None) == (url is None):
        raise PydanticCustomError(
            "source_kind", "a source needs either a quote or a url, not both and not neither"
        )
    if url is not None and title is None:
        raise PydanticCustomError("source_title", "a url source needs a title")


class Source(Strict):
    """A citation: a quote from a corpus document or a web page, with its stance."""

    stance: Stance
    quote: Anchor | None = None
    url: HttpUrl | None = None
    title: ShortText | None = None
    publisher: ShortText | None = None
    date: dt.date | None = None
    note: Text | None = None

    @model_validator(mode="after")
    def _quote_or_url(self) -> Source:
        _check_source_kind(self.quote, self.url, self.title)
        return self


class SourceInput(Strict):
    """A citation as a client sends it; a quote is an anchor the server checks."""

    stance: Stance
    quote: AnchorInput | None = None
    url: HttpUrl | None = None
    title: ShortText | None = None
    publisher: ShortText | None = None
    date: dt.date | None = None
    note: Text | None = None

    @model_validator(mode="after")
    def _quote_or_url(self) -> SourceInput:
        _check_source_kind(self.quote, self.url, self.title)
        return self


def verdict_rule_problem(
    verdict: str | None, stances: list[str], basis: str | None = None
) -> str | None:
    """Say what breaks the verdict/source rules, or None when they hold.

    Every verdict cites at least one source; `confirmed` needs a supporting one, `denied` a
    refuting one, `disputed` at least one of each, unless its `basis` is `unsubstantiated`
    (any one source: nothing decisive against the claim, no independent support for it). A
    `basis` goes with `disputed` only.
    """
    if basis is not None and verdict != "disputed":
        return f"a basis ('{basis}') is given only with a 'disputed' verdict"
    if verdict is None:
        # Evidence may be gathered before the verdict is decided.
        return None
    if not stances:
        return f"a '{verdict}' verdict must cite at least one source"
    if verdict == "confirmed" and "supports" not in stances:
        return "a 'confirmed' verdict needs at least one source that supports the claim"
    if verdict == "denied" and "refutes" not in stances:
        return "a 'denied' verdict needs at least one source that refutes the claim"
    if (
        verdict == "disputed"
        and basis != "unsubstantiated"
        and not ("supports" in stances and "refutes" in stances)
    ):
        return "a 'disputed' verdict needs at least one supporting and one refuting source"
    return None


def _raise_rule(problem: str | None) -> None:
    if problem is not None:
        field = "basis" if problem.startswith("a basis") else "sources"
        raise PydanticCustomError(
            "verdict_rules", "{message}", {"field": field, "message": problem}
        )


class VerdictInput(Strict):
    """The body of `PUT /api/claims/<id>/verdict`."""

    verdict: Verdict
    rationale: ClaimText
    sources: list[SourceInput] = Field(min_length=0, max_length=200)
    basis: Basis | None = None

    @model_validator(mode="after")
    def _rules(self) -> VerdictInput:
        _raise_rule(
            verdict_rule_problem(self.verdict, [s.stance for s in self.sources], self.basis)
        )
        return self


class ConfirmInput(Strict):
    """The body of `POST /api/claims/<id>/verdict/confirm`: the final verdict still stands
    after its evidence changed (a note on why is welcome)."""

    note: ClaimText | None = None


class Decision(Strict):
    """Verdict and rationale alone (the page's verdict form); the cited sources stay."""

    verdict: Verdict
    rationale: ClaimText
    basis: Basis | None = None


class Review(Strict):
    """One reviewer's own verdict on a claim, under the same verdict/source rules as the
    final verdict (DESIGN.md, "Several reviewers")."""

    verdict: Verdict
    rationale: ClaimText
    reviewed_at: dt.datetime
    sources: list[Source] = Field(min_length=1, max_length=200)
    basis: Basis | None = Field(
        default=None,
        description="Why a `disputed` verdict: `contested` (absent means it) or `unsubstantiated`.",
    )

    @model_validator(mode="after")
    def _rules(self) -> Review:
        _raise_rule(
            verdict_rule_problem(self.verdict, [s.stance for s in self.sources], self.basis)
        )
        return self


Action = Literal[
    "created",
    "edited",
    "verdict",
    "reviewed",
    "withdrawn",
    "reanchored",
    "deleted",
    "imported",
    "merged",
    "resolved",
    "confirmed",
]
"""What a change of a claim was (its history entry's `action`)."""


_REVIEW_PART = re.compile(r"\.(?:verdict|rationale|reviewed_at|sources|basis)(?:\[\d+\]|@\d+)?$")
_PART = re.compile(r"(?:\[\d+\]|@\d+)(?:\.\w+)*$")


def field_of(key: str) -> str:
    """The field a history entry's key is about: `sources` for `sources[2]` (an element) or
    `sources[2].quote` (re-anchoring), `rationale` for `rationale@120` (an edit inside the
    text), `reviews.alice` for `reviews.alice.verdict` (a part of alice's review; a
    reviewer's name may hold dots, so the part is taken off the end)."""
    if key.startswith("reviews."):
        return _REVIEW_PART.sub("", key)
    return _PART.sub("", key)


class Change(Strict):
    """One accepted change of a claim: who, when, what (field -> [old, new])."""

    version: Annotated[int, Field(ge=1)]
    at: dt.datetime
    by: ShortText
    action: Action
    changes: dict[str, list[Any]] = Field(default_factory=dict)
    note: str | None = None

    def fields(self) -> list[str]:
        """The fields this change touched, each once, in order, as people read them: a
        review's `reviews.alice` for any of its parts, `sources` for any of its elements."""
        return list(dict.fromkeys(field_of(k) for k in self.changes))


class MergeConflict(Strict):
    """A field that two lines of work changed two ways (`annotate merge-driver`): the claim
    keeps `ours` in place until someone decides; `theirs` and the common `base` are kept."""

    field: ShortText
    base: Any = None
    ours: Any = None
    theirs: Any = None
    at: dt.datetime


class ClaimInput(Strict):
    """The body of `POST /api/claims`."""

    statement: ClaimText
    claimant: ClaimShortText
    claimant_type: AgentType | None = None
    claim_date: dt.date | None = None
    claim_month: YearMonth | None = Field(default=None, description=CLAIM_MONTH_DESCRIPTION)
    appearances: list[AnchorInput] = Field(min_length=1, max_length=500)
    id: ClaimId | None = None
    tags: Annotated[list[Tag], Field(max_length=MAX_TAGS), AfterValidator(_unique)] = Field(
        default_factory=list, description="Labels to group and filter claims by (`?tag=`)."
    )
    note: ClaimText | None = Field(
        default=None,
        description="A note on the claim: the comment of the annotation it was imported "
        "from, or a reviewer's own.",
    )
    short_statement: ShortStatement | None = Field(
        default=None, description=SHORT_STATEMENT_DESCRIPTION
    )
    relations: Relations = Field(default_factory=list, description="Links to other claims.")
    question: QuestionName | None = Field(default=None, description=QUESTION_DESCRIPTION)


class ClaimPatch(Strict):
    """The body of `PATCH /api/claims/<id>`: only the fields given change."""

    statement: ClaimText | None = None
    claimant: ClaimShortText | None = None
    claimant_type: AgentType | None = None
    claim_date: dt.date | None = None
    claim_month: YearMonth | None = Field(default=None, description=CLAIM_MONTH_DESCRIPTION)
    appearances: list[AnchorInput] | None = Field(default=None, min_length=1, max_length=500)
    tags: Annotated[list[Tag], Field(max_length=MAX_TAGS), AfterValidator(_unique)] | None = None
    note: ClaimText | None = None
    short_statement: ShortStatement | None = Field(
        default=None, description=SHORT_STATEMENT_DESCRIPTION + " `null` removes it."
    )
    relations: Relations | None = Field(
        default=None, description="Links to other claims (the whole list; `[]` removes them)."
    )
    question: QuestionName | None = Field(
        default=None, description=QUESTION_DESCRIPTION + " `null` removes it."
    )


class Claim(Strict):
    """A check-worthy statement, every place it appears, and its verdict when reviewed.

    This is the store's file format (one file per claim) and what the API returns.
    """

    schema_version: Literal[1] = 1
    id: ClaimId
    version: Annotated[int, Field(ge=1)]
    statement: ClaimText
    short_statement: ShortStatement | None = Field(
        default=None, description=SHORT_STATEMENT_DESCRIPTION
    )
    claimant: ClaimShortText
    claimant_type: AgentType | None = Field(
        default=None,
        description="Whether the claimant is a Person or an Organization; unknown when absent.",
    )
    claim_date: dt.date | None = None
    claim_month: YearMonth | None = Field(default=None, description=CLAIM_MONTH_DESCRIPTION)
    appearances: list[Anchor] = Field(min_length=1)
    tags: Annotated[list[Tag], Field(max_length=MAX_TAGS), AfterValidator(_unique)] = Field(
        default_factory=list, description="Labels to group and filter claims by (`?tag=`)."
    )
    note: ClaimText | None = Field(
        default=None,
        description="A note on the claim: the comment of the annotation it was imported "
        "from, or a reviewer's own.",
    )
    verdict: Verdict | None = None
    rationale: ClaimText | None = None
    reviewer: ShortText | None = None
    reviewed_at: dt.datetime | None = None
    sources: list[Source] = Field(default_factory=list)
    basis: Basis | None = Field(
        default=None,
        description="Why the final verdict is `disputed`: `contested` (credible evidence both "
        "ways; absent means it) or `unsubstantiated` (no support independent of the "
        "claimant's own report, nothing decisive against it).",
    )
    reviews: dict[ReviewerName, Review] = Field(
        default_factory=dict,
        description="Each reviewer's own review by name, beside the final verdict above.",
    )
    settled: Settled | None = Field(
        default=None,
        description="How the final verdict was set: `agreed` (the required number of reviews "
        "agreed) or `decided` (set directly, by an adjudicator or a single reviewer); absent "
        "with a verdict means `decided`.",
    )
    reopened: ClaimText | None = Field(
        default=None,
        description="Why a settled claim is open again (a review changed after the final "
        "verdict): its review status is `disagreement` until the verdict is set again.",
    )
    created_at: dt.datetime
    created_by: ShortText
    updated_at: dt.datetime
    history: list[Change] = Field(default_factory=list)
    conflicts: list[MergeConflict] = Field(
        default_factory=list,
        description="What a git merge found changed two ways, to be decided (both sides kept).",
    )
    relations: Relations = Field(
        default_factory=list,
        description="Links to other claims: `repeats`, `contradicts` or `supports`.",
    )
    question: QuestionName | None = Field(default=None, description=QUESTION_DESCRIPTION)

    @model_validator(mode="after")
    def _rules(self) -> Claim:
        if self.claim_date is not None and self.claim_month is not None:
            raise PydanticCustomError(
                "date_twice",
                "{message}",
                {
                    "field": "claim_month",
                    "message": "a claim has a claim_date or a claim_month, not both: remove one",
                },
            )
        for i, relation in enumerate(self.relations):
            if relation.claim == self.id:
                raise PydanticCustomError(
                    "relation_self",
                    "{message}",
                    {"field": f"relations[{i}]", "message": "a claim is not linked to itself"},
                )
        if self.verdict is None:
            if self.rationale or self.reviewer or self.reviewed_at:
                raise PydanticCustomError(
                    "verdict_rules",
                    "{message}",
                    {
                        "field": "verdict",
                        "message": "an unreviewed claim has no rationale, reviewer or review time",
                    },
                )
        else:
            missing = [f for f in ("rationale", "reviewer", "reviewed_at") if not getattr(self, f)]
            if missing:
                raise PydanticCustomError(
                    "verdict_rules",
                    "{message}",
                    {"field": missing[0], "message": f"a verdict needs {', '.join(missing)}"},
                )
        if self.verdict is None and (self.settled or self.reopened):
            raise PydanticCustomError(
                "verdict_rules",
                "{message}",
                {
                    "field": "settled" if self.settled else "reopened",
                    "message": "only a claim with a final verdict is settled or reopened",
                },
            )
        _raise_rule(
            verdict_rule_problem(self.verdict, [s.stance for s in self.sources], self.basis)
        )
        return self

    @property
    def status(self) -> str:
        """The verdict, or `unreviewed`."""
        return self.verdict or "unreviewed"

    @property
    def review_status(self) -> ReviewStatus:
        """Where the claim is in review: see `review_status`."""
        return review_status(
            self.verdict,
            self.settled,
            self.reopened is not None,
            [r.verdict for r in self.reviews.values()],
        )

    def anchors(self) -> list[tuple[str, Anchor]]:
        """Every anchor of the claim with the field path that holds it."""
        found = [(f"appearances[{i}]", a) for i, a in enumerate(self.appearances)]
        found += [(f"sources[{i}].quote", s.quote) for i, s in enumerate(self.sources) if s.quote]
        found += [
            (f"reviews.{name}.sources[{i}].quote", s.quote)
            for name, review in sorted(self.reviews.items())
            for i, s in enumerate(review.sources)
            if s.quote
        ]
        return found

    def public(self) -> dict[str, Any]:
        """The claim as the API and the `json` export give it (without the change history),
        with its `review_status`."""
        out = self.model_dump(mode="json", exclude={"history"}, exclude_none=True)
        for empty in EMPTY_UNSAID:
            if not out[empty]:
                del out[empty]  # said only when there are some
        out["review_status"] = self.review_status
        return out


def review_status(
    verdict: str | None, settled: str | None, reopened: bool, reviews: list[str]
) -> ReviewStatus:
    """A claim's review status from its final verdict, how that was set, whether a review
    changed since, and the verdicts of its reviews:

    - `unreviewed`: no review, no final verdict;
    - `in review`: reviews that agree, fewer than the required number (they would have
      settled it otherwise);
    - `disagreement`: reviews that differ, or a review changed after the final verdict;
    - `agreed`: the required number of reviews agreed and set the final verdict;
    - `decided`: the final verdict was set directly (by an adjudicator, or by the single
      reviewer of a store that needs one review).
    """
    if verdict is not None:
        if reopened:
            return "disagreement"
        return "agreed" if settled == "agreed" else "decided"
    if not reviews:
        return "unreviewed"
    return "in review" if len(set(reviews)) == 1 else "disagreement"


_RULES_NAMING_A_FIELD = ("verdict_rules", "relation_self", "date_twice")
"""The claim's own rules (`Claim._rules`), each naming the field it is about in its context."""


def error_details(exc: Any, prefix: tuple[str | int, ...] = ()) -> list[Detail]:
    """Turn a pydantic ValidationError into details: `field` `a.b[0]`, its `message`."""
    details = []
    for err in exc.errors(include_url=False):
        loc = list(prefix) + list(err["loc"])
        ctx = err.get("ctx") or {}
        if err["type"] in _RULES_NAMING_A_FIELD and "field" in ctx:
            loc.append(ctx["field"])
        details.append(detail(format_loc(loc), err["msg"]))
    return details


def format_loc(loc: list[Any] | tuple[Any, ...]) -> str:
    """`["sources", 0, "quote"]` -> `sources[0].quote`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(claim)"
