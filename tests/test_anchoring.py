"""Re-anchoring (`annotate.record.anchoring.locate`): each kind of edit outlets make, exact offsets.

Texts are the shipped seeds read into memory and edited there; nothing is written.
"""

from __future__ import annotations

import bisect
import os
import re
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from annotate.record.anchoring import (
    DISTINCT_CHARS,
    MIN_SCORE,
    SEED_CHARS,
    Placement,
    _hints,
    _occurrences,
    _Scorer,
    anchor_problem,
    locate,
    locate_quote,
    make_anchor,
    normalise,
    prefix_distances,
    relocated,
    search_ends,
    to_folded,
)
from annotate.record.models import Anchor

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
CK = "001_ea092f251b0b5650"  # Caucasian Knot, with a Russian legal notice
RFE = "002_212af70a4bdf495d"
NEWS = "003_de1e71ce094deadf"  # straight quotes, one paragraph per line
ECHO = "004_da7503a316cb05c0"  # curly quotes

ALIEV = (
    'In February, President Ilham Aliev stated that Azerbaijan did not fix the use of "Iskanders"'
)
MOD = 'The Russian Ministry of Defence (MoD) has also denied the use of "Iskanders".'
NOTICE = "ПРОИЗВЕДЕН И РАСПРОСТРАНЕН ИНОСТРАННЫМ АГЕНТОМ ООО “МЕМО”"
MARKING = "“The marking on the Iskander missiles shows that it’s not an export version"
WHERE = '"Where did the Armenian army get these missiles from? There should be no such missiles.'
EXPERTS = "Some experts assert that this type of missiles is exclusively among Russia's weapons."


def seed(doc: str) -> str:
    return (SEEDS / f"{doc}.txt").read_text(encoding="utf-8")


def anchor(doc: str, quote: str) -> tuple[str, Anchor]:
    """The seed's text and an anchor on the one place `quote` is in it."""
    text = seed(doc)
    assert text.count(quote) == 1, quote
    start = text.index(quote)
    return text, make_anchor(doc, text, start, start + len(quote))


def moved_to(text: str, a: Anchor, start: int, end: int) -> None:
    """Assert the anchor is placed exactly at start-end (and nowhere else)."""
    p = locate(text, a)
    assert (p.status, p.start, p.end) == ("moved", start, end), (p, text[start:end])
    assert p.score >= MIN_SCORE
    new = relocated(a.doc, text, a, p)
    assert new.exact == text[start:end] and not new.orphaned
    assert new.prefix == text[max(0, start - 32) : start] and new.suffix == text[end : end + 32]


def orphaned(text: str, a: Anchor) -> None:
    p = locate(text, a)
    assert p.status == "orphaned", (p, text[p.start or 0 : p.end or 0])
    new = relocated(a.doc, text, a, p)
    assert new.orphaned and (new.start, new.end, new.exact) == (a.start, a.end, a.exact)


# -- nothing changed ---------------------------------------------------------------------


def test_an_untouched_anchor_is_exact() -> None:
    text, a = anchor(CK, ALIEV)
    assert locate(text, a) == locate(text, a)
    p = locate(text, a)
    assert (p.status, p.start, p.end, p.score) == ("exact", a.start, a.end, 1.0)


def test_an_edit_elsewhere_leaves_it_exact() -> None:
    text, a = anchor(CK, ALIEV)
    edited = text.replace("News archive", "Archive of all news")
    assert locate(edited, a).status == "exact"


def test_its_neighbour_edited_and_the_quote_untouched_leaves_it_exact() -> None:
    # The prefix changed (same length): not the fast path, but the same place and text.
    text, a = anchor(CK, ALIEV)
    edited = text.replace('caliber.az" reported.', 'caliber.az" wrote it.')
    assert edited != text and edited[a.start : a.end] == a.exact
    p = locate(edited, a)
    assert (p.status, p.start, p.end, p.errors) == ("exact", a.start, a.end, 0)
    assert MIN_SCORE <= p.score < 1.0


# -- edits inside the quote --------------------------------------------------------------


def test_a_name_fixed_inside_the_quote() -> None:
    text, a = anchor(CK, ALIEV)
    edited = text.replace("Ilham Aliev", "Ilham Aliyev")
    moved_to(edited, a, a.start, a.end + 1)


def test_a_typo_dropped_inside_the_quote() -> None:
    text, a = anchor(CK, ALIEV)
    edited = text.replace("Azerbaijan did not", "Azerbaijn did not")
    moved_to(edited, a, a.start, a.end - 1)
    assert locate(edited, a).errors == 1


def test_words_changed_inside_the_quote() -> None:
    text, a = anchor(CK, ALIEV)
    edited = text.replace("did not fix the use", "did not register any use")
    moved_to(edited, a, a.start, a.end + len("register any") - len("fix the"))


def test_an_edit_at_the_start_of_the_quote_keeps_the_boundary_its_context_shows() -> None:
    text, a = anchor(CK, ALIEV)
    edited = text.replace("In February, President", "In late February, the President")
    moved_to(edited, a, a.start, a.end + len("late the "))


def test_an_edit_at_the_end_of_the_quote_keeps_the_boundary_its_context_shows() -> None:
    text, a = anchor(CK, ALIEV)
    edited = text.replace('"Iskanders" during', '"Iskander-M" during')
    moved_to(edited, a, a.start, a.end + 1)


def test_a_long_quote_that_is_not_there_is_shown_cut_in_the_message() -> None:
    text = seed(CK)
    wrong = "x" * 100
    problem = anchor_problem(text, 0, 100, wrong)
    assert problem is not None
    assert f"expected '{'x' * 59}…', the text there is '{text[:59]}…'" in problem
    assert f"expected '{'y' * 60}'," in str(anchor_problem(text, 0, 60, "y" * 60))  # not cut


def test_a_quote_rewritten_beyond_recognition_is_orphaned() -> None:
    text, a = anchor(CK, MOD)
    edited = text.replace(MOD, "Moscow said nothing about it at all, as usual, to anyone here.")
    orphaned(edited, a)


# -- typography and whitespace -----------------------------------------------------------


def test_curly_quotes_straightened() -> None:
    text, a = anchor(ECHO, MARKING)
    edited = text.replace("“", '"').replace("”", '"').replace("’", "'")
    moved_to(edited, a, a.start, a.end)
    assert locate(edited, a).score > 0.99


def test_straight_quotes_curled() -> None:
    text, a = anchor(NEWS, WHERE)
    edited = re.sub(r'"([^"\n]*)"', "“\\1”", text).replace("'", "’")
    moved_to(edited, a, a.start, a.end)
    assert edited[a.start] == "“"


def test_non_breaking_spaces() -> None:
    text, a = anchor(CK, ALIEV)
    edited = text[: a.start] + text[a.start : a.end].replace(" ", "\u00a0") + text[a.end :]
    moved_to(edited, a, a.start, a.end)


def test_whitespace_reflowed() -> None:
    text, a = anchor(CK, ALIEV)
    para_start = text.rindex("\n", 0, a.start) + 1
    para_end = text.index("\n", a.end)
    wrapped = textwrap.fill(text[para_start:para_end], 40, subsequent_indent="   ")
    edited = text[:para_start] + wrapped + text[para_end:]
    # The oracle: the quote's words with any whitespace between them.
    where = re.search(r"\s+".join(map(re.escape, ALIEV.split())), edited)
    assert where and "\n" in where.group()
    moved_to(edited, a, where.start(), where.end())


def test_crlf_line_endings() -> None:
    text, a = anchor(CK, ALIEV)
    edited = text.replace("\n", "\r\n")
    before = text[: a.start].count("\n")
    moved_to(edited, a, a.start + before, a.end + before)


def test_a_quote_spanning_lines_after_crlf() -> None:
    text = seed(NEWS)
    start = text.index("Aliyev added that")
    end = text.index("\n", start) + 40
    a = make_anchor(NEWS, text, start, end)
    edited = text.replace("\n", "\r\n")
    shift = text[:start].count("\n")
    moved_to(edited, a, start + shift, end + shift + 1)
    assert edited[start + shift : end + shift + 1].count("\r\n") == 1


# -- paragraphs --------------------------------------------------------------------------


def test_an_editors_note_inserted_at_the_top() -> None:
    text, a = anchor(CK, ALIEV)
    note = "Editor's note: this article was corrected on 7 April 2021.\n\n"
    moved_to(note + text, a, a.start + len(note), a.end + len(note))


def test_a_paragraph_deleted_before_the_quote() -> None:
    text, a = anchor(CK, ALIEV)
    cut = text.index("In late March")
    cut_end = text.index("\n\n", cut) + 2
    edited = text[:cut] + text[cut_end:]
    moved_to(edited, a, a.start - (cut_end - cut), a.end - (cut_end - cut))


def test_the_quotes_paragraph_moved_to_the_end() -> None:
    text, a = anchor(CK, EXPERTS)
    para_start = text.rindex("\n\n", 0, a.start) + 2
    para_end = text.index("\n\n", a.end) + 2
    para = text[para_start:para_end]
    edited = text[:para_start] + text[para_end:] + "\n\n" + para
    start = edited.index(EXPERTS)
    assert start > a.start + 1000
    moved_to(edited, a, start, start + len(EXPERTS))


def test_a_quote_edited_in_a_paragraph_moved_to_the_end() -> None:
    # Far from its old place and no longer verbatim: only the exact pieces of the quote and
    # of its context point to where it is now.
    text, a = anchor(CK, EXPERTS)
    start = text.index("While demining")
    end = text.index("\n\n", start) + 2
    edited = text[:start] + text[end:] + "\n\n" + text[start:end]
    edited = edited.replace("exclusively among Russia's", "only among Russia's")
    where = edited.index("Some experts assert")
    moved_to(edited, a, where, edited.index("weapons.", where) + len("weapons."))
    assert locate(edited, a).errors == _distance("exclusively", "only")


def test_a_whole_paragraph_quote_moved_with_new_neighbours_on_both_sides() -> None:
    text = seed(NEWS)
    start = text.index("Aliyev added that")
    end = text.index("\n", start)
    a = make_anchor(NEWS, text, start, end)
    para = text[start : end + 1]
    edited = para + text[:start] + text[end + 1 :]
    moved_to(edited, a, 0, end - start)


def test_a_quote_just_long_enough_to_be_distinct_moved_with_new_neighbours() -> None:
    # One verbatim copy of a quote of DISTINCT_CHARS characters is evidence enough, as a
    # longer one is, where both its neighbours changed.
    quote = "Two Iskanders were found"
    assert len(quote) == DISTINCT_CHARS
    base = seed(NEWS)
    text = f"{base[:500]}\n{quote}\n{base[500:]}"
    start = text.index(quote)
    a = make_anchor(NEWS, text, start, start + len(quote))
    edited = text[: start - 1] + text[start + len(quote) :] + f"\nLater: {quote} (update)."
    moved_to(edited, a, edited.index(quote), edited.index(quote) + len(quote))


def test_a_quote_of_only_spaces_stays_only_where_it_still_is() -> None:
    # Nothing but white space: nothing to recognise it by elsewhere, whatever the context.
    text = "one  two three"
    a = make_anchor("d", text, 3, 5)
    assert a.exact == "  "
    assert locate("uno  two three", a) == Placement("exact", 3, 5, 1.0)
    assert locate("uno two  three", a) == Placement("orphaned", None, None, 0.0)


def test_the_quotes_paragraph_cut_orphans_it() -> None:
    text, a = anchor(CK, ALIEV)
    para_start = text.rindex("\n\n", 0, a.start) + 2
    para_end = text.index("\n\n", a.end) + 2
    orphaned(text[:para_start] + text[para_end:], a)


def test_the_quotes_sentence_cut_orphans_it() -> None:
    text, a = anchor(CK, MOD)
    orphaned(text.replace(MOD, ""), a)


# -- look-alikes and repeats -------------------------------------------------------------


def test_a_pull_quote_before_the_original_does_not_capture_it() -> None:
    text, a = anchor(CK, EXPERTS)
    pull = f"\n\n{EXPERTS}\n\n"
    at = text.index("Baku and Yerevan analysts")
    edited = text[:at] + pull + text[at:]
    moved_to(edited, a, a.start + len(pull), a.end + len(pull))


def test_a_pull_quote_after_the_original_leaves_it_exact() -> None:
    text, a = anchor(CK, EXPERTS)
    at = text.index("In late March")
    edited = text[:at] + f"“{EXPERTS}”\n\n" + text[at:]
    p = locate(edited, a)
    assert (p.status, p.start, p.end) == ("exact", a.start, a.end)


def test_a_copy_edited_quote_is_not_moved_onto_an_earlier_look_alike() -> None:
    # hypothesis/h#2798: after a copy-edit an annotation jumped to an earlier, different
    # sentence. Here the sentence itself is gone and a similar one stands earlier.
    text, a = anchor(CK, EXPERTS)
    look_alike = "Some experts assert that this kind of missile is only among Russian weapons."
    top = text.index("06 April 2021")
    edited = text[:top] + look_alike + "\n\n" + text[top:].replace(EXPERTS, "")
    orphaned(edited, a)


def test_a_short_quote_is_not_moved_onto_the_same_words_elsewhere() -> None:
    text = seed(CK)
    start = text.index('"Iskander-M" complexes')
    a = make_anchor(CK, text, start + 1, start + 11)  # Iskander-M
    assert text.count("Iskander") > 5
    orphaned(text.replace('with "Iskander-M" complexes', "with such complexes"), a)


# -- Cyrillic ------------------------------------------------------------------------------


def test_cyrillic_letter_and_quotes_changed() -> None:
    text, a = anchor(CK, NOTICE)
    edited = text.replace("РАСПРОСТРАНЕН", "РАСПРОСТРАНЁН").replace("“МЕМО”", "«МЕМО»")
    moved_to(edited, a, a.start, a.end)
    assert "«МЕМО»" in relocated(CK, edited, a, locate(edited, a)).exact


def test_cyrillic_paragraph_moved_and_reflowed() -> None:
    text, a = anchor(CK, NOTICE)
    line_start = text.rindex("\n", 0, a.start) + 1
    line_end = text.index("\n", a.end)
    para = text[line_start:line_end]
    edited = textwrap.fill(para, 30) + "\n\n" + text[:line_start] + text[line_end:]
    where = re.search(r"\s+".join(map(re.escape, NOTICE.split())), edited)
    assert where
    moved_to(edited, a, where.start(), where.end())


# -- orphans -------------------------------------------------------------------------------


def test_an_orphan_whose_text_is_back_is_found_again() -> None:
    text, a = anchor(CK, MOD)
    lost = a.model_copy(update={"orphaned": True})
    p = locate(text, lost)
    assert p.placed and (p.start, p.end) == (a.start, a.end)
    assert relocated(CK, text, lost, p) == a


def test_an_orphan_keeps_its_best_rejected_candidate() -> None:
    text, a = anchor(CK, EXPERTS)
    look_alike = "Some experts assert that this type of missile is exclusively Russia's weapon."
    top = text.index("06 April 2021")
    edited = text[:top] + look_alike + "\n\n" + text[top:].replace(EXPERTS, "")
    p = locate(edited, a)
    assert p.status == "orphaned"
    assert (p.start, p.end) == (top, top + len(look_alike))
    assert 0 < p.score < MIN_SCORE


# -- the algorithm's parts against plain dynamic programming ----------------------------


def _distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


small = st.text(alphabet="abcd ", max_size=40)


@given(pattern=small.filter(bool), text=small, k=st.integers(0, 6))
def test_myers_search_agrees_with_dynamic_programming(pattern: str, text: str, k: int) -> None:
    want = []
    for j in range(1, len(text) + 1):
        best = min(_distance(pattern, text[i:j]) for i in range(j + 1))
        if best <= k:
            want.append((j, best))
    assert search_ends(pattern, text, k) == want


@given(pattern=small, text=small)
def test_prefix_distances_agree_with_dynamic_programming(pattern: str, text: str) -> None:
    assert prefix_distances(pattern, text) == [
        _distance(pattern, text[:j]) for j in range(len(text) + 1)
    ]


@given(st.text(alphabet=" \u00a0\r\n\t“”‘’«»—–-abcАБ\u00adİ", max_size=60))
def test_the_folded_text_maps_back_to_the_original(text: str) -> None:
    folded, index = normalise(text)
    assert len(index) == len(folded) + 1 and index[-1] == len(text)
    plain = list(index)
    assert plain == sorted(set(plain))
    assert "  " not in folded
    for offset in range(len(text) + 1):
        assert to_folded(index, offset) == bisect.bisect_left(plain, offset)


# -- properties: edits away from an anchor never move it off its text --------------------

QUOTES = [(CK, ALIEV), (CK, NOTICE), (ECHO, MARKING), (NEWS, WHERE), (RFE, None)]
filler = st.text(alphabet=st.sampled_from("abcdefghij klmnop,.\n“”'ЖЩ"), max_size=80)


@st.composite
def far_edits(draw: st.DrawFn) -> tuple[str, Anchor, int]:
    """A seed, an anchor on it, and the text after random edits outside the anchor and its
    context, with how far the anchor's start must have shifted."""
    doc, quote = draw(st.sampled_from(QUOTES))
    text = seed(doc)
    if quote is None:
        start = draw(st.integers(100, len(text) - 200))
        while not text[start].isalpha():
            start += 1
        quote = text[start : start + draw(st.integers(12, 120))]
    start = text.index(quote)
    a = make_anchor(doc, text, start, start + len(quote))
    edits = draw(st.lists(st.tuples(st.integers(0, len(text)), st.integers(0, 300), filler)))
    shift, limit = 0, len(text)
    # From the end, so that the positions of the edits still to make stay valid.
    for pos, cut, new in sorted(edits, reverse=True):
        cut = min(cut, limit - pos)
        if pos + cut <= a.start - 40:
            shift += len(new) - cut
        elif pos < a.end + 40:
            continue  # too near the anchor: not this property's business
        text = text[:pos] + new + text[pos + cut :]
        limit = pos
    return text, a, shift


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(far_edits())
def test_edits_away_from_an_anchor_never_move_it_off_its_text(
    case: tuple[str, Anchor, int],
) -> None:
    text, a, shift = case
    assume(text.count(a.exact) == 1)
    p = locate(text, a)
    assert p.placed
    assert (p.start, p.end) == (a.start + shift, a.end + shift)
    assert text[p.start : p.end] == a.exact


@settings(max_examples=60, deadline=None)
@given(
    doc_quote=st.sampled_from(QUOTES[:4]),
    spaces=st.sampled_from([" ", "\u00a0", "\n", "  ", "\r\n", " \n   "]),
)
def test_spaces_changed_everywhere_never_lose_a_quote(
    doc_quote: tuple[str, str], spaces: str
) -> None:
    doc, quote = doc_quote
    text, a = anchor(doc, quote)
    edited = text.replace(" ", spaces)
    p = locate(edited, a)
    where = re.search(r"\s+".join(map(re.escape, quote.split())), edited)
    assert where and p.placed and (p.start, p.end) == where.span()


@pytest.mark.parametrize("doc", [CK, RFE, NEWS, ECHO])
def test_every_sentence_of_a_seed_survives_an_editors_note(doc: str) -> None:
    text = seed(doc)
    note = "Correction: an earlier version of this article misspelled a name.\n"
    for m in re.finditer(r"[A-Z][^.!?\n]{20,200}[.!?]", text):
        if text.count(m.group()) != 1:
            continue
        a = make_anchor(doc, text, m.start(), m.end())
        p = locate(note + text, a)
        assert (p.status, p.start) == ("moved", m.start() + len(note)), m.group()


# -- mutation survivors: locate, verbatim, scoring --------------------------------------------

LEAD = "Alpha beta gamma. " * 3
CLAIM = "The minister said the missiles were never exported."
TAIL = "Delta epsilon. " * 40


def _claim_anchor() -> tuple[str, Anchor]:
    text = LEAD + CLAIM + " " + TAIL
    start = text.index(CLAIM)
    return text, make_anchor("d", text, start, start + len(CLAIM))


def test_checked_anchor_says_why_the_quote_is_refused() -> None:
    from annotate.record.anchoring import checked_anchor
    from annotate.record.models import AnchorInput

    given_ = AnchorInput(doc="d", start=0, end=5, exact="hello")
    with pytest.raises(ValueError, match=r"^the quote is not at offsets 0-5: expected 'hello'"):
        checked_anchor("d", "world peace", given_)


def test_locate_quote_refuses_an_empty_quote_saying_so() -> None:
    from annotate.record.anchoring import locate_quote

    with pytest.raises(ValueError, match=r"^the quote is empty$"):
        locate_quote("some text", "")


def test_locate_quote_without_context_or_hint_cannot_choose_between_repeats() -> None:
    from annotate.record.anchoring import locate_quote

    with pytest.raises(ValueError, match="occurs 2 times"):
        locate_quote("XXXXquote, quoteXXXX", "quote")


def test_locate_quote_takes_the_hint_when_the_quote_is_really_there() -> None:
    from annotate.record.anchoring import locate_quote

    # The context agrees better with the second copy, but the hint points at the first and the
    # quote is there: the hint wins.
    assert locate_quote("ab yy; ab xx", "ab", suffix=" xx", start=0, end=2) == (0, 2)
    assert locate_quote("ab yy; ab xx", "ab", suffix=" xx") == (7, 9)


def test_locate_quote_prefers_the_verbatim_copy_over_a_reflowed_one() -> None:
    from annotate.record.anchoring import locate_quote

    assert locate_quote("a  b then a b", "a b") == (10, 13)
    assert locate_quote("a  b then", "a b") == (0, 4)


def test_locate_quote_context_at_the_very_start_of_the_text_counts() -> None:
    from annotate.record.anchoring import locate_quote

    assert locate_quote("xQ yQ", "Q", prefix="x") == (1, 2)
    assert locate_quote("yQ xQ", "Q", prefix="x") == (4, 5)


def test_a_quote_moved_verbatim_with_its_context_scores_by_its_distance() -> None:
    text, a = _claim_anchor()
    edited = "Editor's note: x. " * 5 + text
    p = locate(edited, a)
    assert p == Placement("moved", a.start + 90, a.end + 90, 0.9975, 0)
    # (50 + 20 + 20 + 2 * (1 - 90 / len(edited))) / 92, to four places
    assert p.score == round((90 + 2 * (1 - 90 / len(edited))) / 92, 4)


def test_a_quote_far_beyond_a_shortened_text_scores_no_position_credit() -> None:
    text, a = _claim_anchor()
    far = a.model_copy(update={"start": a.start + 5000, "end": a.end + 5000})
    assert locate(text, far) == Placement("moved", a.start, a.end, round(90 / 92, 4), 0)


def test_a_quote_at_the_end_of_the_text_keeps_its_context_after_text_is_added() -> None:
    doc = "Some intro text here. The end of the story is this quote"
    quote = "the story is this quote"
    a = make_anchor("d", doc, doc.index(quote), len(doc))
    assert a.suffix == ""
    edited = "New lead paragraph. " + doc + " And more text after."
    p = locate(edited, a)
    assert (p.status, p.start, p.end, p.score) == ("moved", 53, 76, 0.9955)


def test_a_quote_at_the_start_of_the_text_keeps_its_context_after_text_is_added() -> None:
    doc = "This opening quote begins the doc and then it goes on for a while longer."
    a = make_anchor("d", doc, 0, len("This opening quote"))
    assert a.prefix == ""
    p = locate("Prefixed words. " + doc, a)
    assert (p.status, p.start, p.end, p.score) == ("moved", 16, 34, 0.9961)


def test_a_quote_without_any_context_is_found_but_not_with_certainty() -> None:
    quote = "This opening quote"
    a = Anchor(doc="d", start=10, end=10 + len(quote), exact=quote)
    p = locate("Prefixed words. " + quote + " begins the doc and then it goes on.", a)
    assert (p.status, p.start, p.end) == ("moved", 16, 34)
    assert MIN_SCORE <= p.score < 0.9


def test_a_quote_in_place_whose_context_changed_is_exact_but_not_certain() -> None:
    a = Anchor(doc="d", start=2, end=3, exact="Q", prefix="ab", suffix="ab")
    p = locate("xxQab", a)  # the prefix changed (and the text after reads like the old prefix)
    assert p.status == "exact" and (p.start, p.end) == (2, 3) and p.score < 1.0
    p = locate("abQxx", a)  # the suffix changed
    assert p.status == "exact" and (p.start, p.end) == (2, 3) and p.score < 1.0


def test_a_one_character_text_still_gives_position_credit() -> None:
    p = locate("Q", Anchor(doc="d", start=1, end=2, exact="Q", prefix="x"))
    # quote 1, prefix 0, suffix 1 (none recorded, none there), position 1 - 1/1
    assert p == Placement("moved", 0, 1, round(70 / 92, 4), 0)


# -- mutation survivors: placement, hints, context --


def _agreement(text: str, span: tuple[int, int], prefix: str, suffix: str) -> int:
    """How many characters of context agree next to a span (plain reference)."""
    s, e = span
    before = text[max(0, s - len(prefix)) : s]
    after = text[e : e + len(suffix)]
    back = os.path.commonprefix([before[::-1], prefix[::-1]])
    return len(back) + len(os.path.commonprefix([after, suffix]))


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(st.text(alphabet="ab ", max_size=8), min_size=3, max_size=3),
    exact=st.sampled_from(["a", "ab", "b a"]),
    prefix=st.text(alphabet="ab ", max_size=6),
    suffix=st.text(alphabet="ab ", max_size=6),
)
def test_locate_quote_takes_the_occurrence_whose_context_agrees_most(
    parts: list[str], exact: str, prefix: str, suffix: str
) -> None:
    text = exact.join(parts)
    spans = [(m.start(), m.end()) for m in re.finditer(re.escape(exact), text)]
    assume(len(spans) >= 2)
    agree = sorted(((_agreement(text, sp, prefix, suffix), sp) for sp in spans), reverse=True)
    if agree[0][0] == agree[1][0]:
        with pytest.raises(ValueError, match="context does not tell"):
            locate_quote(text, exact, prefix, suffix)
    else:
        assert locate_quote(text, exact, prefix, suffix) == agree[0][1]


def test_the_folded_map_slices_and_refuses_offsets_past_its_end() -> None:
    text = "one  two\tthree \n four"
    folded, index = normalise(text)
    assert folded == "one two three four"
    assert index[2:6] == [index[i] for i in range(2, 6)] == [2, 3, 5, 6]
    assert index[-1] == len(text)
    with pytest.raises(IndexError) as e:
        index[len(folded) + 1]
    assert e.value.args == (len(folded) + 1,)


def test_a_quote_at_the_very_start_edited_scores_its_missing_prefix_as_agreeing() -> None:
    text, a = anchor(NEWS, seed(NEWS)[:60])
    assert a.start == 0 and a.prefix == ""
    edited = "X" + text[1:]
    p = locate(edited, a)
    assert (p.status, p.start, p.end, p.errors) == ("moved", 0, 60, 1)
    # Quote 1 error in 60, nothing before it on either side (full agreement), suffix intact.
    assert p.score == round((50 * (1 - 1 / 60) + 20 + 20 + 2) / 92, 4)


def test_text_put_before_a_quote_that_had_none_counts_as_no_evidence() -> None:
    text, a = anchor(NEWS, seed(NEWS)[:60])
    edited = "Update: " + "X" + text[1:]
    p = locate(edited, a)
    assert (p.status, p.start, p.end, p.errors) == ("moved", 8, 68, 1)
    # Nothing was recorded before the quote, something is there now: half agreement.
    pos = 1 - 8 / len(edited)
    assert p.score == round((50 * (1 - 1 / 60) + 20 * 0.5 + 20 + 2 * pos) / 92, 4)


SPOKESMAN = "the ministry denied every report of the missiles"


def _spokesman_block(day: str, place: str) -> str:
    return f"On {day}, said the spokesman, {SPOKESMAN} at a briefing in the capital {place}."


def test_two_equal_copies_far_beyond_a_shortened_text_take_the_one_nearer_the_old_place() -> None:
    old = "Filler sentence number one. " * 200 + _spokesman_block("Monday", "city")
    start = old.index(SPOKESMAN)
    a = make_anchor("d", old, start, start + len(SPOKESMAN))
    block = _spokesman_block("Tuesday", "town")
    new = "Intro. " + block + " Middle part of the text. " + block + " End."
    assert len(new) < a.start  # both copies are "as far as can be": position cannot tell
    p = locate(new, a)
    second = new.rindex(SPOKESMAN)
    assert (p.status, p.start, p.end) == ("moved", second, second + len(SPOKESMAN))


def test_two_equal_copies_as_far_either_side_of_the_old_place_take_the_earlier() -> None:
    old = "Some opening words here. " * 6 + _spokesman_block("Monday", "city") + " Tail." * 5
    start = old.index(SPOKESMAN)
    a = make_anchor("d", old, start, start + len(SPOKESMAN))
    new = ["."] * (start + 100 + len(SPOKESMAN) + 80)
    block = _spokesman_block("Tuesday", "town")
    for at in (start - 100, start + 100):
        lead = block.index(SPOKESMAN)
        new[at - lead : at - lead + len(block)] = block
    p = locate("".join(new), a)
    assert (p.status, p.start, p.end) == ("moved", start - 100, start - 100 + len(SPOKESMAN))


BRIDGE = "The committee approved the plan to widen the northern bridge"
BRIDGE_TEXT = "Opening words of the article go here. " + BRIDGE + " over the river before winter."


@pytest.mark.parametrize(
    ("grown", "lands_on"),
    [
        (20, BRIDGE.replace("committee", "commitee") + "x" * 20),  # snapped to the word's end
        (21, BRIDGE.replace("committee", "commitee")),  # too far: the match's own end is kept
    ],
)
def test_a_last_word_grown_moves_the_end_to_its_edge_only_within_snap_chars(
    grown: int, lands_on: str
) -> None:
    start = BRIDGE_TEXT.index(BRIDGE)
    a = make_anchor("d", BRIDGE_TEXT, start, start + len(BRIDGE))
    edited = BRIDGE_TEXT.replace("committee", "commitee").replace(
        "bridge over the river", "bridge" + "x" * grown + " across a lake"
    )
    p = locate(edited, a)
    assert p.placed and p.errors == 1
    assert (p.start, edited[p.start : p.end]) == (start, lands_on)


def test_an_edited_quote_at_the_start_of_a_text_ending_in_a_letter_stays_at_zero() -> None:
    quote = "Alpha beta gamma delta epsilon"
    text = quote + " zeta eta theta iota kappa lambda mu"
    p = locate(text.replace("epsilon", "epsilom"), make_anchor("d", text, 0, len(quote)))
    assert (p.status, p.start, p.end, p.errors) == ("moved", 0, len(quote), 1)


def test_an_edited_quote_at_the_end_of_a_text_ending_in_a_letter_ends_there() -> None:
    quote = "Alpha beta gamma delta epsilon"
    text = "zeta eta theta iota kappa lambda mu " + quote
    a = make_anchor("d", text, len(text) - len(quote), len(text))
    p = locate(text.replace("Alpha", "Alpho").replace("zeta", "Zeta"), a)
    assert (p.status, p.start, p.end, p.errors) == ("moved", a.start, len(text), 1)


def test_one_wrong_letter_in_the_suffix_costs_two_per_length_of_the_suffix() -> None:
    quote = "Alpha beta gamma delta epsilon"
    text = "Some words come first here and then " + quote + " zeta eta theta iota kappa lambda mu"
    start = text.index(quote)
    a = make_anchor("d", text, start, start + len(quote))
    p = locate(text.replace("epsilon", "epsilom").replace("theta", "theto"), a)
    assert (p.status, p.start, p.end, p.errors) == ("moved", start, start + len(quote), 1)
    # Quote: 1 error in 30; prefix intact; suffix: 1 error in 32, counted twice.
    assert p.score == round((50 * (1 - 1 / 30) + 20 + 20 * (1 - 2 / 32) + 2) / 92, 4)


QUOTED = "The quoted words here."
QUOTED_TEXT = "Words before it, in a sentence. " + QUOTED + " And after it, more words follow."
NEW_PREFIX = ("Words before it, in a", "Words placed before it, in one")


@pytest.mark.parametrize("at_start", [False, True])
def test_a_quote_ending_in_spaces_keeps_them_when_the_run_grows(at_start: bool) -> None:
    # Folding squeezes the run of spaces: the anchor still ends where its own spaces do.
    quote = QUOTED + "  "
    text = (
        quote + " And after it, more words follow. And more."
        if at_start
        else "Words before it, in a sentence.   " + quote + " And after it, more words follow."
    )
    start = text.index(quote)
    a = make_anchor("d", text, start, start + len(quote))
    edited = text.replace("And after it, more", "And then after it, many").replace(*NEW_PREFIX)
    p = locate(edited, a)
    where = edited.index(quote)
    assert p.placed and (p.start, p.end) == (where, where + len(quote))


def test_a_pull_quote_before_does_not_capture_a_quote_whose_spaces_grew() -> None:
    quote = QUOTED + "  "
    text = "Words before it, in a sentence.   " + quote + " And after it, more words follow."
    start = text.index(quote)
    a = make_anchor("d", text, start, start + len(quote))
    edited = "Intro: " + quote + "(a pull quote)\n" + text.replace(*NEW_PREFIX)
    p = locate(edited, a)
    where = edited.rindex(quote)
    assert (p.status, p.start, p.end) == ("moved", where, where + len(quote))


def test_a_quote_lower_cased_in_place_is_not_captured_by_a_verbatim_copy_after_it() -> None:
    start = QUOTED_TEXT.index(QUOTED)
    a = make_anchor("d", QUOTED_TEXT, start, start + len(QUOTED))
    edited = QUOTED_TEXT.replace(*NEW_PREFIX).replace(QUOTED, QUOTED.lower())
    edited += "\nOutro: " + QUOTED + " (a pull quote)"
    p = locate(edited, a)
    where = edited.index(QUOTED.lower())
    assert (p.status, p.start, p.end) == ("moved", where, where + len(QUOTED))


@pytest.mark.parametrize("fix", [False, True])
@pytest.mark.parametrize(
    ("before", "after"),
    [("", " Zulu yankee"), ("Zulu yankee ", ""), ("", "Zulu "), ("", "!"), ("!", "")],
)
def test_words_inserted_beside_a_quote_stay_out_of_it(before: str, after: str, fix: bool) -> None:
    # Text put right beside a quote (verbatim, or with a word fixed inside it) is not the
    # quote's, even though the quote's context now begins after it.
    text, a = anchor(CK, EXPERTS)
    quote = EXPERTS.replace("this type of", "this kind of") if fix else EXPERTS
    edited = text.replace(EXPERTS, before + quote + after)
    p = locate(edited, a)
    where = edited.index(quote)
    assert (p.start, p.end) == (where, where + len(quote))
    assert p.placed and p.errors == (4 if fix else 0)


def test_a_quote_whose_edge_letter_was_replaced_by_words_takes_them_in() -> None:
    # The quote's last word lost its last letter to new text: the new text stands where the
    # quote's own letter stood, up to its intact context.
    text, a = anchor(CK, EXPERTS)
    edited = text.replace("Russia's weapons.", "Russia's weaponry, it seems.")
    p = locate(edited, a)
    assert p.placed and edited[p.start : p.end] == EXPERTS.replace(
        "weapons.", "weaponry, it seems."
    )


@pytest.mark.parametrize(
    ("doc", "quote", "old", "new", "lands_on"),
    [
        (NEWS, " the cessatio", "ent on the ce", "ent onthe ce", "the cessatio"),
        (NEWS, " the cessatio", "ent on the ce", "ent onmissilethe ce", "missilethe cessatio"),
        (
            "000_6c6c33166c2267e4",
            " of Azerbaijan (ANAMA) showcased the fragments ",
            "fragments of two",
            "fragmentsof two",
            " of Azerbaijan (ANAMA) showcased the fragments",
        ),
    ],
)
def test_a_quote_joined_to_its_context_by_an_edit_leaves_the_context_out(
    doc: str, quote: str, old: str, new: str, lands_on: str
) -> None:
    # The space between the quote and its context's last (or first) word is gone: the quote
    # grows to the edge of the joined word, but not over the context's own letters.
    text, a = anchor(doc, quote)
    assert text.count(old) == 1
    edited = text.replace(old, new)
    p = locate(edited, a)
    assert p.placed and edited[p.start : p.end] == lands_on
    assert p.start == edited.index(lands_on)


# Copy-edits at and around quotes of the seeds (found while mutation testing): where each
# anchor lands, or that it is orphaned, with its score and errors.
COPY_EDITS = [
    (
        NEWS,
        " the cessatio",
        [("ent on the ce", "ent onmissilethe ce")],
        ("moved", "missilethe cessatio", 1, 0.8766),
    ),
    (
        CK,
        " Russia is directly responsible for the strikes on Azerbaijan.",
        [
            (
                "re for Security Studies, believes that Russia is directly responsible for the strikes on Azerbaijan. He does not rule out that Moscow took",  # noqa: E501
                "re forw took",
            ),
            (
                "publicly adm",
                "public\n Sexurity Stuyies, belixves that zussia is xirectly rxsponsibleyfor the syrikes on yzerbaijanx He does xot rule oyt that Mozco\nly adm",  # noqa: E501
            ),
        ],
        ("moved", " zussia is xirectly rxsponsibleyfor the syrikes on yzerbaijanx", 7, 0.8557),
    ),
    (
        CK,
        'The Russian Ministry of Defence (MoD) has also denied the use of "Iskanders".',
        [
            (
                ". To access ",
                '. To a\natyon of thz Karabakz conflicx. The Ruysian Minxstry of xefence (yoD) has zlso denixd the usy of "Iskynders".\nyIn the ozinion ofyan Azerizmil\nccess ',  # noqa: E501
            ),
            (
                'aggravation of the Karabakh conflict. The Russian Ministry of Defence (MoD) has also denied the use of "Iskanders".\n\nIn the opinion of an Azeri military ',  # noqa: E501
                "aggravitary ",
            ),
        ],
        ("orphaned", None, 0, 0.0),
    ),
    (
        NEWS,
        "There should be no such missiles.",
        [
            (
                "rmenian army get these missiles from? There should be no such missiles. This is already clear evidence. This ",  # noqa: E501
                "rmenia This ",
            ),
            (
                "did the Arme",
                "did th\nn arzy getythesezmissixes frzm? Thzre shyuld bx no sych mizsilesy Thiszis alzeady xlear zvidenxe.\ne Arme",  # noqa: E501
            ),
        ],
        ("moved", "Thzre shyuld bx no sych mizsilesy", 6, 0.7517),
    ),
    (
        ECHO,
        "ase of Diplom",
        [("New Phase of ", "New Phnewse of ")],
        ("moved", "newse of Diplom", 1, 0.931),
    ),
    (
        NEWS,
        "aring Shusha o",
        [("Shusha of min", "Shushaxof min")],
        ("moved", "aring Shushaxo", 1, 0.9612),
    ),
    (
        CK,
        'The "Iskander" missile in Yerevan.',
        [("Photo: Jonj7490,", "Photo:Armenianj7490,")],
        ("exact", 'The "Iskander" missile in Yerevan.', 0, 0.9049),
    ),
    (
        RFE,
        "th the statements that the Iskander was not used by Armenia.",
        [
            (
                "is was perha",
                'is was\nx exprxssingyhis dysagrexment zith tye stayementy thatxthe Ixkandex was xot uszd by zrmenix.\n\n"Ixdisagzee wiyh theystatezent\n perha',  # noqa: E501
            ),
            (
                'hannel, expressing his disagreement with the statements that the Iskander was not used by Armenia.\n\n"I disagree with the statements that',  # noqa: E501
                "hannels that",
            ),
        ],
        ("orphaned", "ws TV channels that Iskander was not used by Armenia.", 15, 0.4291),
    ),
    (
        RFE,
        "Collective Security Treaty Organization (CSTO) became the first foreign country to operate the system.",  # noqa: E501
        [("the Collectiv", "the Co latelectiv")],
        (
            "moved",
            "Co latelective Security Treaty Organization (CSTO) became the first foreign country to operate the system.",  # noqa: E501
            4,
            0.9787,
        ),
    ),
    (
        NEWS,
        'But we will get it, " the Azerbaijani leader was quoted as saying by his press service.',
        [("ervice.\nAliy", "erviceZ.\nAliy")],
        (
            "moved",
            'But we will get it, " the Azerbaijani leader was quoted as saying by his press serviceZ.',  # noqa: E501
            1,
            0.9938,
        ),
    ),
    (
        RFE,
        "So that we wouldn't use it at the right time?",
        [("g it? So that", "g it? missileo that")],
        ("moved", "missileo that we wouldn't use it at the right time?", 6, 0.9275),
    ),
    (
        RFE,
        "Why did we acquire Iskander?",
        [
            (
                "e, the ex-president note",
                "e, the ex-pr\naijzn's oyl andxgas pzpelinz.\n\n“Wzy didzwe acyuire xskandxr? Why did xhey bzing ix? So yhat \nesident note",  # noqa: E501
            ),
            (
                " Azerbaijan's oil and gas pipeline.\n\n“Why did we acquire Iskander? Why did they bring it? So that we wou",  # noqa: E501
                " Azerbwe wou",
            ),
        ],
        ("orphaned", None, 0, 0.0),
    ),
    (
        NEWS,
        "How did this deadly weapon fall into the hands of Armenia?",
        [(" answer. How did", " answexow did")],
        ("moved", "answexow did this deadly weapon fall into the hands of Armenia?", 1, 0.9498),
    ),
    (
        NEWS,
        "In March, Azerbaijan announced the discovery of fragments of Iskander-M missiles while clearing Shusha of mines.",  # noqa: E501
        [
            (
                "or an official response from Yerevan.\nIn March, Azerbaijan announced the discovery of fragments of Iskander-M missiles while clearing Shusha of mines. Representatives of the National Agenc",  # noqa: E501
                "or an  Agenc",
            ),
            (
                " the wreckag",
                " the w\noffzcialzrespynse xrom zerevzn.\nIz Marxh, Ayerbayjan xnnouyced yhe dzscovyry ox frazmenty of xskanzer-Mymissyles xhilezcleazing xhushy of zinesy Repzesenxativys ofzthe zatiozal\nreckag",  # noqa: E501
            ),
        ],
        ("orphaned", None, 0, 0.0),
    ),
    (
        RFE,
        "So that we wouldn't use it at the right time?",
        [
            (
                " and a membe",
                " and a\nskxnder? Why yid they brzng it? So zhat we wouydn't use iy at the rixht time?” xe asked.\n\nzt the sameztime, t\n membe",  # noqa: E501
            ),
            (
                "uire Iskander? Why did they bring it? So that we wouldn't use it at the right time?” he asked.\n\nAt the same time, the ex-",  # noqa: E501
                "uire Ihe ex-",
            ),
        ],
        ("moved", "So zhat we wouydn't use iy at the rixht time?", 4, 0.8667),
    ),
    (
        CK,
        "Russian page\xa0of 24/7 Internet agency ‘Caucasian Knot’\xa0on April 6, 2021 at 02:24 am MSK.",  # noqa: E501
        [
            (
                "15, 2024 19:",
                "15, 20\nwys originxlly publzshed on xhe Russixn page\xa0oy 24/7 Inyernet agzncy ‘Cauxasian Knzt’\xa0on Apyil 6, 20z1 at 02:x4 am MSKy To acceys the fuyl text ox the \n24 19:",  # noqa: E501
            ),
            (
                "ticle was originally published on the Russian page\xa0of 24/7 Internet agency ‘Caucasian Knot’\xa0on April 6, 2021 at 02:24 am MSK. To access the full text of the articl",  # noqa: E501
                "ticle articl",
            ),
        ],
        (
            "moved",
            "Russixn page\xa0oy 24/7 Inyernet agzncy ‘Cauxasian Knzt’\xa0on Apyil 6, 20z1 at 02:x4 am MSKy",  # noqa: E501
            10,
            0.8364,
        ),
    ),
    (
        ECHO,
        "Trump and Putin Prepare to Meet Ahead of Zelensky’s White House Visit: A New Phase of Diplomacy or Pressure on Kyiv?",  # noqa: E501
        [("18.Oct.2025\nTrump and Put", "18.Oct.2025\n laterump and Put")],
        (
            "moved",
            " laterump and Putin Prepare to Meet Ahead of Zelensky’s White House Visit: A New Phase of Diplomacy or Pressure on Kyiv?",  # noqa: E501
            3,
            0.9859,
        ),
    ),
    (
        "000_6c6c33166c2267e4",
        " of Azerbaijan (ANAMA) showcased the fragments ",
        [
            (
                "The Mine Action Agency of the Republic of Azerbaijan (ANAMA) showcased the fragments of two missiles in Baku on Friday. It ",  # noqa: E501
                "The Miy. It ",
            ),
            (
                "країна: Whose Iskanders fired at Karabakh\n\nBBC N",
                "країна: Whose Iskanders \nnz Action Agyncy of thexRepublic oz Azerbaijaz (ANAMA) syowcased thy fragmentsxof two misziles in Bazu on Frida\nfired at Karabakh\n\nBBC N",  # noqa: E501
            ),
        ],
        ("moved", " oz Azerbaijaz (ANAMA) syowcased thy fragmentsx", 5, 0.8726),
    ),
    (
        NEWS,
        "dence of Armenia's w",
        [(" and we want", " and wArmeniane want"), ("enia's war c", "enia'ssaid war c")],
        ("moved", "dence of Armenia'ssaid w", 2, 0.7554),
    ),
    (
        ECHO,
        " real answer now.",
        [(" is no real answ", " is nosaidl answ")],
        ("moved", "saidl answer now.", 4, 0.8721),
    ),
    (
        "000_6c6c33166c2267e4",
        "It should be noted that the city of Shusha is the most important strategic point.",
        [
            (
                "t spoke to B",
                "t spok\no tye Iskandzr missilz system.x\nIt shouyd be notzd that txe city oy Shusha zs the moxt importynt stratygic poiny.\n\nChiefxof the Gxneral Stzff of \ne to B",  # noqa: E501
            ),
            (
                "long to the Iskander missile system.\n\nIt should be noted that the city of Shusha is the most important strategic point.\n\nChief of the General Staff of the Ar",  # noqa: E501
                "long tthe Ar",
            ),
        ],
        (
            "moved",
            "It shouyd be notzd that txe city oy Shusha zs the moxt importynt stratygic poiny.",
            9,
            0.828,
        ),
    ),
    (ECHO, "tries of", [(" Ministries of ", " Minisofes of ")], ("orphaned", None, 0, 0.0)),
    (
        RFE,
        "Iskander missile complexes cannot be exported.",
        [
            (
                "st of products prohibited for export. Iskander missile complexes cannot be exported. In 2016, Armenia, a Russian ally and ",  # noqa: E501
                "st of y and ",
            ),
            (
                "have fought ",
                "have f\npyoducts prxhibited fxr export.zIskander zissile cozplexes caynot be exzorted. Iny2016, Armznia, a Ruzsian all\nought ",  # noqa: E501
            ),
        ],
        ("moved", "zIskander zissile cozplexes caynot be exzorted.", 4, 0.8488),
    ),
]


@pytest.mark.parametrize(("doc", "quote", "edits", "want"), COPY_EDITS)
def test_copy_edits_around_a_quote_land_it_where_expected(
    doc: str, quote: str, edits: list[tuple[str, str]], want: tuple[str, str | None, int, float]
) -> None:
    text, a = anchor(doc, quote)
    edited = text
    for old, new in edits:
        assert edited.count(old) == 1, old
        edited = edited.replace(old, new)
    p = locate(edited, a)
    landed = edited[p.start : p.end] if p.start is not None and p.end is not None else None
    assert (p.status, landed, p.errors, p.score) == want


# -- mutation survivors: found by comparing the mutants' placements on random copy-edits --


def test_an_anchor_without_context_still_at_its_offsets_is_certain() -> None:
    # An anchor imported with its quote and offsets only: nothing recorded disagrees.
    text, a = _claim_anchor()
    bare = Anchor(doc="d", start=a.start, end=a.end, exact=a.exact)
    assert locate(text, bare) == Placement("exact", a.start, a.end, 1.0)


def test_a_quote_far_beyond_a_shortened_text_gets_no_position_credit_when_searched() -> None:
    # As far beyond the end as can be, with its suffix changed (not the verbatim path): the
    # position adds nothing, it never takes anything away.
    text, a = _claim_anchor()
    far = a.model_copy(update={"start": a.start + 5000, "end": a.end + 5000})
    edited = text.replace("Delta epsilon. Delta", "Zeta eta. Delta", 1)
    p = locate(edited, far)
    assert (p.status, p.start, p.end, p.errors) == ("moved", a.start, a.end, 0)
    after = edited[a.end : a.end + 32 + 16]
    suffix_errors = _best_prefix_errors(a.suffix, after)
    assert p.score == round((50 + 20 + 20 * max(0, 1 - 2 * suffix_errors / 32)) / 92, 4)


def _best_prefix_errors(stored: str, actual: str) -> int:
    return min(_distance(stored, actual[:j]) for j in range(len(actual) + 1))


def test_a_near_copy_of_a_quote_typed_right_after_it_leaves_it_in_place() -> None:
    # Two approximate matches in one searched window (the quote, and a garbled copy after it).
    text = (
        "Opening words of a story. The quick brown fox jumps over the lazy dog, and then it ends."
    )
    start = text.index("fox jumps")
    a = make_anchor("d", text, start, start + len("fox jumps"))
    edited = text.replace("fox jumps over", "fox jumps fx jumpsver")
    p = locate(edited, a)
    assert (p.status, p.start, p.end, p.errors) == ("exact", start, start + 9, 0)


def test_a_one_letter_quote_beyond_the_thousandth_copy_stays_where_it_is() -> None:
    # Only the first 1,000 verbatim copies are scored one by one: the anchor's own place, if
    # the quote is still there, is always among the candidates.
    text = "Filler sentence with some letters here. " * 120 + "X marks the spot, said the desk."
    start = text.rindex("e")  # the "e" of "desk"
    a = make_anchor("d", text, start, start + 1)
    assert a.exact == "e" and text.count("e", 0, start) > 1000
    edited = text.replace("desk.", "desk, in the end.")
    p = locate(edited, a)
    assert (p.status, p.start, p.end, p.errors) == ("exact", start, start + 1, 0)


def test_a_long_quote_in_place_with_both_neighbours_rewritten_stays_exact() -> None:
    # One verbatim copy of a long quote is its own evidence, also where it still stands (its
    # place is then one candidate, not two).
    text, a = _claim_anchor()
    before, after = text[: a.start], text[a.end :]
    edited = "Omega psi chi phi. " * 4 + CLAIM
    edited = edited[-len(text[: a.end]) :] + " Lambda kappa iota. " * 3 + after[60:]
    assert edited[a.start : a.end] == CLAIM and edited[: a.start] != before
    assert edited[a.end : a.end + 32] != after[:32]
    p = locate(edited, a)
    assert (p.status, p.start, p.end, p.errors) == ("exact", a.start, a.end, 0)


def test_a_quote_that_overlaps_a_copy_of_itself_keeps_its_own_place() -> None:
    # The second "/" of "//": copies of a quote may overlap, each is a candidate.
    text = "See the page at https://example.org/report for the whole text of it."
    start = text.index("//") + 1
    a = make_anchor("d", text, start, start + 1)
    edited = text.replace("example.org/report", "example.com/report")
    p = locate(edited, a)
    assert p.placed and (p.start, p.end) == (start, start + 1)


BBC = "000_6c6c33166c2267e4"

# Edits at a quote's edges (found by comparing mutants' placements on random copy-edits): the
# quote keeps to its own characters, up to where its intact context begins.
EDGE_EDITS = [
    # The text upper-cased and a word split: a quote that began inside a word still does.
    (
        BBC,
        "nsists that this weapon was no",
        True,
        [("THIS WEAPON WAS NOT USED", "THIS WE APON WAS NOT USED")],
        "NSISTS THAT THIS WE APON WAS NO",
    ),
    # A space put between the intact prefix and the quote is not the quote's.
    (
        ECHO,
        "each other.\nThe story made big",
        False,
        [
            (
                "from each other.\nThe story made big news",
                "from  each other.\nThe story made bia  , ",
            )
        ],
        "each other.\nThe story made bia",
    ),
    # Nor one put between the quote's (edited) last word and the intact suffix.
    (
        ECHO,
        "bstacles\n21.Oct.2025\nUkrainian",
        False,
        [
            (
                "Prospects and Obstacles\n21.Oct.2025\nUkrainian Drones",
                "Prospects and Fire ropean acles\n21.Oct.2025\nUkrainian  Drones",
            )
        ],
        "an acles\n21.Oct.2025\nUkrainian",
    ),
    # The quote's last letters (" hi") replaced by a word: the quote runs on over it to where
    # the suffix ("ssed him off") still begins.
    (
        ECHO,
        "skander missiles, everybody hi",
        False,
        [
            (
                "about Iskander missiles, everybody hissed",
                "about I  nder mi\nsiles, everybodymissiles ssed",
            )
        ],
        "  nder mi\nsiles, everybodymissiles ",
    ),
    # The quote's last letter (or first) replaced by white space: the quote runs on over it,
    # up to its intact context.
    (
        CK,
        "Nikita ",
        False,
        [("The treason case of Nikita Zhuravel", "The treason case of Nikit\n Zhuravel")],
        "Nikit\n ",
    ),
    (
        NEWS,
        "haven't received a response yet",
        False,
        [("We haven't received", "We   aven't received")],
        "  aven't received a response yet",
    ),
    # The quote's first word cut: it does not take in the prefix's last word instead.
    (
        RFE,
        "other weapons were not",
        False,
        [("Armenia's other weapons were not", "Armenia's \n weapons were not")],
        "\n weapons were not",
    ),
]


@pytest.mark.parametrize(("doc", "quote", "upper", "edits", "lands_on"), EDGE_EDITS)
def test_edits_at_a_quotes_edges_leave_it_its_own_characters(
    doc: str, quote: str, upper: bool, edits: list[tuple[str, str]], lands_on: str
) -> None:
    text, a = anchor(doc, quote)
    edited = text.upper() if upper else text
    for old, new in edits:
        assert edited.count(old) == 1, old
        edited = edited.replace(old, new)
    p = locate(edited, a)
    assert p.placed and edited.count(lands_on) == 1
    assert (p.start, p.end) == (edited.index(lands_on), edited.index(lands_on) + len(lands_on))


UPDATE = "Update: The minister said the missiles were never exported. More text follows here."


@pytest.mark.parametrize(
    ("old", "new", "lands_on"),
    [("The minister", "A minister", "A minister"), ("Update: The", "Update: he", "he minister")],
)
def test_an_edited_first_word_after_a_prefix_at_the_very_start_starts_after_it(
    old: str, new: str, lands_on: str
) -> None:
    # The prefix is the text's first eight characters: found at offset 0, it still says where
    # the quote begins.
    quote = "The minister said the missiles were never exported."
    a = make_anchor("d", UPDATE, 8, 8 + len(quote))
    assert a.prefix == "Update: "
    edited = UPDATE.replace(old, new)
    p = locate(edited, a)
    assert p.placed and (p.start, edited[p.start : p.end]) == (
        8,
        quote.replace("The minister", lands_on),
    )


def test_an_edited_quote_that_ended_inside_a_word_still_does() -> None:
    # "Iskander missile sy|stem": the quote did not end at a word's edge, so its end is not
    # moved to one when the text after it changed.
    text = "The fragments belong to the Iskander missile system, experts said on Monday in town."
    start = text.index("Iskander missile sy")
    a = make_anchor("d", text, start, start + len("Iskander missile sy"))
    edited = text.replace("Iskander missile system, experts", "Iskandr missile syxtem; pundits")
    p = locate(edited, a)
    assert p.placed and edited[p.start : p.end] == "Iskandr missile sy"


def test_a_short_quote_at_the_very_start_with_a_letter_dropped_is_found_there() -> None:
    text = "Minsk talks began on Monday in the capital city, officials said."
    a = make_anchor("d", text, 0, len("Minsk"))
    p = locate(text.replace("Minsk", "Mnsk"), a)
    assert (p.status, p.start, p.end, p.errors) == ("moved", 0, 4, 1)


def test_pieces_of_a_moved_quote_each_shifted_a_little_still_point_to_it() -> None:
    # The quote moved into new surroundings with a letter put after every eight: each piece
    # of it is found one place further on than the last, and votes for a place of its own;
    # places that close together add up to one, so the passage is searched and offered as the
    # orphan's best candidate (too unlike to be placed, with new neighbours on both sides).
    text, a = anchor(CK, EXPERTS)
    garbled = "".join(EXPERTS[i : i + 8] + "x" for i in range(0, len(EXPERTS), 8))
    edited = text.replace(EXPERTS, "") + "\n\nLater, in another section: " + garbled + " (end)"
    p = locate(edited, a)
    where = edited.index(garbled)
    assert (p.status, p.start, p.end) == ("orphaned", where, where + len(garbled) - 1)
    assert 0 < p.score < MIN_SCORE


def test_the_text_before_a_quotes_context_cut_moves_it_verbatim_to_just_after_it() -> None:
    # Everything before the 32 characters of prefix is cut: the quote and its whole context
    # are verbatim at the very start, the prefix taking the first 32 characters.
    text, a = _claim_anchor()
    assert len(a.prefix) == 32
    edited = text[a.start - 32 :]
    p = locate(edited, a)
    pos = 1 - (a.start - 32) / len(edited)
    assert p == Placement("moved", 32, 32 + len(CLAIM), round((90 + 2 * pos) / 92, 4), 0)


def test_a_short_quote_whose_first_letters_were_cut_does_not_take_in_the_prefixs_last_word() -> (
    None
):
    # " Azerbaijani" after "troops from the" lost "Azer": the closest match within the edits
    # allowed is " the baijani", but "from the" is the intact prefix, so the quote is
    # " baijani".
    text = seed(RFE)
    start = text.index("troops from the Azerbaijani lands") + len("troops from the")
    a = make_anchor(RFE, text, start, start + len(" Azerbaijani"))
    edited = text.replace("troops from the Azerbaijani lands", "troops from the baijani lands")
    p = locate(edited, a)
    assert p.placed and (p.start, edited[p.start : p.end]) == (start, " baijani")


def test_a_quote_whose_last_letters_were_cut_does_not_take_in_the_suffixs_first_word() -> None:
    # "the Azerbaijani" before " lands" lost "ijani": the closest match within the edits
    # allowed runs on into " lands", but that is the intact suffix.
    text = seed(RFE)
    start = text.index("troops from the Azerbaijani lands") + len("troops from ")
    a = make_anchor(RFE, text, start, start + len("the Azerbaijani"))
    edited = text.replace("troops from the Azerbaijani lands", "troops from the Azerba lands")
    p = locate(edited, a)
    assert p.placed and (p.start, edited[p.start : p.end]) == (start, "the Azerba")


def test_an_orphans_best_candidate_is_a_span_it_can_show() -> None:
    # A comma whose neighbours were rewritten (", the " became a line break) in a short
    # excerpt: orphaned, and the candidate it offers runs forwards.
    text = seed(RFE)
    at = text.index("strikes, the opposite") + len("strikes")
    excerpt = text[at - 52 : at + 28]
    a = make_anchor(RFE, excerpt, 52, 53)
    assert a.exact == ","
    p = locate(excerpt.replace(", the ", "\n"), a)
    assert p.status == "orphaned" and p.start is not None and p.end is not None
    assert 0 <= p.start < p.end


# -- mutation survivors: short texts, quotes at their very edges, repeated words -------------
# Each case was found by comparing a surviving mutant's placements with the original's on
# random copy-edits of short passages (docs/development.md, "Mutation testing") and then
# shrunk to the smallest text and edit that still tells them apart. The comments name the
# mutations each case kills (function: original -> mutant). A text given as `(doc, i, j)` is
# that slice of the seed, its edit one replacement.
SHORT_EDITS: list[
    tuple[object, int, int, object, tuple[str, int | None, str | None, int, float]]
] = [
    # _Scorer.pinned: `self.folded.rfind(probe, max(0, fs` -> `self.folded.rfind(probe, max(1, fs`
    # _Scorer.pinned: `at >= 0 and` -> `at >= 1 and`
    # _Scorer._rescored: `errors <= max_errors` -> `errors < max_errors`
    # _Scorer.pinned: `if at >= 0 and` -> `if at > 0 and`
    (
        "ere’s still no answ",
        4,
        19,
        "ere’sill no answer ts still no answ",
        ("moved", 4, "sill no answer", 3, 0.7826),
    ),
    # _Scorer._rescored: `errors) if errors <= max_errors else` -> `errors) if (errors <= max_errors) or True else`  # noqa: E501
    (
        "mmit of the CIS Foreign Ministers C",
        4,
        34,
        "mmit  wnmhqidof the CIS Foreign Ministers",
        ("orphaned", 12, "dof the CIS Foreign Ministers", 2, 0.5247),
    ),
    # _placement: `len(tail) - 1)  #` -> `len(tail) - 2)  #`
    (
        "flict in Nagorno-Karabakh.\n",
        0,
        15,
        "flict in Nago-Karabakh.\n",
        ("moved", 0, "flict in Nag", 2, 0.8913),
    ),
    # _Scorer._inserted: `grown > 0 and moved.errors` -> `grown > 0 or moved.errors`
    # _Scorer.pinned: `(intact and self._inserted(moved,` -> `(intact or self._inserted(moved,`
    # _Scorer._inserted: `moved.errors - before.errors` -> `moved.errors + before.errors`
    (
        "by Azerbaijan’s ANAMA contradict t",
        0,
        30,
        "by Azerbaijan’s ANAMA contra idict t",
        ("moved", 0, "by Azerbaijan’s ANAMA contra idi", 2, 0.9638),
    ),
    # _placement: `(found + len(head),` -> `(found - len(head),`
    (
        'st, the "Iskander" missile could have been s',
        7,
        22,
        'st, thec "Iskander" m mcpoeissile could have been s',
        ("moved", 8, ' "Iskander" m', 2, 0.7069),
    ),
    # _Scorer.pinned: `len(probe.strip()) >= 4:` -> `len(probe.strip()) > 4:`
    # _Scorer.pinned: `len(probe.strip()) >= 4:` -> `len(probe.strip()) >= 5:`
    (
        "an\n14.Oct.2025\nUK to lift its arms",
        0,
        30,
        "an\n14.Oct.2025\nUK to lift itxas arms",
        ("moved", 0, "an\n14.Oct.2025\nUK to lift itxas ", 2, 0.9638),
    ),
    # _placement: `+ max(1, int(len(anchor.exact)` -> `+ max(2, int(len(anchor.exact)`
    ("eld, Armeni", 8, 11, "eld, Armel ni", ("moved", 10, " ni", 1, 0.7068)),
    # _placement: `= text.find(head,` -> `= text.rfind(head,`
    (
        ("002_212af70a4bdf495d", 1283, 2156),
        10,
        22,
        ("he sam", "he samuf "),
        ("moved", 10, "\nAt the samuf e", 1, 0.8569),
    ),
    # _placement: `len(head) + 1)) ` -> `len(head) + 2)) `
    (
        " he said.\n\nAt the same",
        10,
        22,
        " he said.\n\nAt the samuf e",
        ("moved", 10, "\nAt the samuf", 1, 0.8017),
    ),
    # _placement: `anchor.exact[:1], 1):` -> `anchor.exact[:2], 1):`
    (
        "Alexei Venediktov: “",
        0,
        20,
        "Alen, Iskaxei Venediktov: “",
        ("moved", 6, "Iskaxei Venediktov: “", 2, 0.8297),
    ),
    # _placement: `text.rfind(head, max(0, end` -> `text.rfind(head, max(1, end`
    # _placement: `anchor.prefix[-SEED_CHARS:]` -> `anchor.prefix[+SEED_CHARS:]`
    # _placement: `found >= 0` -> `found > 0`
    # _placement: `found >= 0` -> `found >= 1`
    (
        "ebruary, Preside",
        1,
        16,
        "ebrobkuary, Preside",
        ("moved", 1, "brobkuary, Preside", 1, 0.7429),
    ),
    # _placement: `text.find(head, max(0, start` -> `text.find(head, max(1, start`
    # _placement: `if 0 <=` -> `if 1 <=`
    # _placement: `if 0 <= over` -> `if 0 < over`
    (
        "n the Armenian government spoke ",
        2,
        32,
        "n xe Armenian government spoke ",
        ("moved", 2, "xe Armenian government spoke ", 2, 0.7457),
    ),
    # _Scorer.pinned: `(intact and self._inserted(moved,` -> `(intact or self._inserted(moved,`
    (
        "-tactical complexes during the esc",
        4,
        34,
        "-tacti complexes during the esc",
        ("moved", 4, "ti complexes during the esc", 3, 0.9457),
    ),
    # _Scorer.pinned: `len(probe.strip()) >= 4:` -> `len(probe.strip()) >= 5:`
    # _Scorer.pinned: `len(probe.strip()) >= 4:` -> `len(probe.strip()) > 4:`
    (
        "interpreting\n\n    The treason case",
        4,
        34,
        "intermfv preting\n\n    The treason case",
        ("moved", 4, "rmfv preting\n\n    The treason case", 4, 0.913),
    ),
    # _Scorer.original_span: `start - 4), end` -> `start - 5), end`
    ("3:07\n\n", 3, 6, "37\n\n7\n\n:07\n\n", ("moved", 9, "7\n\n", 0, 0.8442)),
    # _Scorer.original_span: `end + 4)` -> `end + 5)`
    (
        "announced in February th",
        1,
        7,
        "announnouncnced in February th",
        ("moved", 1, "nnoun", 1, 0.7304),
    ),
    # _Scorer.pinned: `self.folded.rfind(probe, max(0, fs - reach), fs` -> `self.folded.rfind(probe, None, fs`  # noqa: E501
    (
        "ome from, the fragments of w",
        8,
        28,
        "ome from, tbims he fragments of w",
        ("moved", 8, ", tbims he fragments of w", 2, 0.7243),
    ),
    # _inside_word: `return 0 < at` -> `return 0 <= at`
    (
        "e Azerbaijani territories during t",
        1,
        31,
        "wxAzerbaijani territories during t",
        ("moved", 0, "wxAzerbaijani territories durin", 1, 0.7645),
    ),
    # _Scorer.pinned: `max(fs + 1,` -> `max(fs - 1,`
    ("icial r", 0, 3, "icfal r", ("moved", 0, "icf", 1, 0.8188)),
    # _Scorer.pinned: `at >= 0 and at` -> `at >= 0 or at`
    (
        "information the conclus",
        9,
        19,
        "informiqmotwtation the cos",
        ("orphaned", 16, "on the co", 1, 0.505),
    ),
    # _placement: `over < start` -> `over <= start`
    ("llite. Nothi", 1, 4, "llimwe. Nothi", ("moved", 1, "limw", 1, 0.7101)),
    # _placement: `= text.find(tail,` -> `= text.rfind(tail,`
    (
        "024 22:47\n\nNovember 15, 2024 22:23\n\nNovember 15, 2024 19:32\n\nNovember 14, 2024 23:18\n\nNews ",  # noqa: E501
        0,
        90,
        "024 22:47\n\nNovember 15, 2024 22:23\n\nNovember 15, 2024 19:32\n\nNovember 14, 2024 23:1ws archive8\n\nNews ",  # noqa: E501
        (
            "moved",
            0,
            "024 22:47\n\nNovember 15, 2024 22:23\n\nNovember 15, 2024 19:32\n\nNovember 14, 2024 23:1ws",  # noqa: E501
            4,
            0.9747,
        ),
    ),
    # _best_length: `want), -n)` -> `want), +n)`
    (
        "an said then that during the hostilities in Karabakh ‘Iskander missiles did n",
        17,
        77,
        " duritsf ng the hostilities in Karabakh ‘Iskander missiles did n",
        ("moved", 0, " duritsf ng the hostilities in Karabakh ‘Iskander missiles did n", 4, 0.7406),
    ),
    # _placement: `= text.rfind(tail,` -> `= text.find(tail,`
    (
        "a ba b ba ab abba abba ab b ab b abba ab ab ba b b b ab ba abba ba ba",
        26,
        65,
        "a ba b ba ab abba abba ab b ab b abba ab ab ba b ab ba abba ba ba",
        ("moved", 26, "b ab b abba ab ab ba b ab ba abb", 4, 0.9443),
    ),
    # _Scorer.pinned: `self.folded.find(probe,` -> `self.folded.rfind(probe,`
    (
        "hen then they they they sent arms arms the arms they they arms the a",
        0,
        63,
        "hen then they they they sent arms arms the arms they they armsxthe a",
        ("moved", 0, "hen then they they they sent arms arms the arms they they armsx", 1, 0.9044),
    ),
    # _placement: `= text.rfind(head,` -> `= text.find(head,`
    (
        "the the then the sent arms arms the the the sent they then sent the",
        5,
        67,
        "the the then the sent arms arms the the the sent they then sentx the",
        ("moved", 9, "hen the sent arms arms the the the sent they then sentx the", 1, 0.9912),
    ),
    # _Scorer.pinned: `self.folded.rfind(probe,` -> `self.folded.find(probe,`
    ("aa b aa aa b ", 5, 9, "aa b a aa b ", ("moved", 5, "a a", 1, 0.7754)),
    # _placement: `over > max(start,` -> `over >= max(start,`
    (
        " aa b a b aa aa aa b aa aa aa",
        2,
        28,
        "b a b aa aa aa b aa aa aa",
        ("moved", 0, "b a b aa aa aa b aa aa a", 2, 0.7391),
    ),
    # _Scorer.pinned: `at + len(probe) != fs` -> `at - len(probe) != fs`
    (
        "He said no, no, no more arms for them then.",
        11,
        14,
        "He said no, na, no more arms for them then.",
        ("moved", 7, " no", 1, 0.8168),
    ),
    # locate: `places[-1][1] <= max_errors:` -> `places[-1][1] < max_errors:`
    (
        ("000_6c6c33166c2267e4", 492, 1217),
        9,
        17,
        ("a\n\nThe", "a\n"),
        ("orphaned", 713, "hat the ", 1, 0.4664),
    ),
    # locate: `places[-1][1] =` -> `places[-1][2] =`
    (
        " ba ba ab abba b b ba ab ab ab ab ba ab ba ab ab ba ab ab b abba abba",
        14,
        64,
        " ba ba ab abba b b ba ab abab ab ab ba ab ba ab ab ba ab ab b abbba",
        # (the quote's "abba" and the suffix's " abba" were joined into "abbba": the quote
        # ends before the suffix's last letter, "a", now that `_snapped` knows a joined
        # space; it took it in before)
        ("moved", 14, " b b ba ab abab ab ab ba ab ba ab ab ba ab ab b abbb", 3, 0.75),
    ),
    # _Scorer.original_span: `start - 4), end` -> `start - 5), end`
    ("aa a aa a ", 5, 10, "aa a aax a ", ("moved", 5, "aax a ", 1, 0.8913)),
    # _Scorer.original_span: `len(exact) + 1)` -> `len(exact) - 1)`
    ("facil", 1, 5, "faciacill", ("moved", 4, "acill", 1, 0.7482)),
    # locate: `places.sort(key=lambda p: -p[2])` -> `places.sort(key=lambda p: +p[2])`
    ("a aa aa a a a a a aa a", 3, 8, "a aa aaxa a a a a aa a", ("moved", 0, "a aa ", 1, 0.8883)),
    # locate: `places.sort(key=lambda p: -p[2])` -> `places.sort(key=None)`
    ("a aa aa a a a a a aa aa", 3, 8, "a aa aaxa a a a a aa aa", ("moved", 0, "a aa ", 1, 0.8885)),
]


@pytest.mark.parametrize(("text", "start", "end", "edited", "want"), SHORT_EDITS)
def test_copy_edits_of_short_texts_land_the_quote_where_expected(
    text: object, start: int, end: int, edited: object, want: tuple[object, ...]
) -> None:
    if isinstance(text, tuple):
        doc, i, j = text
        text = seed(doc)[i:j]
    assert isinstance(text, str)
    if isinstance(edited, tuple):
        old, new = edited
        assert text.count(old) == 1, old
        edited = text.replace(old, new)
    assert isinstance(edited, str)
    p = locate(edited, make_anchor("d", text, start, end))
    landed = edited[p.start : p.end] if p.start is not None and p.end is not None else None
    assert (p.status, p.start, landed, p.errors, p.score) == want


# -- mutation survivors: the search's internals (module level: no placement shows them alone) --


@pytest.mark.parametrize("length", [12, 16])
def test_every_whole_piece_of_a_quote_and_its_context_votes_for_where_they_all_are(
    length: int,
) -> None:
    # The quote moved with 40 characters either side to the end of the text: each whole piece
    # of the quote, of its prefix and of its suffix (the last, shorter one of each left out)
    # is found there, and each gives it one vote. Pieces are 3 characters for this 12-character
    # quote (32 = 10 pieces and 2 left over), 4 for the 16-character one (every piece whole).
    text = seed(CK)
    start = text.index(EXPERTS)
    a = make_anchor(CK, text, start, start + length)
    moved = text[: start - 40] + text[start + length + 40 :] + "\n\n"
    moved += text[start - 40 : start + length + 40]
    sc = _Scorer(moved, a)
    at = sc.folded.index(sc.quote)
    piece = min(SEED_CHARS, max(3, length // 4))
    pieces = length // piece + len(sc.prefix) // piece + len(sc.suffix) // piece
    assert dict(_hints(sc, 0, piece))[at] == pieces


def test_overlapping_copies_of_a_piece_are_each_found() -> None:
    assert _occurrences("Brrrr!", "rr", 10) == [1, 2, 3]
    assert _occurrences("Brrrr!", "rr", 2) == [1, 2]


def test_each_separate_near_copy_in_a_window_is_a_candidate_of_its_own() -> None:
    # Three copies of the quote, each one letter off, in one searched window: three
    # candidates for the context to choose between, not the first one alone.
    text = (
        "The quick brown fox jumps over the lazy dog. Then the quick brown fix jumps again,"
        " said the quick brawn fox."
    )
    start = text.index("quick brown fox")
    a = make_anchor("d", text, start, start + len("quick brown fox"))
    sc = _Scorer(text.replace("quick brown fox jumps", "quack brown fox jumps"), a)
    found = sc.approximate(0, len(sc.folded), 3)
    assert [(c.start, c.end, c.errors) for c in found] == [(4, 19, 1), (54, 69, 1), (92, 107, 1)]


def test_a_window_with_many_near_copies_keeps_the_closest_ones() -> None:
    # 26 copies two letters off, then one a single letter off: more runs than are scored
    # (MAX_CANDIDATES), and the closest copy, last in the window, is among those kept.
    a = make_anchor("d", "Start: abcdefgh end of the first line.\n", 7, 15)
    edited = "Start: " + " ".join(["xbcdefgy"] * 26 + ["abcdefgy"]) + " tail"
    sc = _Scorer(edited, a)
    found = sc.approximate(0, len(sc.folded), 2)
    assert len(found) == 24
    assert (edited.index("abcdefgy"), 1) in [(c.start, c.errors) for c in found]


def test_a_short_repeated_quote_beside_a_doubled_space_keeps_its_own_copy() -> None:
    # The last " ha " of "ha ha ha", the space before it doubled: folding puts the span's start
    # inside that run of spaces, and of the two verbatim copies within reach the quote's own is
    # the nearer, not the one before it.
    text = "He laughed: ha ha ha "
    a = make_anchor("d", text, 17, 21)
    edited = "He laughed: ha ha  ha "
    p = locate(edited, a)
    assert (p.status, p.start, p.end, p.errors) == ("moved", 18, 22, 0)


@pytest.mark.parametrize(
    ("text", "start", "end", "edited"),
    [
        # " s" of "voters said", both its characters cut
        (
            "Results: 42 per cent of the voters said no to the plan.",
            34,
            36,
            "Results: 42 per cent of the votersaid no to the plan.",
        ),
        # " s" of "a sa", the suffix rewritten
        (
            "skander missile is followed by a sa",
            32,
            34,
            "skander missile is followed by a  fksklusa",
        ),
    ],
)
def test_a_short_quote_whose_text_was_cut_is_never_placed_on_an_empty_or_inverted_span(
    text: str, start: int, end: int, edited: str
) -> None:
    # The prefix's last eight characters are found straddling the match's start and reaching
    # to (or past) its end: the start is not moved there, which would leave nothing.
    p = locate(edited, make_anchor("d", text, start, end))
    assert p.placed and p.start is not None and p.end is not None and p.start < p.end


def test_a_five_letter_quote_with_two_letters_wrong_is_orphaned() -> None:
    # Under eight characters a quote is allowed one edit, not two ("Minsk" is not "Mansq").
    text = "Minsk talks began on Monday in the capital city, officials said."
    p = locate(text.replace("Minsk", "Mansq"), make_anchor("d", text, 0, 5))
    assert p == Placement("orphaned", None, None, 0.0)


def test_a_short_quote_moved_and_edited_is_found_by_its_three_letter_pieces() -> None:
    # "missiles. So" (12 characters) moved to the end, new neighbours either side and two
    # letters changed: only two of its 3-character pieces are intact (one 4-character piece),
    # and they are enough to search there. Too unlike with its new context to be placed, the
    # passage is the orphan's best candidate.
    text = seed(CK)
    start = text.index("missiles. So")
    edited = text[:start] + text[start + 12 :] + "\n\nAnd finally: misXiles.YSo (the end)\n"
    p = locate(edited, make_anchor(CK, text, start, start + 12))
    where = edited.index("misXiles.YSo")
    assert (p.status, p.start, p.end, p.errors) == ("orphaned", where, where + 12, 2)


def test_a_quote_ending_at_the_very_end_of_the_document_is_accepted() -> None:
    text = seed(NEWS)
    end = len(text)
    assert anchor_problem(text, end - 5, end, text[-5:]) is None
    assert anchor_problem(text, end - 4, end + 1, text[-4:] + " ") == (
        f"offsets {end - 4}-{end + 1} are beyond the end of the document ({end} characters)"
    )


def test_a_quote_after_a_paragraph_break_whose_text_before_its_context_was_cut_stays_certain() -> (
    None
):
    # The quote begins with the second line break of a paragraph break, its prefix ends with
    # the first: folded, the two are one space, but verbatim the quote and its whole context
    # are at the very start of the text, and it scores as that.
    text = seed(CK)
    start = text.index("\n\n", 200) + 1
    a = make_anchor(CK, text, start, start + 40)
    assert a.prefix.endswith("\n") and a.exact.startswith("\n")
    edited = text[start - 32 :]
    pos = 1 - (start - 32) / len(edited)
    assert locate(edited, a) == Placement("moved", 32, 72, round((90 + 2 * pos) / 92, 4), 0)


@pytest.mark.parametrize(
    ("text", "quote", "edited", "landed"),
    [
        (
            "He said xy the cat sat on the mat today",
            "xy",
            "He said xthe cat sat on the mat today",
            "x",
        ),
        (
            "They said that the Iskander was used in the war",
            "Iskander",
            "They said that theIskandr was used in the war",
            "Iskandr",
        ),
        (
            "They said that the Iskander was used in the war",
            "Iskander",
            "They said that the Iskandrwas used in the war",
            "Iskandr",
        ),
    ],
)
def test_an_edited_quote_joined_to_its_context_by_a_lost_space_stops_at_the_context(
    text: str, quote: str, edited: str, landed: str
) -> None:
    """An edit inside the quote and the space between it and its context taken out: the
    quote's boundary snaps to the word's edge, but not over the context's first word (it
    took "xthe" for "xy" before the suffix " the" was compared without its space)."""
    start = text.index(quote)
    p = locate(edited, make_anchor("d", text, start, start + len(quote)))
    assert p.status == "moved" and p.start is not None and p.end is not None
    assert edited[p.start : p.end] == landed
