"""Several reviewers in headless Chromium: two reviewers disagree, each in their own browser,
blind to each other; an adjudicator settles it from the review queue."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from annotate.record.accounts import Users

from .test_browser import (  # noqa: F401 (fixtures)
    CLAIM_QUOTE,
    DOC,
    browser,
    select_text,
    serious_violations,
    serving,
)

pytestmark = pytest.mark.browser

PASSWORDS = {"alice": "alice horse battery", "bob": "bob horse battery", "adam": "adam staple"}


@pytest.fixture
def review_server(workdir: Path, tmp_path: Path) -> Iterator[str]:
    """`annotate serve` in team mode: reviewers alice and bob, adjudicator adam."""
    users = Users(tmp_path / "conf" / "users.json")
    for name, role in (("alice", "reviewer"), ("bob", "reviewer"), ("adam", "adjudicator")):
        users.add(name, role, PASSWORDS[name])
    with serving(workdir, ANNOTATE_USERS=str(users.path)) as url:
        yield url


def signed_in(
    browser: Any,  # noqa: F811
    url: str,
    name: str,
    width: int = 1400,
    height: int = 1000,
    axe: bool = False,
) -> Any:
    """A page of a browser context of its own, logged in as `name` through the login page
    (`axe`: with the page's CSP bypassed, so that axe-core can be injected)."""
    context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=axe)
    page = context.new_page()
    page.console_problems = []
    page.on(
        "console",
        lambda m: m.type in ("error", "warning") and page.console_problems.append(m.text),
    )
    page.on("pageerror", lambda e: page.console_problems.append(str(e)))
    page.goto(f"{url}/login")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORDS[name])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{url}/")
    return page


def give_review(page: Any, verdict: str, rationale: str) -> None:
    form = page.locator("form[data-form=review]")
    form.locator(f"input[name=verdict][value={verdict}]").check()
    form.locator("textarea[name=rationale]").fill(rationale)
    form.get_by_role("button", name="Save your review").click()
    page.get_by_role("status").filter(has_text="Your review is saved").wait_for()


def test_two_reviewers_disagree_blind_and_an_adjudicator_settles_it(
    review_server: str,
    browser: Any,  # noqa: F811 - the fixture imported from test_browser
    tmp_path: Path,
) -> None:
    url = review_server
    alice = signed_in(browser, url, "alice")
    alice.goto(f"{url}/documents/{DOC}")
    select_text(alice, "#doc-text", CLAIM_QUOTE)
    alice.get_by_role("toolbar").get_by_role("button", name="New claim").click()
    form = alice.locator("form[data-form=new-claim]")
    form.locator("input[name=claimant]").fill("AzerNews")
    form.get_by_role("button", name="Create claim").click()
    panel = alice.locator("#claim-panel")
    panel.wait_for()
    claim_id = panel.get_attribute("data-claim-id")
    # Evidence both ways, cited as web pages.
    for stance, page_url, title in (
        ("supports", "https://example.org/sipri-2016", "SIPRI arms transfers 2016"),
        ("refutes", "https://example.org/denial", "A denial"),
    ):
        alice.locator("details.add summary", has_text="Cite a source").click()
        source = alice.locator("form[data-form=source]")
        source.locator(f"input[name=stance][value={stance}]").check()
        source.locator("input[name=kind][value=url]").check()
        source.locator("input[name=url]").fill(page_url)
        source.locator("input[name=title]").fill(title)
        source.get_by_role("button", name="Add source").click()
        alice.get_by_role("status").filter(has_text="Source added").wait_for()
    give_review(alice, "confirmed", "SIPRI lists the delivery.")
    assert alice.locator("[data-review-status]").get_attribute("data-review-status") == "in review"

    # Bob, in a browser of his own, cannot see alice's review before giving his.
    bob = signed_in(browser, url, "bob")
    bob.goto(f"{url}/documents/{DOC}?claim={claim_id}")
    bob.locator("#claim-panel").wait_for()
    assert bob.locator("[data-blind]").is_visible()
    assert "SIPRI lists the delivery" not in bob.content()
    assert bob.locator(f"mark[data-claim='{claim_id}']").first.get_attribute("data-verdict") == (
        "unreviewed"
    )
    # caret="initial": Playwright's caret-hiding style would be refused by the page's CSP.
    bob.screenshot(path=str(tmp_path / "review-blind.png"), caret="initial")
    give_review(bob, "denied", "The denial is more recent.")
    assert bob.locator("[data-review-status]").get_attribute("data-review-status") == "disagreement"
    differs = bob.locator("article.review.differs")
    assert sorted(differs.evaluate_all("els => els.map(e => e.dataset.reviewer)")) == [
        "alice",
        "bob",
    ]
    assert "SIPRI lists the delivery" in bob.locator(".review-grid").inner_text()

    # Adam finds it in his queue and settles it in one step.
    adam = signed_in(browser, url, "adam", axe=True)
    adam.get_by_role("navigation", name="Main").get_by_role("link", name="Review").click()
    adam.wait_for_url(f"{url}/queue")
    row = adam.locator(f"tr[data-claim='{claim_id}']")
    assert row.is_visible()
    row.get_by_role("link").click()
    adam.locator("#claim-panel").wait_for()
    settle = adam.locator("form[data-form=adjudicate]")
    assert settle.is_visible()  # open by itself on a disagreement
    assert "alice: SIPRI lists the delivery." in settle.locator("textarea").input_value()
    assert settle.locator("input[name=source]:checked").count() == 2
    adam.screenshot(path=str(tmp_path / "review-adjudicate.png"), caret="initial")
    settle.locator("input[name=verdict][value=disputed]").check()
    settle.locator("textarea[name=rationale]").fill(
        "SIPRI records the delivery; the denial is later and unsourced."
    )
    settle.get_by_role("button", name="Save the final verdict").click()
    adam.get_by_role("status").filter(has_text="Final verdict saved").wait_for()
    assert adam.locator("[data-review-status]").get_attribute("data-review-status") == "decided"
    assert adam.locator("[data-final]").get_attribute("data-final") == "disputed"
    # The text is fetched again once the panel says it is saved (`claims-changed`): wait for
    # its marks, not the ones it replaces.
    adam.locator(f"mark[data-claim='{claim_id}'][data-verdict='disputed']").first.wait_for()
    marks = adam.locator(f"mark[data-claim='{claim_id}']")
    assert set(marks.evaluate_all("els => els.map(e => e.dataset.verdict)")) == {"disputed"}
    assert serious_violations(adam) == []

    # The agreement page shows the pair's confusion; a phone-sized queue still reads.
    adam.goto(f"{url}/agreement")
    assert adam.locator("[data-pair='alice/bob']").is_visible()
    adam.screenshot(path=str(tmp_path / "agreement.png"), full_page=True, caret="initial")
    phone = signed_in(browser, url, "alice", width=390, height=844)
    phone.goto(f"{url}/documents/{DOC}?claim={claim_id}")
    phone.locator(".review-grid").wait_for()
    phone.screenshot(path=str(tmp_path / "review-phone.png"), full_page=True, caret="initial")
    for name, p in (("alice", alice), ("bob", bob), ("adam", adam), ("phone", phone)):
        assert p.console_problems == [], name
    if os.environ.get("ANNOTATE_SCREENSHOTS"):
        for shot in tmp_path.glob("*.png"):
            shot.replace(Path(os.environ["ANNOTATE_SCREENSHOTS"]) / shot.name)
