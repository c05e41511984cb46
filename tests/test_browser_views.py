"""The timeline and the who-says-what matrix in headless Chromium: claims in date order with
their verdict marks, a click opening the claim, the SVG files opening as pages of their own,
axe, and a phone's width (with a question linked through the API on a copy)."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .test_browser import AXE, browser, page, serious_violations, serving  # noqa: F401
from .test_browser_phone import PHONES, fits, phone_page
from .test_views import FOUND, MOD, QUESTION, WAR_CRIME, iskander_question
from .webutil import make_app

pytestmark = pytest.mark.browser


@pytest.fixture
def question_server(unlinked: Path) -> Iterator[str]:
    """`annotate serve` over a copy with the 'Were Iskanders used?' group linked (and none of
    the shipped links)."""
    workdir = unlinked
    iskander_question(make_app(workdir).test_client())
    with serving(workdir) as url:
        yield url


def test_the_timeline_shows_the_claims_in_date_order_and_a_click_opens_one(
    question_server: str,
    page: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    page.goto(f"{question_server}/timeline?question={MOD}")
    marks = page.locator("figure.picture svg a[aria-label]")
    found = marks.evaluate_all(
        """els => els.map(a => {
          const r = a.getBoundingClientRect();
          return {x: r.left + r.width / 2, label: a.getAttribute("aria-label"),
                  icon: a.querySelector("text").textContent, w: r.width,
                  href: a.getAttribute("href")};
        })"""
    )
    claims = [f for f in found if "?claim=" in (f["href"] or "")]
    claims.sort(key=lambda f: f["x"])
    order = [f["href"].split("?claim=")[1].split("#")[0] for f in claims]
    assert order == [MOD, "aliyev-february-no-iskander-use-detected", FOUND, WAR_CRIME]
    assert [f["icon"] for f in claims] == ["✗", "?", "✓", "?"]  # denied, disputed, …
    assert all(f["w"] >= 16 for f in claims)  # big enough to see and to hit
    assert "Russian Ministry of Defence, 26 Feb 2021" in claims[0]["label"]
    page.screenshot(path=str(tmp_path / "timeline.png"), caret="initial", full_page=True)
    page.locator(f'figure.picture svg a[href*="claim={MOD}"]').click()
    page.wait_for_url(f"**/documents/**?claim={MOD}*")
    assert page.locator("#claim-panel").is_visible()
    assert "Ministry of Defence" in page.locator("#claim-panel").inner_text()
    assert page.console_problems == []


def test_the_matrix_links_each_claim_to_its_panel(
    question_server: str,
    page: Any,  # noqa: F811
) -> None:
    page.goto(f"{question_server}/matrix")
    page.locator("details.as-table > summary").click()
    row = page.locator('tr[data-claimant="Ilham Aliyev"]')
    assert row.locator("strong").all_inner_texts() == ["asserts", "denies"]
    row.locator("a").first.click()
    page.wait_for_url(f"**?claim={WAR_CRIME}*")
    assert page.locator("#claim-panel").is_visible()
    assert page.console_problems == []


@pytest.mark.parametrize("path", ["/timeline.svg", f"/matrix.svg?question={MOD}"])
def test_the_svg_files_open_in_chromium_on_their_own(
    question_server: str,
    page: Any,  # noqa: F811
    tmp_path: Path,
    path: str,
) -> None:
    with urllib.request.urlopen(question_server + path) as resp:  # noqa: S310 (our server)
        data = resp.read()
    file = tmp_path / "picture.svg"
    file.write_bytes(data)
    page.goto(file.as_uri())
    box = page.locator("svg").bounding_box()
    assert box is not None and box["width"] >= 600 and box["height"] >= 300
    assert page.title().startswith(("Who said what, when", "Who says what"))
    if "matrix" in path:
        assert QUESTION in page.locator("svg").text_content()
    page.screenshot(path=str(tmp_path / "picture.png"), caret="initial")
    assert page.console_problems == []


@pytest.mark.parametrize("path", ["/timeline", "/matrix", f"/timeline?question={MOD}"])
def test_the_pictures_have_no_serious_accessibility_violation(
    question_server: str,
    browser: Any,  # noqa: F811
    path: str,
) -> None:
    if not AXE.exists():
        pytest.fail("axe-core is not installed: run `bash .ci/setup` (npm ci)")
    for width, height in [(1400, 1000), PHONES[0]]:
        context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
        pg = context.new_page()
        pg.goto(question_server + path)
        pg.locator("details.as-table > summary").click()
        assert serious_violations(pg) == [], (path, width)
        context.close()


@pytest.mark.parametrize("size", PHONES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_pictures_fit_a_phone(
    question_server: str,
    browser: Any,  # noqa: F811
    size: tuple[int, int],
) -> None:
    pg = phone_page(browser, size)
    for path in (f"/timeline?question={MOD}", "/matrix"):
        pg.goto(question_server + path)
        pg.locator("details.as-table > summary").click()
        fits(pg)
        box = pg.locator("figure.picture svg").bounding_box()
        assert box is not None and 0 < box["width"] <= size[0]
    pg.context.close()


def test_a_small_picture_is_shown_at_its_own_size_not_stretched_to_the_page(
    question_server: str,
    page: Any,  # noqa: F811
) -> None:
    """A matrix of one question is narrower than a desktop page: stretched to the page's
    width, its text was three times its size."""
    page.set_viewport_size({"width": 1280, "height": 900})
    for path in ("/matrix", f"/timeline?question={MOD}"):
        page.goto(question_server + path)
        svg = page.locator("figure.picture svg")
        own = float(svg.get_attribute("width") or 0)
        box = svg.bounding_box()
        assert box is not None and own > 0, path
        assert box["width"] <= own + 0.5, (path, box["width"], own)
    page.goto(question_server + "/matrix")
    svg = page.locator("figure.picture svg")
    assert float(svg.get_attribute("width") or 0) < 1000  # so the check above means something
