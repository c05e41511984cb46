"""Re-anchoring benchmark: `annotate.record.anchoring.locate` against diff-match-patch's
`match_main`.

Run as `python -m bench.reanchor_vs_dmp [--seeds DIR] [--per-kind N]`. It generates edit cases
deterministically from the shipped seeds: for quotes (whole sentences and short phrases) in
every document, the copy-edits outlets make (typos, words and names changed, quotes
straightened or curled, non-breaking spaces, whitespace reflowed, CRLF, paragraphs inserted,
deleted and moved, a pull quote, an editor's note) with the quote's true new offsets, and
deletions whose right answer is "orphan". Both locators get the same edited text, the old
offsets and the old quote; a placement is correct when its span is exactly the true one.

diff-match-patch's `match_main` is a bitap search limited to 32-character patterns
(Match_MaxBits): it gets the first 32 characters of a longer quote at the old offset, then the
last 32 near where that puts the quote's end, and the span between them is its answer.
Its defaults (Match_Threshold 0.5, Match_Distance 1000) are kept.
"""

from __future__ import annotations

import argparse
import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from diff_match_patch import diff_match_patch

from annotate.record.anchoring import locate, make_anchor
from annotate.record.models import Anchor

ROOT = Path(__file__).resolve().parent.parent
DMP_BITS = 32

Op = tuple[int, int, str]  # (position, length removed, text inserted) in the old text


@dataclass(frozen=True)
class Case:
    """One edit of one document, with where the anchored quote must end up (None: orphan)."""

    kind: str
    doc: str
    anchor: Anchor
    text: str
    expected: tuple[int, int] | None


def apply(text: str, ops: list[Op]) -> str:
    """Apply non-overlapping edits given in old-text positions."""
    out, prev = [], 0
    for pos, cut, new in sorted(ops):
        out += [text[prev:pos], new]
        prev = pos + cut
    out.append(text[prev:])
    return "".join(out)


def shift(offset: int, ops: list[Op], is_end: bool) -> int:
    """Where an old offset is after the edits (an insertion at a start moves it along)."""
    moved = offset
    for pos, cut, new in ops:
        if pos + cut < offset or (pos + cut == offset and (not is_end or cut or pos < offset)):
            moved += len(new) - cut
    return moved


def paragraphs(text: str) -> list[tuple[int, int]]:
    """Spans of the non-empty lines: the seeds hold one paragraph per line."""
    spans, at = [], 0
    for line in text.split("\n"):
        if line.strip():
            spans.append((at, at + len(line)))
        at += len(line) + 1
    return spans


def quotes(text: str, rng: random.Random) -> Iterator[tuple[int, int]]:
    """Unique sentences and short phrases of body paragraphs, as an annotator selects them."""
    for ps, pe in paragraphs(text):
        if pe - ps < 80:
            continue
        para = text[ps:pe]
        sentences = [
            (ps + m.start(), ps + m.end()) for m in re.finditer(r"[^.!?]+[.!?]+[”\"’]?", para)
        ]
        for s, e in sentences:
            while text[s].isspace():
                s += 1
            if 30 <= e - s <= 300 and text.count(text[s:e]) == 1:
                yield s, e
            words = [(s + m.start(), s + m.end()) for m in re.finditer(r"\S+", text[s:e])]
            if len(words) >= 5:
                i = rng.randrange(0, len(words) - 2)
                j = min(len(words) - 1, i + rng.randrange(1, 4))
                ws, we = words[i][0], words[j][1]
                if 10 <= we - ws <= 40 and text.count(text[ws:we]) == 1:
                    yield ws, we


def _letters(text: str, s: int, e: int) -> list[int]:
    return [i for i in range(s + 2, e - 2) if text[i].isalpha()]


Edit = Callable[[str, int, int, random.Random], tuple[str, tuple[int, int] | None] | None]


def _ops_edit(text: str, s: int, e: int, ops: list[Op]) -> tuple[str, tuple[int, int]]:
    return apply(text, ops), (shift(s, ops, False), shift(e, ops, True))


def typo(text: str, s: int, e: int, rng: random.Random) -> tuple[str, tuple[int, int]] | None:
    """One letter inside the quote replaced, dropped or doubled."""
    at = _letters(text, s, e)
    if not at:
        return None
    i = rng.choice(at)
    op = rng.choice([(i, 1, "x" if text[i] != "x" else "y"), (i, 1, ""), (i, 0, text[i])])
    return _ops_edit(text, s, e, [op])


def words_changed(
    text: str, s: int, e: int, rng: random.Random
) -> tuple[str, tuple[int, int]] | None:
    """One or two words inside the quote changed (a name fixed, a verb swapped)."""
    words = [(s + m.start(), s + m.end()) for m in re.finditer(r"\w{4,}", text[s:e])]
    words = [w for w in words if w[0] > s + 1 and w[1] < e - 1]
    if len(words) < 2 or e - s < 40:
        return None
    picked = rng.sample(words, min(2, len(words) // 3 or 1))
    ops = []
    for ws, we in picked:
        word = text[ws:we]
        ops.append(
            (ws, we - ws, rng.choice([word[:2] + "y" + word[2:], word.upper(), "reportedly"]))
        )
    return _ops_edit(text, s, e, ops)


def edge_word(text: str, s: int, e: int, rng: random.Random) -> tuple[str, tuple[int, int]] | None:
    """The quote's first or last word rewritten, or a word put in before its last one (a
    correction at the edge of a quoted passage)."""
    words = [(s + m.start(), s + m.end()) for m in re.finditer(r"\w+", text[s:e])]
    if len(words) < 4 or e - s < 30:
        return None
    first, last = words[0], words[-1]
    ws, we = rng.choice([first, last])
    word = text[ws:we]
    ops = [(ws, we - ws, word[:2] + "y" + word[2:]), (ws, we - ws, "reportedly")]
    if (ws, we) == last:
        ops.append((ws, 0, "reportedly "))
    return _ops_edit(text, s, e, [rng.choice(ops)])


def quotes_straightened(
    text: str, s: int, e: int, rng: random.Random
) -> tuple[str, tuple[int, int]]:
    """Curly quotes straightened and straight ones curled, all over the document."""
    table = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", '"': "“", "'": "’"})
    return text.translate(table), (s, e)


def nbsp(text: str, s: int, e: int, rng: random.Random) -> tuple[str, tuple[int, int]]:
    """Spaces of the quote's paragraph made non-breaking (what CMS editors do)."""
    ps, pe = next((a, b) for a, b in paragraphs(text) if a <= s < b)
    return text[:ps] + text[ps:pe].replace(" ", "\u00a0") + text[pe:], (s, e)


def reflow(text: str, s: int, e: int, rng: random.Random) -> tuple[str, tuple[int, int]]:
    """Paragraphs rewrapped at 60 columns, continuation lines indented by two spaces."""
    ops: list[Op] = []
    for ps, pe in paragraphs(text):
        col = 0
        for m in re.finditer(r"\S+\s?", text[ps:pe]):
            col += len(m.group())
            if col > 60 and m.group().endswith(" "):
                ops.append((ps + m.end() - 1, 1, "\n  "))
                col = 0
    return _ops_edit(text, s, e, ops)


def crlf(text: str, s: int, e: int, rng: random.Random) -> tuple[str, tuple[int, int]]:
    """Windows line endings."""
    ops = [(m.start(), 1, "\r\n") for m in re.finditer("\n", text)]
    return _ops_edit(text, s, e, ops)


def _para_of(text: str, s: int) -> tuple[int, int]:
    return next((a, b) for a, b in paragraphs(text) if a <= s < b)


def paragraph_inserted(
    text: str, s: int, e: int, rng: random.Random
) -> tuple[str, tuple[int, int]]:
    """An editor's note at the top, or a new paragraph just before the quote's."""
    note = "Editor's note: this article was updated to correct the spelling of a name.\n"
    at = rng.choice([0, _para_of(text, s)[0]])
    return _ops_edit(text, s, e, [(at, 0, note)])


def paragraph_deleted(
    text: str, s: int, e: int, rng: random.Random
) -> tuple[str, tuple[int, int]] | None:
    """Another paragraph (before or after the quote's) cut."""
    own = _para_of(text, s)
    others = [p for p in paragraphs(text) if p != own]
    if not others:
        return None
    ps, pe = rng.choice(others)
    return _ops_edit(text, s, e, [(ps, pe - ps + 1, "")])


def paragraph_moved(
    text: str, s: int, e: int, rng: random.Random
) -> tuple[str, tuple[int, int]] | None:
    """The quote's paragraph moved elsewhere in the document."""
    own = _para_of(text, s)
    others = [p for p in paragraphs(text) if p != own]
    if not others or own[1] >= len(text):
        return None
    dest = rng.choice(others)[0]
    ps, pe = own
    body = text[ps : pe + 1]
    ops: list[Op] = [(ps, pe + 1 - ps, ""), (dest, 0, body)]
    new = apply(text, ops)
    base = shift(dest, [(ps, pe + 1 - ps, "")], False)
    return new, (base + s - ps, base + e - ps)


def pull_quote(text: str, s: int, e: int, rng: random.Random) -> tuple[str, tuple[int, int]] | None:
    """The quote repeated as a pull quote in a paragraph of its own, before and after it."""
    own = _para_of(text, s)
    before = [p for p in paragraphs(text) if p[1] < own[0]]
    # Not the very next paragraph: a copy right after the original has the original's own
    # context on both sides, and nothing but position could tell which one was annotated.
    after = [p for p in paragraphs(text) if p[0] > own[1]][1:]
    if not before:
        return None
    ops: list[Op] = [(rng.choice(before)[0], 0, "“" + text[s:e] + "”\n")]
    if after:
        ops.append((rng.choice(after)[0], 0, text[s:e] + "\n"))
    return _ops_edit(text, s, e, ops)


def typo_and_moved(
    text: str, s: int, e: int, rng: random.Random
) -> tuple[str, tuple[int, int]] | None:
    """A letter fixed inside the quote and an editor's note added at the top."""
    first = typo(text, s, e, rng)
    if first is None:
        return None
    new, (ns, ne) = first
    return paragraph_inserted(new, ns, ne, rng)


def sentence_deleted(text: str, s: int, e: int, rng: random.Random) -> tuple[str, None]:
    """The sentence holding the quote cut: the anchor must be orphaned."""
    ps, pe = _para_of(text, s)
    para = text[ps:pe]
    for m in re.finditer(r"[^.!?]+[.!?]+[”\"’]?\s*", para):
        if ps + m.start() <= s and e <= ps + m.end():
            return text[: ps + m.start()] + text[ps + m.end() :], None
    return text[:s] + text[e:], None


def paragraph_cut(text: str, s: int, e: int, rng: random.Random) -> tuple[str, None]:
    """The quote's whole paragraph cut: the anchor must be orphaned."""
    ps, pe = _para_of(text, s)
    return text[:ps] + text[pe + 1 :], None


EDITS: dict[str, Edit] = {
    "typo": typo,
    "words changed": words_changed,
    "first or last word": edge_word,
    "quotes straightened": quotes_straightened,
    "non-breaking spaces": nbsp,
    "reflow": reflow,
    "crlf": crlf,
    "paragraph inserted": paragraph_inserted,
    "paragraph deleted": paragraph_deleted,
    "paragraph moved": paragraph_moved,
    "pull quote": pull_quote,
    "typo + note": typo_and_moved,
    "sentence deleted": sentence_deleted,
    "paragraph cut": paragraph_cut,
}


def cases(seeds: Path, per_kind: int = 40, seed: int = 4) -> list[Case]:
    """The benchmark's edit cases, the same on every run."""
    rng = random.Random(seed)
    pool: list[tuple[str, str, int, int]] = []
    for path in sorted(seeds.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        pool += [(path.stem, text, s, e) for s, e in quotes(text, rng)]
    out: list[Case] = []
    for kind, edit in EDITS.items():
        picks = rng.sample(pool, len(pool))
        made = 0
        for doc, text, s, e in picks:
            if made == per_kind:
                break
            result = edit(text, s, e, rng)
            if result is None:
                continue
            new, expected = result
            if expected is not None and new.count(text[s:e]) > 1 and kind != "pull quote":
                continue
            out.append(Case(kind, doc, make_anchor(doc, text, s, e), new, expected))
            made += 1
    return out


def ours(case: Case) -> tuple[int, int] | None:
    """`annotate`'s locator."""
    p = locate(case.text, case.anchor)
    return (p.start, p.end) if p.placed and p.start is not None and p.end is not None else None


_DMP = diff_match_patch()


def dmp(case: Case) -> tuple[int, int] | None:
    """diff-match-patch: the quote's first 32 characters, then its last 32 to find the end."""
    quote, loc = case.anchor.exact, case.anchor.start
    if len(quote) <= DMP_BITS:
        at = _DMP.match_main(case.text, quote, loc)
        return (at, at + len(quote)) if at >= 0 else None
    start = _DMP.match_main(case.text, quote[:DMP_BITS], loc)
    if start < 0:
        return None
    tail = _DMP.match_main(case.text, quote[-DMP_BITS:], start + len(quote) - DMP_BITS)
    end = tail + DMP_BITS if tail > start else start + len(quote)
    return start, end


def grade(case: Case, got: tuple[int, int] | None) -> str:
    """correct | imprecise (overlaps the true span) | false (placed wrongly) | missed."""
    if case.expected is None:
        return "correct" if got is None else "false"
    if got is None:
        return "missed"
    if got == case.expected:
        return "correct"
    (s, e), (xs, xe) = got, case.expected
    return "imprecise" if min(e, xe) - max(s, xs) > 0 else "false"


def timed(
    all_cases: list[Case], locator: Callable[[Case], tuple[int, int] | None]
) -> tuple[list[str], float]:
    """Grades of every case and the time all of them took."""
    t0 = time.perf_counter()
    got = [locator(c) for c in all_cases]
    took = time.perf_counter() - t0
    return [grade(c, g) for c, g in zip(all_cases, got, strict=True)], took


def main() -> None:
    """Print the comparison: ratios first, then totals and per-kind figures."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seeds", type=Path, default=ROOT / "seeds")
    ap.add_argument("--per-kind", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--show", action="store_true", help="print every case annotate gets wrong")
    args = ap.parse_args()
    all_cases = cases(args.seeds, args.per_kind)
    # Interleaved runs, best of each: a busy machine slows both alike.
    a_time = d_time = float("inf")
    for _ in range(args.repeat):
        a_grades, took = timed(all_cases, ours)
        a_time = min(a_time, took)
        d_grades, took = timed(all_cases, dmp)
        d_time = min(d_time, took)
    a, d = Counter(a_grades), Counter(d_grades)
    n = len(all_cases)
    orphans = sum(c.expected is None for c in all_cases)
    print(f"re-anchoring {n} edit cases ({n - orphans} to place, {orphans} to orphan)")
    print(f"  time:     annotate is {d_time / a_time:.1f}x faster than diff-match-patch")
    print(
        f"  accuracy: annotate {a['correct'] / n:.1%} correct vs {d['correct'] / n:.1%}; "
        f"false placements {a['false']} vs {d['false']}"
    )
    print()
    print(f"{'':24}{'annotate':>12}{'diff-match-patch':>18}")
    for label in ("correct", "imprecise", "false", "missed"):
        print(f"{label:24}{a[label]:>12}{d[label]:>18}")
    print(f"{'time (ms, all cases)':24}{a_time * 1000:>12.1f}{d_time * 1000:>18.1f}")
    print(f"{'time per case (ms)':24}{a_time * 1000 / n:>12.3f}{d_time * 1000 / n:>18.3f}")
    print()
    print(
        f"{'kind':24}{'annotate ok/n':>14}{'dmp ok/n':>10}{'annotate false':>16}{'dmp false':>11}"
    )
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for c, ga, gd in zip(all_cases, a_grades, d_grades, strict=True):
        row = by_kind[c.kind]
        row[0] += ga == "correct"
        row[1] += gd == "correct"
        row[2] += ga == "false"
        row[3] += gd == "false"
        row[4] += 1
    for kind, (ok_a, ok_d, f_a, f_d, total) in by_kind.items():
        print(f"{kind:24}{f'{ok_a}/{total}':>14}{f'{ok_d}/{total}':>10}{f_a:>16}{f_d:>11}")
    print()
    print(
        "diff-match-patch: match_main with its defaults (Match_Threshold 0.5, Match_Distance "
        f"1000) takes at most {DMP_BITS} characters (Match_MaxBits): longer quotes are found by "
        f"their first {DMP_BITS} characters, their end by their last {DMP_BITS}."
    )
    if args.show:
        for c, g in zip(all_cases, a_grades, strict=True):
            if g != "correct":
                p = locate(c.text, c.anchor)
                print(f"\n[{g}] {c.kind} {c.doc} {c.anchor.start}-{c.anchor.end} -> {c.expected}")
                print(f"  quote: {c.anchor.exact!r}\n  got: {p}")
                if p.start is not None and p.end is not None:
                    print(f"  text: {c.text[p.start : p.end]!r}")


if __name__ == "__main__":
    main()
