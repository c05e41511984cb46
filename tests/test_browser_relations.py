"""The claim panel's Related claims in headless Chromium: a candidate linked with one click
keeps the verdict being typed, a claim found by words is linked, the question is named; no
serious accessibility violation on desktop or phone, nothing sideways on a phone."""

from __future__ import annotations

from typing import Any

import pytest

from .test_browser import (  # noqa: F401 (fixtures)
    AXE,
    api,
    browser,
    page,
    serious_violations,
    server,
)
from .test_browser_phone import fits, phone_page

pytestmark = pytest.mark.browser

MOD = "ru-mod-no-iskander-used"  # in the BBC article (DOC); names "Were Iskanders used?"
CANDIDATE = "mod-statement-concerned-iskander-m"  # says the same, not linked yet
GYUMRI = "nothing-launched-from-gyumri-base"
BBC = "000_6c6c33166c2267e4"


def open_panel(page: Any, server: str, claim: str = MOD) -> None:  # noqa: F811
    page.goto(f"{server}/documents/{BBC}?claim={claim}")
    page.locator("#claim-panel section.related").wait_for()


def test_linking_a_candidate_keeps_the_verdict_being_typed(
    server: str,  # noqa: F811
    page: Any,  # noqa: F811
) -> None:
    open_panel(page, server)
    rationale = page.locator("form[data-form=verdict] textarea[name=rationale]")
    mine = "Typed, not saved: the MoD's denial against ANAMA's find."
    rationale.fill(mine)
    related = page.locator("#claim-panel section.related")
    assert related.locator("[data-question-name]").text_content() == "Were Iskanders used?"
    candidate = related.locator(f"li[data-candidate=repeats][data-other={CANDIDATE}]")
    assert "says the same" in candidate.locator(".reason").text_content()
    candidate.get_by_role("button", name="Mark as repeats").click()
    page.locator("#claim-panel .message.ok", has_text="Relation saved").wait_for()
    link = page.locator(f"#claim-panel li[data-relation=repeats][data-other={CANDIDATE}]")
    assert link.count() == 1
    assert rationale.input_value() == mine  # the draft is back in the redrawn panel
    _, _, stored = api(f"{server}/api/claims/{MOD}")
    assert {"kind": "repeats", "claim": CANDIDATE} in stored["relations"]
    assert stored.get("rationale") != mine  # nothing of the draft saved

    # A claim found by words, linked as evidence.
    page.locator("#claim-panel summary", has_text="Link another claim").click()
    page.locator("#relate-q").fill("Gyumri")
    page.get_by_role("button", name="Find").click()
    choice = page.locator(f"#form-relation input[name=claim][value={GYUMRI}]")
    choice.wait_for()
    assert rationale.input_value() == mine
    page.locator("#form-relation input[name=kind][value=supports]").check()
    choice.check()
    page.locator("#form-relation").get_by_role("button", name="Link").click()
    page.locator("#claim-panel .message.ok", has_text="Relation saved").wait_for()
    assert rationale.input_value() == mine
    _, _, stored = api(f"{server}/api/claims/{MOD}")
    assert {"kind": "supports", "claim": GYUMRI} in stored["relations"]

    # The question renamed from the claim that names it.
    page.locator("#claim-panel summary", has_text="Rename the question").click()
    page.locator("#question-name").fill("Were Iskanders used in the 2020 war?")
    page.get_by_role("button", name="Save the name").click()
    page.locator("#claim-panel .message.ok", has_text="Question named").wait_for()
    assert page.locator("#claim-panel [data-question-name]").text_content() == (
        "Were Iskanders used in the 2020 war?"
    )
    assert rationale.input_value() == mine
    assert page.console_problems == []


@pytest.mark.parametrize("size", [(1400, 1000), (390, 844)], ids=["desktop", "phone"])
def test_related_claims_are_accessible_and_fit_a_phone(
    server: str,  # noqa: F811
    browser: Any,  # noqa: F811
    size: tuple[int, int],
) -> None:
    if not AXE.exists():
        pytest.fail("axe-core is not installed: run `bash .ci/setup` (npm ci)")
    if size[0] < 500:
        pg = phone_page(browser, size, axe=True)
    else:
        pg = browser.new_context(
            viewport={"width": size[0], "height": size[1]}, bypass_csp=True
        ).new_page()
    pg.goto(f"{server}/documents/{BBC}?claim={MOD}&relate_q=Peskov")
    pg.locator("#claim-panel section.related").wait_for()
    for summary in ("Link another claim", "Rename the question"):
        details = pg.locator("#claim-panel details", has=pg.locator("summary", has_text=summary))
        if details.get_attribute("open") is None:
            details.locator("summary").click()
    assert serious_violations(pg) == []
    if size[0] < 500:
        fits(pg)
    pg.context.close()
