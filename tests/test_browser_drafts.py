"""Nothing typed in the claim panel is lost, in headless Chromium: citing through the quote
picker, adding an appearance, a page reload and a lost race keep the verdict being typed."""

from __future__ import annotations

from typing import Any

import pytest

from .test_browser import (  # noqa: F401 (fixtures)
    AXE,
    DOC,
    api,
    browser,
    page,
    select_text,
    serious_violations,
    server,
)
from .test_browser_reviews import review_server, signed_in  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

CLAIM = "armenia-only-recipient-of-iskanders"
OTHER = "000_6c6c33166c2267e4"
PICKED = "showcased the fragments of two missiles in Baku on Friday"
APPEARANCE = "Former Armenian President Serzh Sargsyan has admitted"


def panel_url(server: str) -> str:  # noqa: F811
    return f"{server}/documents/{DOC}?claim={CLAIM}"


def verdict_form(page: Any) -> Any:  # noqa: F811
    return page.locator("form[data-form=verdict]")


def typed(page: Any) -> tuple[str | None, str]:  # noqa: F811
    """The verdict chosen and the rationale in the panel's verdict form."""
    form = verdict_form(page)
    checked = form.locator("input[name=verdict]:checked")
    return (
        checked.get_attribute("value") if checked.count() else None,
        form.locator("textarea[name=rationale]").input_value(),
    )


def drafts(page: Any) -> dict[str, str]:  # noqa: F811
    return page.evaluate(
        """() => Object.fromEntries(Object.keys(localStorage)
             .filter((k) => k.startsWith("annotate-draft|")).map((k) => [k, localStorage[k]]))"""
    )


def test_citing_through_the_picker_adding_an_appearance_and_reloading_keep_the_draft(
    server: str,  # noqa: F811
    page: Any,  # noqa: F811
) -> None:
    page.goto(panel_url(server))
    form = verdict_form(page)
    form.locator("input[name=verdict][value=confirmed]").check()
    mine = "The BBC piece and Sargsyan's own words agree on this."
    form.locator("textarea[name=rationale]").fill(mine)

    # Cite a passage of another article through the quote picker.
    page.locator("details.add > summary", has_text="Cite a source").click()
    page.locator("#source-doc").select_option(OTHER)
    page.get_by_role("button", name="Select in the document…").click()
    page.locator("#picker #picker-text").wait_for()
    select_text(page, "#picker-text", PICKED)
    page.locator("#picker").get_by_role("button", name="Supports").click()
    page.locator("#claim-panel .sourcelist blockquote", has_text=PICKED).wait_for()
    assert page.locator("#claim-panel .message.ok", has_text="Source added").count() == 1
    assert typed(page) == ("confirmed", mine)

    # Add an appearance by a typed quote.
    page.locator("summary", has_text="Add an appearance by quote").click()
    page.locator("#app-quote").fill(APPEARANCE)
    page.get_by_role("button", name="Add appearance").click()
    page.locator("#claim-panel .message.ok", has_text="Appearance added").wait_for()
    assert page.locator("#claim-panel .applist blockquote", has_text=APPEARANCE).count() == 1
    assert typed(page) == ("confirmed", mine)

    # A whole page reload: the draft is back, and says so.
    page.reload()
    verdict_form(page).wait_for()
    assert typed(page) == ("confirmed", mine)
    assert "unsaved draft" in page.locator("form[data-form=verdict] .draft-note").text_content()
    _, _, stored = api(f"{server}/api/claims/{CLAIM}")
    assert stored["verdict"] == "disputed"  # nothing saved yet

    # Saving it saves what was typed and drops the draft.
    page.get_by_role("button", name="Save verdict").click()
    page.locator("#claim-panel .message.ok", has_text="Verdict saved").wait_for()
    _, _, stored = api(f"{server}/api/claims/{CLAIM}")
    assert (stored["verdict"], stored["rationale"]) == ("confirmed", mine)
    assert drafts(page) == {}
    page.reload()
    assert page.locator(".draft-note").count() == 0
    assert page.console_problems == []


def test_a_draft_discarded_is_gone(server: str, page: Any) -> None:  # noqa: F811
    page.goto(panel_url(server))
    before = typed(page)
    verdict_form(page).locator("textarea[name=rationale]").fill("A thought I drop.")
    page.reload()
    assert typed(page)[1] == "A thought I drop."
    page.get_by_role("button", name="Discard the draft").click()
    assert typed(page) == before
    assert drafts(page) == {}
    page.reload()
    assert typed(page) == before


def save_theirs(other: Any, server: str, rationale: str) -> None:  # noqa: F811
    """The second browser saves a disputed (unsubstantiated) verdict first."""
    other.goto(panel_url(server))
    form = verdict_form(other)
    form.locator("input[name=verdict][value=disputed]").check()
    form.locator("input[name=basis][value=unsubstantiated]").check()
    form.locator("textarea[name=rationale]").fill(rationale)
    form.get_by_role("button", name="Save verdict").click()
    other.locator("#claim-panel .message.ok", has_text="Verdict saved").wait_for()


def lose_the_race(page: Any, other: Any, server: str, mine: str, theirs: str) -> Any:  # noqa: F811
    """`page` types a confirmed verdict, `other` saves first, `page` saves: the conflict."""
    form = verdict_form(page)
    form.locator("input[name=verdict][value=confirmed]").check()
    form.locator("textarea[name=rationale]").fill(mine)
    save_theirs(other, server, theirs)
    page.get_by_role("button", name="Save verdict").click()
    page.locator("#conflict").wait_for()
    return page.locator("#compare")


def row(compare: Any, field: str) -> Any:
    return compare.locator(f'tr[data-field="{field}"]')


def test_a_lost_race_shows_both_versions_and_each_choice_works(
    server: str,  # noqa: F811
    browser: Any,  # noqa: F811
    page: Any,  # noqa: F811
) -> None:
    other_context = browser.new_context(viewport={"width": 1400, "height": 1000})
    other = other_context.new_page()
    page.goto(panel_url(server))
    # A supporting source first, so that "confirmed" is a verdict one may save.
    page.locator("details.add > summary", has_text="Cite a source").click()
    page.locator("#source-quote").fill(
        "We are the only ones to whom our ally provided such weapons."
    )
    page.locator("form[data-form=source]").get_by_role("button", name="Add source").click()
    page.locator("#claim-panel .message.ok", has_text="Source added").wait_for()

    # 1. Keep yours.
    compare = lose_the_race(page, other, server, "Mine, the first time.", "Theirs, first.")
    notice = page.locator("#conflict").text_content()
    assert "Their version and yours are compared field by field" in notice
    assert "verdict" in notice and "rationale" in notice
    for field in ("verdict", "basis", "rationale", "sources", "reviewer", "at"):
        assert row(compare, field).count() == 1, field
    assert row(compare, "verdict").get_attribute("data-differs") == "true"
    assert row(compare, "basis").get_attribute("data-differs") == "true"
    assert row(compare, "rationale").get_attribute("data-differs") == "true"
    assert row(compare, "sources").get_attribute("data-differs") is None
    assert row(compare, "reviewer").get_attribute("data-differs") is None  # Rita both times
    theirs = row(compare, "rationale").locator("[data-side=theirs]").text_content()
    yours = row(compare, "rationale").locator("[data-side=yours]").text_content()
    assert "Theirs, first." in theirs and "Mine, the first time." in yours
    assert "unsubstantiated" in row(compare, "basis").locator("[data-side=theirs]").text_content()
    assert typed(page) == ("confirmed", "Mine, the first time.")
    page.get_by_role("button", name="Keep yours").click()
    page.locator("#claim-panel .message.ok", has_text="Verdict saved").wait_for()
    _, _, stored = api(f"{server}/api/claims/{CLAIM}")
    assert (stored["verdict"], stored["rationale"]) == ("confirmed", "Mine, the first time.")
    assert drafts(page) == {}

    # 2. Take theirs: their verdict in the form, the draft gone, nothing saved.
    lose_the_race(page, other, server, "Mine, the second time.", "Theirs, second.")
    page.get_by_role("link", name="Take theirs").click()
    page.locator("#conflict").wait_for(state="detached")
    assert typed(page) == ("disputed", "Theirs, second.")
    assert drafts(page) == {}
    page.reload()
    assert typed(page) == ("disputed", "Theirs, second.")
    _, _, stored = api(f"{server}/api/claims/{CLAIM}")
    assert stored["rationale"] == "Theirs, second."

    # 3. Merge by hand: their rationale into the form, edited, a reload on the way.
    compare = lose_the_race(page, other, server, "Mine, third.", "Theirs, third.")
    row(compare, "rationale").get_by_role("button", name="use theirs in your form").click()
    assert typed(page) == ("confirmed", "Theirs, third.")
    page.keyboard.press("End")
    page.keyboard.type(" And mine, third.")
    page.reload()  # nothing typed is lost, not even in the middle of a merge
    assert typed(page) == ("confirmed", "Theirs, third. And mine, third.")
    page.get_by_role("button", name="Save verdict").click()
    page.locator("#claim-panel .message.ok", has_text="Verdict saved").wait_for()
    _, _, stored = api(f"{server}/api/claims/{CLAIM}")
    assert (stored["verdict"], stored["rationale"]) == (
        "confirmed",
        "Theirs, third. And mine, third.",
    )
    assert drafts(page) == {}
    # The three refused saves are the only errors the console saw (Chromium logs a 409, with
    # the reason phrase the server wrote: "CONFLICT" from waitress, "Conflict" from granian).
    assert [p for p in page.console_problems if "409 (conflict)" not in p.lower()] == []
    other_context.close()


def test_a_review_being_typed_survives_citing_and_a_reload_in_team_mode(
    review_server: str,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    alice = signed_in(browser, review_server, "alice")
    alice.goto(f"{review_server}/documents/{DOC}?claim={CLAIM}")
    # `1` chooses confirmed in the review form and puts the cursor in its rationale.
    alice.locator("#claim-panel h2").click()
    alice.keyboard.press("1")
    assert alice.evaluate("() => document.activeElement.id") == "review-rationale"
    mine = "Sargsyan says it; the BBC says the same of the export version."
    alice.keyboard.type(mine)
    # Cite a supporting quote typed by hand: the panel reloads.
    alice.locator("details.add > summary", has_text="Cite a source").click()
    alice.locator("#source-quote").fill(APPEARANCE)
    alice.locator("form[data-form=source]").get_by_role("button", name="Add source").click()
    alice.locator("#claim-panel .message.ok", has_text="Source added").wait_for()

    def kept() -> tuple[bool, str, int]:
        form = alice.locator("form[data-form=review]")
        return (
            form.locator("input[name=verdict][value=confirmed]").is_checked(),
            form.locator("textarea[name=rationale]").input_value(),
            form.locator("input[name=source]:checked").count(),
        )

    # The new source is ticked, as for any review not given yet: the draft did not untick it.
    sources = alice.locator("form[data-form=review] input[name=source]").count()
    assert kept() == (True, mine, sources)
    alice.reload()
    assert kept() == (True, mine, sources)
    alice.locator("form[data-form=review]").get_by_role("button", name="Save your review").click()
    alice.get_by_role("status").filter(has_text="Your review is saved").wait_for()
    assert drafts(alice) == {}
    assert alice.console_problems == []
    alice.context.close()


@pytest.mark.parametrize("size", [(1400, 1000), (360, 740)], ids=["desktop", "phone"])
def test_the_conflict_view_has_no_serious_accessibility_violation(
    server: str,  # noqa: F811
    browser: Any,  # noqa: F811
    size: tuple[int, int],
) -> None:
    if not AXE.exists():
        pytest.fail("axe-core is not installed: run `bash .ci/setup` (npm ci)")
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, bypass_csp=True)
    mine = context.new_page()
    other = browser.new_context().new_page()
    mine.goto(panel_url(server))
    form = verdict_form(mine)
    form.locator("input[name=verdict][value=disputed]").check()
    form.locator("input[name=basis][value=unsubstantiated]").check()
    form.locator("textarea[name=rationale]").fill("Mine.")
    save_theirs(other, server, "Theirs.")
    mine.get_by_role("button", name="Save verdict").click()
    mine.locator("#compare").wait_for()
    assert serious_violations(mine) == []
    other.context.close()
    context.close()
