"""Whether a passage asserts what a claim asserts or its opposite: a small, deterministic
rule set of negation cues and their scope, explainable in one line. Pure, no Flask.

- A text is split into words (English stems by the Snowball stemmer: "used", "use" and
  "using" are one word) and into clauses (at `,;:`, dashes, and "but", "however",
  "although", "though", "while", "whereas", "yet").
- A *negator* ("not", "no", "never", "n't", "none", "nothing", "nobody", "neither", "nor",
  "without", "failed") negates the rest of its clause: "were not used in the war" negates
  "used", "war". A *denier* ("deny"/"denied", "disagree", "refute", "reject", "dispute",
  "contradict", "false", "untrue", "baseless", "groundless", "wrong", "incorrect",
  "misinformed", "fake", "lie") negates its whole sentence, on either side of it: "I
  disagree with the statements that Iskander was not used" (denier and negator: used),
  "the reports that it was used are false" (not used).
- The claim's *focus* is its predicate: the words its negations cover that come right
  after an auxiliary or a verb's negator ("not", "never", "n't"): "used" in "Iskanders
  were not used in the Karabakh war"; else such words anywhere in it, or its verbs in the
  past tense ("received"); else every word its negations cover, else every content word.
- A passage that has a word of the focus is compared: the number of cues that cover a focus
  word, in the claim and in the passage, odd or even. Same parity: it says the same thing;
  different: it says the opposite. A passage with no focus word says nothing either way
  (`None`). "not only", "not far", "not just", "not least" and "no doubt" negate nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

NEGATORS = frozenset(
    "not no never none nothing nobody neither nor without cannot failed fail fails".split()
)
DENIERS = frozenset(
    """deny denies denied denying denial disagree disagrees disagreed refute refutes refuted
    refuting reject rejects rejected rejecting dispute disputes disputed contradict
    contradicts contradicted contradicting false untrue baseless groundless wrong incorrect
    misinformed fake lie lies""".split()
)
AUXILIARIES = frozenset(
    "is are was were be been being do does did has have had will would can could should may"
    " might must".split()
)
CLAUSE_WORDS = frozenset("but however although though while whereas yet".split())
FUNCTION_WORDS = frozenset(
    """a an the and or of to in on at by for with from as is are was were be been being that
    this these those it its he she they them his her their we our you your i have has had
    do does did will would can could should may might than then there here which who whom
    what when where why how also said says say about after before during into over under up
    down out if so such only very all any each other more most some""".split()
)
_TOKEN = re.compile(r"\w+(?:['’]\w+)*|[,;:.!?—–]|\s-\s", re.UNICODE)


@lru_cache(maxsize=1)
def _stemmer() -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The English stem of a word (lower-cased)."""
    return str(_stemmer().stemWord(word.casefold()))


@dataclass(frozen=True)
class Word:
    """A word of a text: as written, its stem, its clause and sentence numbers."""

    text: str
    stem: str
    clause: int
    sentence: int

    @property
    def negator(self) -> bool:
        low = self.text.casefold().replace("’", "'")
        return low in NEGATORS or low.endswith("n't")

    @property
    def denier(self) -> bool:
        return self.text.casefold() in DENIERS

    @property
    def content(self) -> bool:
        low = self.text.casefold()
        return not (self.negator or self.denier or low in FUNCTION_WORDS or len(low) < 2)


def words(text: str) -> list[Word]:
    """The words of a text with their clause and sentence numbers."""
    out: list[Word] = []
    clause = sentence = 0
    for m in _TOKEN.finditer(text):
        tok = m.group(0)
        if not tok[0].isalnum() and tok[0] != "_":
            clause += 1
            if tok in ".!?":
                sentence += 1
            continue
        if tok.casefold() in CLAUSE_WORDS:
            clause += 1
            continue
        out.append(Word(tok, stem(tok.replace("’", "'").split("'")[0]), clause, sentence))
    return out


@dataclass(frozen=True)
class Cue:
    """A negation cue and the words it covers."""

    word: Word
    covers: tuple[Word, ...]


NOT_NEGATIONS = frozenset(
    {("not", "only"), ("not", "just"), ("not", "far"), ("not", "least"), ("no", "doubt")}
)
"""A negator and the word after it that together negate nothing ("not only", "not far
from", "no doubt")."""


def cues(ws: list[Word]) -> list[Cue]:
    """Each negation cue of a text with the words it covers (see the module)."""
    found = []
    for i, w in enumerate(ws):
        after = ws[i + 1].text.casefold() if i + 1 < len(ws) else ""
        if (w.text.casefold(), after) in NOT_NEGATIONS:
            continue
        if w.negator:
            covers = tuple(x for x in ws[i + 1 :] if x.clause == w.clause)
        elif w.denier:
            covers = tuple(x for x in ws if x.sentence == w.sentence and x is not w)
        else:
            continue
        found.append(Cue(w, covers))
    return found


@dataclass(frozen=True)
class Stance:
    """How a text stands to some focus words: how many cues cover them, and a short
    quotation of what says so (the cues and the first focus word, as written)."""

    negations: int
    quoted: str

    @property
    def negative(self) -> bool:
        return self.negations % 2 == 1


def stance(ws: list[Word], focus: frozenset[str]) -> Stance | None:
    """How a text stands to `focus` (stems); None when it has none of them."""
    hits = [w for w in ws if w.stem in focus and w.content]
    if not hits:
        return None
    covering = [c for c in cues(ws) if any(x.stem in focus and x.content for x in c.covers)]
    if not covering:
        return Stance(0, hits[0].text)
    last = covering[-1]
    target = next((x for x in last.covers if x.stem in focus and x.content), hits[0])
    at = {id(w): i for i, w in enumerate(ws)}
    gap = " " if at[id(target)] == at[id(last.word)] + 1 else " … "
    if at[id(target)] < at[id(last.word)]:  # a denier after what it denies
        return Stance(
            len(covering), f"{target.text} … " + " … ".join(c.word.text for c in covering)
        )
    return Stance(len(covering), " … ".join(c.word.text for c in covering) + gap + target.text)


@dataclass(frozen=True)
class Claimed:
    """What a claim's polarity is measured on: its words, its focus, its own stance."""

    focus: frozenset[str]
    stance: Stance


IRREGULAR_PAST = frozenset(
    """found made said took gave sent saw shot hit held told left got came went knew thought
    brought built bought fought caught sold won lost met ran led kept began became broke
    chose fell flew grew hid rose spoke struck threw wrote""".split()
)


def _predicates(ws: list[Word]) -> set[str]:
    """The stems of the verbs, as far as words tell without a grammar: the content words
    right after an auxiliary or a verb's negator ("were used", "not detect", "didn't
    explode"); failing those, the words in the past tense ("received", "found")."""
    after = {
        w.stem
        for prev, w in zip(ws, ws[1:], strict=False)
        if w.content and (prev.text.casefold() in AUXILIARIES or _adverb(prev))
    }
    if after:
        return after
    return {
        w.stem
        for w in ws[1:]
        if w.content
        and (w.text.casefold() in IRREGULAR_PAST or (len(w.text) > 4 and w.text.endswith("ed")))
    }


def _adverb(w: Word) -> bool:
    """A negator that goes with a verb ("not", "never", "didn't"), not a determiner
    ("no", "none")."""
    low = w.text.casefold().replace("’", "'")
    return low in ("not", "never") or low.endswith("n't")


def claimed(statement: str) -> Claimed:
    """The focus and stance of a claim's statement (see the module)."""
    ws = words(statement)
    covered = [x for c in cues(ws) for x in c.covers if x.content]
    every = [w for w in ws if w.content]
    verbs = _predicates(ws)
    focus = frozenset(
        verbs & {w.stem for w in covered}
        or verbs & {w.stem for w in every}
        or {w.stem for w in covered}
        or {w.stem for w in every}
    )
    own = stance(ws, focus) or Stance(0, "")
    return Claimed(focus, own)


@dataclass(frozen=True)
class Relation:
    """How a passage stands to a claim: `opposite`, and why, in a few quoted words."""

    opposite: bool
    reason: str


def relation(claim: Claimed, passage: str) -> Relation | None:
    """Whether `passage` says what the claim says or its opposite; None: it has none of
    the claim's focus words, so it says neither."""
    theirs = stance(words(passage), claim.focus)
    if theirs is None:
        return None
    mine = claim.stance
    if theirs.negative == mine.negative:
        if not (theirs.negations or mine.negations):
            return Relation(False, "")  # no negation either side: nothing to explain
        return Relation(False, f"says the same: “{theirs.quoted}” as the claim’s “{mine.quoted}”")
    return Relation(True, f"says the opposite: “{mine.quoted}” vs “{theirs.quoted}”")
