"""The document page in Chromium: each highlight's icon is its own, the counts follow a
save, and without JavaScript the page does not advertise selecting and keys."""

from __future__ import annotations

from typing import Any

import pytest

from . import test_browser as tb

pytestmark = pytest.mark.browser

# The server, browser and page of the reviewer's browser tests.
server = tb.server
browser = tb.browser
page = tb.page
DOC = tb.DOC

SPLIT = "004_da7503a316cb05c0"  # three claims on one sentence, and highlights side by side

ICONS = """() => Array.from(document.querySelectorAll('#doc-text mark')).map((m) => ({
  claim: m.dataset.claim, verdict: m.dataset.verdict, index: m.dataset.index,
  before: getComputedStyle(m, '::before').content,
  after: getComputedStyle(m, '::after').content,
  last: m.classList.contains('last'),
}))"""


def test_each_highlight_has_one_icon_at_its_end_in_its_own_mark(server: str, page: Any) -> None:
    """Icons at the start made runs ("✓ ? ✓") where highlights nest or touch: now each is
    drawn after its own highlight's last character, inside its mark (its colour, title and
    click), with its verdict as the icon's spoken text."""
    page.goto(f"{server}/documents/{SPLIT}")
    marks = page.evaluate(ICONS)
    assert marks and all(m["before"] in ("none", "normal") for m in marks)
    icons = [m for m in marks if m["after"] not in ("none", "normal")]
    assert all(m["last"] for m in icons) and len(icons) == sum(m["last"] for m in marks)
    # One icon per appearance, naming its verdict.
    assert len({(m["claim"], m["index"]) for m in icons}) == len(icons)
    assert len(icons) == len({(m["claim"], m["index"]) for m in marks})
    symbol = {"confirmed": "✓", "denied": "✗", "disputed": "?", "unreviewed": "•"}
    for m in icons:
        assert m["after"] == f'"{symbol[m["verdict"]]}" / "{m["verdict"]}"', m
    # Clicking an icon of one of three claims on the same sentence opens that claim.
    ends = page.evaluate(
        "() => Array.from(document.querySelectorAll('#doc-text mark.last'))"
        ".slice(0, 8).map((m) => ({claim: m.dataset.claim}))"
    )
    # Where three claims share a sentence, their icons sit side by side, each in its mark.
    for end in ends[2:5]:
        page.evaluate(
            "c => document.querySelector(`#doc-text mark.last[data-claim='${c}']`)"
            ".scrollIntoView({block: 'center'})",
            end["claim"],
        )
        where = page.evaluate(
            """c => { const m = document.querySelector(`#doc-text mark.last[data-claim='${c}']`);
              const r = Array.from(m.getClientRects()).pop();
              return {x: r.right - 2, y: r.top + r.height / 2}; }""",
            end["claim"],
        )
        hit = page.evaluate(
            "([x, y]) => document.elementFromPoint(x, y).closest('mark').dataset.claim",
            [where["x"], where["y"]],
        )
        assert hit == end["claim"]
    page.mouse.click(where["x"], where["y"])
    page.locator(f'#claim-panel[data-claim-id="{ends[4]["claim"]}"]').wait_for()
    assert page.console_problems == []


def count(page: Any, verdict: str) -> int:
    return int(
        page.locator(f"#doc-legend li:has(mark[data-verdict={verdict}]) .count").inner_text()
    )


def test_the_counts_follow_a_new_claim_without_a_reload(server: str, page: Any) -> None:
    page.goto(f"{server}/documents/{DOC}")
    before = count(page, "unreviewed")
    tb.select_text(page, "#doc-text", tb.CLAIM_QUOTE)
    page.get_by_role("toolbar").get_by_role("button", name="New claim").click()
    page.keyboard.type("AzerNews")
    page.locator("form[data-form=new-claim]").get_by_role("button", name="Create claim").click()
    page.locator("#claim-panel").wait_for()
    page.wait_for_function(
        "n => document.querySelector('#doc-legend li:has(mark[data-verdict=unreviewed]) .count')"
        ".textContent.trim() === String(n)",
        arg=before + 1,
    )
    assert page.console_problems == []


def visible(page: Any, selector: str) -> bool:
    return bool(page.locator(selector).first.is_visible())


def test_without_javascript_the_page_shows_the_forms_way_not_selecting_and_keys(
    server: str, browser: Any
) -> None:
    for js in (False, True):
        context = browser.new_context(java_script_enabled=js)
        pg = context.new_page()
        pg.goto(f"{server}/documents/{DOC}?claim=armenia-first-foreign-iskander-operator-2016")
        assert visible(pg, "p.hint:has-text('Select text to create a claim')") is js
        assert visible(pg, "p.hint:has-text('paste its quote into the')") is not js
        assert visible(pg, "button[data-action=help]") is js
        assert (
            visible(pg, "#claim-panel input[name=verdict] + .badge + kbd, #claim-panel kbd") is js
        )
        pg.locator("#claim-panel summary", has_text="Cite a source").click()
        assert visible(pg, "button[data-action=pick]") is js
        assert visible(pg, "label[for=source-quote] .js-only") is js
        context.close()
