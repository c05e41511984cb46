"""`annotate reanchor` and `annotate check` after the corpus changed, on copies in tmp_path.

Claims are made through the service on the shipped seeds, the seed copies are edited, then
the command line runs and the store is read back.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from annotate.errors import InvalidInput, StaleVersion
from annotate.record.models import Anchor, Claim
from annotate.record.revisions import revise
from annotate.record.service import Workspace

CK = "001_ea092f251b0b5650"
RFE = "002_212af70a4bdf495d"
ALIEV = 'In February, President Ilham Aliev stated that Azerbaijan did not fix the use of "'
MOD = 'The Russian Ministry of Defence (MoD) has also denied the use of "Iskanders".'
EXPERTS = "Some experts assert that this type of missiles is exclusively among Russia's weapons."
NOTICE = "ПРОИЗВЕДЕН И РАСПРОСТРАНЕН ИНОСТРАННЫМ АГЕНТОМ"
SARGSYAN = "Sargsyan linked the failure to launch the Iskander missile"
Run = Callable[..., Result]


def seed_path(workdir: Path, doc: str) -> Path:
    return workdir / "seeds" / f"{doc}.txt"


def read(workdir: Path, doc: str) -> str:
    return seed_path(workdir, doc).read_text(encoding="utf-8")


def edit(workdir: Path, doc: str, change: Callable[[str], str]) -> str:
    """Change a seed copy as an outlet's correction would; give the new text."""
    new = change(read(workdir, doc))
    seed_path(workdir, doc).write_bytes(new.encode("utf-8"))
    return new


def sel(ws: Workspace, doc: str, quote: str) -> dict[str, object]:
    text = ws.corpus.get(doc).text
    assert text.count(quote) == 1, quote
    start = text.index(quote)
    return {"doc": doc, "start": start, "end": start + len(quote), "exact": quote}


@pytest.fixture
def ws(empty_store: Path) -> Workspace:
    """The copied corpus with an empty store (the shipped one is not ours to depend on)."""
    return Workspace.open(empty_store / "seeds", empty_store / "fixtures")


@pytest.fixture
def claim(ws: Workspace) -> Claim:
    """A reviewed claim with two appearances and a quoted source in another document."""
    made = ws.create_claim(
        {
            "statement": "No Iskander was used in the 2020 war",
            "claimant": "Ilham Aliyev",
            "appearances": [sel(ws, CK, ALIEV), sel(ws, CK, MOD)],
        },
        "tester",
    )
    return ws.set_verdict(
        made.id,
        made.version,
        {
            "verdict": "disputed",
            "rationale": "Officials deny it; fragments were found.",
            "sources": [
                {"stance": "supports", "quote": sel(ws, CK, EXPERTS)},
                {"stance": "refutes", "quote": sel(ws, RFE, SARGSYAN)},
            ],
        },
        "tester",
    )


def anchors(ws: Workspace, claim_id: str) -> dict[str, Anchor]:
    return dict(ws.claim(claim_id).anchors())


def assert_at(text: str, a: Anchor, start: int, end: int) -> None:
    assert (a.start, a.end, a.orphaned) == (start, end, False)
    assert a.exact == text[start:end]
    assert a.prefix == text[max(0, start - 32) : start] and a.suffix == text[end : end + 32]


# -- nothing to do -----------------------------------------------------------------------


def test_nothing_changed_nothing_written(run: Run, ws: Workspace, claim: Claim) -> None:
    before = ws.store.path_for(claim.id).read_bytes()
    result = run("reanchor", "--store", "fixtures")
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(
        "moved 0, edited in place 0, restored 0, orphaned 0, context refreshed 0, unchanged 4; "
        "0 claim(s) updated"
    )
    assert ws.store.path_for(claim.id).read_bytes() == before


# -- moves -------------------------------------------------------------------------------


def test_an_editors_note_and_a_fixed_name_move_every_anchor(
    run: Run, ws: Workspace, claim: Claim, workdir: Path
) -> None:
    note = "Editor's note: the spelling of a name was corrected.\n\n"
    old = anchors(ws, claim.id)
    text = edit(workdir, CK, lambda t: note + t.replace("Ilham Aliev", "Ilham Aliyev"))
    lines_before = read(workdir, RFE)[: old["sources[1].quote"].start].count("\n")
    rfe = edit(workdir, RFE, lambda t: t.replace("\n", "\r\n"))

    checked = run("check")
    assert checked.exit_code == 1
    a0 = old["appearances[0]"]
    assert (
        f"drifted: quote now found at {a0.start + len(note)}-{a0.end + len(note) + 1} (score 0.9"
    ) in checked.output
    assert checked.output.count("run `annotate reanchor`") == 4

    result = run("reanchor", "--reviewer", "Desk")
    assert result.exit_code == 0, result.output
    assert (
        "moved 4, edited in place 0, restored 0, orphaned 0, context refreshed 0, unchanged 0"
        in result.output
    )
    assert f"moved           {claim.id} appearances[0] in {CK}: {a0.start}-{a0.end} -> " in (
        result.output
    )

    now = anchors(ws, claim.id)
    shift = len(note)
    assert_at(text, now["appearances[0]"], a0.start + shift, a0.end + shift + 1)
    a1, s0 = old["appearances[1]"], old["sources[0].quote"]
    assert_at(text, now["appearances[1]"], a1.start + shift + 1, a1.end + shift + 1)
    assert_at(text, now["sources[0].quote"], s0.start + shift, s0.end + shift)
    s1 = old["sources[1].quote"]
    assert_at(rfe, now["sources[1].quote"], s1.start + lines_before, s1.end + lines_before)

    after = ws.claim(claim.id)
    assert after.version == claim.version + 1  # one new version for all four moves
    last = after.history[-1]
    assert (last.action, last.by, last.version) == ("reanchored", "Desk", after.version)
    assert sorted(last.changes) == [
        "appearances[0]",
        "appearances[1]",
        # The verdict's cited quotes moved: it is reopened until confirmed (issue 17).
        "reopened",
        "sources[0].quote",
        "sources[1].quote",
    ]
    assert after.review_status == "disagreement"
    assert last.changes["reopened"][1].startswith("evidence changed after the verdict")
    was, became = last.changes["appearances[0]"]
    assert (was["start"], was["end"], was["exact"]) == (a0.start, a0.end, a0.exact)
    assert (became["start"], became["end"]) == (a0.start + shift, a0.end + shift + 1)
    assert "Aliyev" in became["exact"]
    assert after.verdict == "disputed" and len(after.sources) == 2

    assert run("check").exit_code == 0
    again = run("reanchor")
    assert again.exit_code == 0 and "unchanged 4; 0 claim(s) updated" in again.output
    assert ws.claim(claim.id).version == after.version


def test_a_paragraph_moved_and_quotes_straightened(
    run: Run, ws: Workspace, claim: Claim, workdir: Path
) -> None:
    def move(t: str) -> str:
        start = t.index("While demining")
        end = t.index("\n\n", start) + 2
        return t[:start] + t[end:].replace("“", '"').replace("”", '"') + "\n\n" + t[start:end]

    text = edit(workdir, CK, move)
    result = run("reanchor")
    assert result.exit_code == 0, result.output
    now = anchors(ws, claim.id)
    where = text.index(EXPERTS)
    assert_at(text, now["sources[0].quote"], where, where + len(EXPERTS))
    where = text.index(ALIEV)
    assert_at(text, now["appearances[0]"], where, where + len(ALIEV))


def test_a_pull_quote_does_not_capture_the_anchor(
    run: Run, ws: Workspace, claim: Claim, workdir: Path
) -> None:
    pull = f"“{EXPERTS}”\n\n"
    text = edit(workdir, CK, lambda t: t.replace("Baku and Yerevan analysts", pull + "Baku and"))
    assert text.count(EXPERTS) == 2
    run("reanchor")
    s0 = anchors(ws, claim.id)["sources[0].quote"]
    assert s0.start == text.rindex(EXPERTS) and s0.start != text.index(EXPERTS)


def test_cyrillic_notice_reflowed(run: Run, ws: Workspace, workdir: Path) -> None:
    made = ws.create_claim(
        {"statement": "The notice names MEMO", "claimant": "Caucasian Knot",
         "appearances": [sel(ws, CK, NOTICE)]},
        "tester",
    )  # fmt: skip
    text = edit(
        workdir,
        CK,
        lambda t: t.replace("ПРОИЗВЕДЕН И РАСПРОСТРАНЕН", "ПРОИЗВЕДЁН\u00a0И\nРАСПРОСТРАНЁН"),
    )
    result = run("reanchor")
    assert result.exit_code == 0, result.output
    start = text.index("ПРОИЗВЕДЁН")
    a = ws.claim(made.id).appearances[0]
    assert_at(text, a, start, start + len(NOTICE))
    assert a.exact == "ПРОИЗВЕДЁН\u00a0И\nРАСПРОСТРАНЁН ИНОСТРАННЫМ АГЕНТОМ"


FOUND = "fragments of two exploded missiles were found"


def test_of_two_verbatim_copies_the_nearest_keeps_the_anchor(
    run: Run, ws: Workspace, workdir: Path
) -> None:
    # The same paragraph twice (a repost further down), context and all: only the distance
    # from the old place tells the copies apart.
    def repost(t: str) -> str:
        start = t.index("In late March")
        paragraph = t[start : t.index("\n\n", start)]
        return t.replace("\n\nAll news", f"\n\n{paragraph}\n\nAll news")

    text = edit(workdir, CK, repost)
    first = text.index(FOUND)
    second = text.index(FOUND, first + 1)
    made = ws.create_claim(
        {
            "statement": "Fragments of two missiles were found in Shusha",
            "claimant": "caliber.az",
            "appearances": [
                {"doc": CK, "start": second, "end": second + len(FOUND), "exact": FOUND}
            ],
        },
        "tester",
    )
    old = made.appearances[0]
    assert (old.prefix, old.suffix) == (text[first - 32 : first], text[first + len(FOUND) :][:32])
    note = "Editor's note: a photo caption was added.\n\n"
    text = edit(workdir, CK, lambda t: note + t)

    result = run("reanchor")
    assert result.exit_code == 0, result.output
    assert "moved 1, edited in place 0, restored 0, orphaned 0" in result.output
    new = second + len(note)
    assert f"{CK}: {second}-{second + len(FOUND)} -> {new}-{new + len(FOUND)}" in result.output
    assert_at(text, ws.claim(made.id).appearances[0], new, new + len(FOUND))


HEAD = "the head of the Centre for Security Studies"


def test_a_quote_rewrapped_with_newlines_a_tab_and_an_nbsp_is_still_a_perfect_match(
    run: Run, ws: Workspace, workdir: Path
) -> None:
    made = ws.create_claim(
        {"statement": "Ilham Ismail heads the Centre for Security Studies",
         "claimant": "Caucasian Knot", "appearances": [sel(ws, CK, HEAD)]},
        "tester",
    )  # fmt: skip
    old = made.appearances[0]

    def rewrap(t: str) -> str:
        # The outlet re-wrapped the paragraph at 24 columns: each single space that became a
        # line break, a tab or a no-break space is one character for one, offsets unchanged.
        start = t.rindex("\n\n", 0, old.start) + 2
        end = t.index("\n\n", old.end)
        wrapped = "\n".join(textwrap.wrap(t[start:end], 24))
        wrapped = wrapped.replace("the Centre", "the\tCentre").replace(
            "Centre for", "Centre\xa0for"
        )
        return t[:start] + wrapped + t[end:]

    text = edit(workdir, CK, rewrap)
    now = text[old.start : old.end]
    assert now == "the head\nof the\tCentre\xa0for\nSecurity Studies"

    checked = run("check", "--format", "json")
    assert checked.exit_code == 1
    (problem,) = json.loads(checked.output)["problems"]
    assert (problem["found_start"], problem["found_end"]) == (old.start, old.end)
    assert problem["score"] == 1.0  # folded, the white space is the same: nothing to guess

    result = run("reanchor")
    assert result.exit_code == 0, result.output
    # Not a move: the same offsets, the quote's own spaces changed.
    assert (
        f"{CK}: the quoted text changed in place at {old.start}-{old.end}: "
        "'the head of the Centre for Security Studies' -> "
        "'the head\\nof the\\tCentre\\xa0for\\nSecurity Studies' "
        "(white space or typography only, score 1.00)"
    ) in result.output
    assert_at(text, ws.claim(made.id).appearances[0], old.start, old.end)


# -- orphans -----------------------------------------------------------------------------


def test_a_deleted_sentence_is_orphaned_then_restored(
    run: Run, ws: Workspace, claim: Claim, workdir: Path
) -> None:
    original = read(workdir, CK)
    old = anchors(ws, claim.id)["appearances[1]"]
    edit(workdir, CK, lambda t: t.replace(MOD, ""))

    dry = run("reanchor", "--dry-run")
    assert dry.exit_code == 1
    assert "orphaned 1" in dry.output and "nothing written" in dry.output
    assert ws.claim(claim.id).version == claim.version

    result = run("reanchor")
    assert result.exit_code == 1
    assert f"orphaned        {claim.id} appearances[1] in {CK}: {old.start}-{old.end}" in (
        result.output
    )
    after = ws.claim(claim.id)
    lost = dict(after.anchors())["appearances[1]"]
    assert lost == old.model_copy(update={"orphaned": True})  # kept, last offsets, flagged
    assert after.version == claim.version + 1
    assert after.history[-1].changes["appearances[1]"][1]["orphaned"] is True

    checked = run("check", "--format", "json")
    assert checked.exit_code == 1
    kinds = [p["kind"] for p in json.loads(checked.output)["problems"]]
    assert kinds == ["orphaned"]

    still = run("reanchor")
    assert still.exit_code == 1 and "still orphaned" in still.output
    assert ws.claim(claim.id).version == after.version  # nothing new to record

    seed_path(workdir, CK).write_text(original, encoding="utf-8")
    back = run("reanchor")
    assert back.exit_code == 0, back.output
    assert "restored 1" in back.output
    assert dict(ws.claim(claim.id).anchors())["appearances[1]"] == old
    assert run("check").exit_code == 0


def test_a_cut_paragraph_orphans_only_its_anchors(
    run: Run, ws: Workspace, claim: Claim, workdir: Path
) -> None:
    def cut(t: str) -> str:
        start = t.index("While demining")
        return t[:start] + t[t.index("\n\n", start) + 2 :]

    edit(workdir, CK, cut)
    result = run("reanchor")
    assert result.exit_code == 1
    assert "moved 2, edited in place 0, restored 0, orphaned 1," in result.output
    now = anchors(ws, claim.id)
    assert [f for f, a in now.items() if a.orphaned] == ["sources[0].quote"]


def test_a_garbled_quote_far_from_every_hint_is_still_named_as_the_best_candidate(
    run: Run, ws: Workspace, workdir: Path
) -> None:
    # "Some experts" rewritten with three letters changed (each of its 3-letter pieces but one
    # broken, so it points to itself only once) and words put either side, as many as make
    # the place its prefix points to and the place its suffix points to search two windows
    # that only touch, with the garbled quote across their edge. Three copies of the passage
    # with other words in the quote's place, further down, are the best-supported places and
    # are searched first; the two windows come after them, where touching windows are
    # searched as one. Searched apart, neither holds the whole quote and check found nothing.
    quote = "Some experts"
    made = ws.create_claim(
        {
            "statement": "Experts tie the missiles to Russia",
            "claimant": "caliber.az",
            "appearances": [sel(ws, CK, quote)],
        },
        "tester",
    )
    old = made.appearances[0]
    before, garbled = "Recently ", "Sume-exberts"
    boxes = f"\n\n{old.prefix}------------{old.suffix}" * 3
    edit(
        workdir,
        CK,
        lambda t: t.replace(quote, before + garbled + " of the region,") + boxes,
    )
    at = old.start + len(before)

    result = run("check", "--format", "json")
    assert result.exit_code == 1
    (problem,) = json.loads(result.output)["problems"]
    assert (problem["found_start"], problem["found_end"]) == (at, at + len(garbled))
    assert read(workdir, CK)[at : at + len(garbled)] == garbled
    assert problem["score"] == 0.538
    assert (
        f"drifted: quote not found, best candidate {at}-{at + len(garbled)} (score 0.53) is "
        "too unlike it"
    ) in run("check").output


def test_a_two_letter_quote_that_lost_its_last_letter_is_edited_in_place_not_orphaned(
    run: Run, workdir: Path
) -> None:
    # Shrunk from random copy-edits of a text of a few repeated letters, where every piece
    # recurs: "ab" lost its "b", and the suffix " ba bc ba" now begins right after the "a".
    # Where a search window begins just after that "a", the first alignment is "a b" (one
    # edit) and the context pins it back to "a" alone: a place whose prefix and suffix are
    # both intact: the quote edited in place. The suffix is looked for from one character into
    # the span; looked for from two, it was missed and the quote orphaned ("a b", 0.64).
    added = run(
        "add", "-", "--id", "letters", "--title", "Letters", input="cbbcacbbcc caaaab ba bc ba\n"
    )
    assert added.exit_code == 0, added.output
    ws = Workspace.open(workdir / "seeds", workdir / "fixtures")
    text = read(workdir, "letters")
    assert text[15:17] == "ab"
    made = ws.create_claim(
        {
            "statement": "The letters",
            "claimant": "tester",
            "appearances": [{"doc": "letters", "start": 15, "end": 17, "exact": "ab"}],
        },
        "tester",
    )
    edited = edit(workdir, "letters", lambda t: t.replace("caaaab ba", "caaaa ba"))

    result = run("reanchor")
    assert result.exit_code == 0, result.output
    assert (
        "the-letters appearances[0] in letters: the quoted text changed in place at 15-17: "
        "'ab' -> 'a' (1 edit, score 0.72)"
    ) in result.output
    assert "moved 0, edited in place 1, restored 0, orphaned 0" in result.output
    assert_at(edited, ws.claim(made.id).appearances[0], 15, 16)


# -- concurrency and re-attaching --------------------------------------------------------


def test_a_claim_changed_meanwhile_is_reread_not_overwritten(
    ws: Workspace, claim: Claim, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    edit(workdir, CK, lambda t: "Note.\n" + t)
    real = ws.store.update
    calls = []

    def racing(claim_id: str, expected: int, change: Callable[[Claim], Claim]) -> Claim:
        calls.append(expected)
        if len(calls) == 1:  # someone edits the statement between our read and our write
            real(claim_id, expected, lambda c: revise(c, {"statement": "Edited"}, "x", "edited"))
        return real(claim_id, expected, change)

    monkeypatch.setattr(ws.store, "update", racing)
    report = ws.reanchor("Desk")
    assert calls == [claim.version, claim.version + 1]
    after = ws.claim(claim.id)
    assert after.statement == "Edited"
    assert after.version == claim.version + 2
    assert [h.action for h in after.history[-2:]] == ["edited", "reanchored"]
    assert [r.outcome for r in report] == ["moved", "moved", "moved", "unchanged"]


def test_reattach_puts_an_orphan_on_a_new_selection(
    run: Run, ws: Workspace, claim: Claim, workdir: Path
) -> None:
    text = edit(workdir, CK, lambda t: t.replace(MOD, "The Russian MoD denied it too."))
    run("reanchor")
    orphan = ws.claim(claim.id)
    assert dict(orphan.anchors())["appearances[1]"].orphaned

    chosen = "The Russian MoD denied it too."
    start = text.index(chosen)
    given = {"doc": CK, "start": start, "end": start + len(chosen), "exact": chosen}
    with pytest.raises(StaleVersion):
        ws.reattach(claim.id, claim.version, "appearances[1]", given, "ana")
    with pytest.raises(InvalidInput) as bad:
        ws.reattach(claim.id, orphan.version, "appearances[7]", given, "ana")
    assert bad.value.details == [
        {"field": "appearances[7]", "message": "the claim has no anchor there"}
    ]
    with pytest.raises(InvalidInput):
        ws.reattach(claim.id, orphan.version, "appearances[1]", {**given, "start": 0}, "ana")

    fixed = ws.reattach(claim.id, orphan.version, "appearances[1]", given, "ana")
    assert fixed.version == orphan.version + 1
    assert_at(text, fixed.appearances[1], start, start + len(chosen))
    last = fixed.history[-1]
    assert (last.action, last.by, last.note) == (
        "reanchored",
        "ana",
        "appearances[1] re-attached by hand",
    )
    assert last.changes["appearances[1]"][0]["orphaned"] is True
    assert run("check").exit_code == 0


def test_reattach_onto_the_claims_other_appearance_is_refused(
    run: Run, ws: Workspace, claim: Claim, workdir: Path
) -> None:
    edit(workdir, CK, lambda t: t.replace(MOD, "The Russian MoD denied it too."))
    run("reanchor")
    orphan = ws.claim(claim.id)
    before = ws.store.path_for(claim.id).read_bytes()
    with pytest.raises(InvalidInput) as bad:
        ws.reattach(claim.id, orphan.version, "appearances[1]", sel(ws, CK, ALIEV), "ana")
    assert bad.value.details == [
        {"field": "appearances[1]", "message": "the same passage is listed twice"}
    ]
    assert ws.store.path_for(claim.id).read_bytes() == before


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('"Iskanders"', '"reportedly Iskanders"'),  # a word put in before the last one
        ("The Russian Ministry", "Russia's Ministry"),  # the first words rewritten
        ("use of", "use, it says, of"),
    ],
)
def test_a_quote_edited_at_its_edge_is_placed_whole(
    run: Run, ws: Workspace, workdir: Path, old: str, new: str
) -> None:
    """The moved anchor covers the edited quote from its first to its last word, never a
    piece of a word ("…the use of \\"r")."""
    made = ws.create_claim(
        {
            "statement": "The MoD denied it",
            "claimant": "Russian MoD",
            "appearances": [sel(ws, CK, MOD)],
        },
        "tester",
    )
    edited = MOD.replace(old, new)
    text = edit(workdir, CK, lambda t: t.replace(MOD, edited))
    result = run("reanchor", "--reviewer", "Desk")
    assert result.exit_code == 0, result.output
    (moved,) = ws.claim(made.id).appearances
    assert moved.exact == edited and not moved.orphaned
    assert text[moved.start : moved.end] == edited


def test_words_inserted_right_after_a_quote_stay_out_of_it(
    run: Run, ws: Workspace, claim: Claim, workdir: Path
) -> None:
    # The outlet adds a sentence right after the quoted one and fixes a word in it: the
    # anchor keeps to the quote's own words, it does not swallow the new sentence.
    fixed = EXPERTS.replace("this type of", "this kind of")
    text = edit(workdir, CK, lambda t: t.replace(EXPERTS, fixed + " Zulu yankee."))
    result = run("reanchor")
    assert result.exit_code == 0, result.output
    where = text.index(fixed)
    assert_at(text, anchors(ws, claim.id)["sources[0].quote"], where, where + len(fixed))


def test_reanchor_says_a_typo_in_a_quote_was_edited_in_place_not_moved(
    run: Run, workdir: Path
) -> None:
    """It said "moved 2930-3043 -> 2930-3043"."""
    doc = "000_6c6c33166c2267e4"
    edit(
        workdir,
        doc,
        lambda t: t.replace("announced in February that", "announced in Februery that"),
    )
    result = run("reanchor", "--reviewer", "ed")
    assert result.exit_code == 0, result.output
    assert "2930-3043 -> 2930-3043" not in result.output
    assert (
        f"edited          ru-mod-no-iskander-used appearances[0] in {doc}: the quoted text "
        "changed in place at 2930-3043: '…y announced in February that no Iskander …' -> "
        "'…y announced in Februery that no Iskander …' (1 edit, score 0.99)"
    ) in result.output
    assert result.output.splitlines()[-1].startswith("reanchor: moved 0, edited in place 5, ")
    claim = json.loads((workdir / "fixtures" / "ru-mod-no-iskander-used.json").read_text())
    assert "Februery" in claim["appearances"][0]["exact"]
    assert "the quoted text changed in place" in claim["history"][-1]["note"]
    assert run("check").exit_code == 0
