"""Phones and small screens, in headless Chromium at 360×740 and 390×844: every page of the
app fits the screen (nothing sideways), its tables read as cards and the open claim is a
full-screen sheet with a Close control; axe finds nothing serious at phone size."""

from __future__ import annotations

from typing import Any

import pytest

from .test_browser import (  # noqa: F401 (fixtures)
    AXE,
    DOC,
    browser,
    serious_violations,
    server,
)
from .test_browser_reviews import review_server, signed_in  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

PHONES = [(360, 740), (390, 844)]
CLAIM = "armenia-first-foreign-iskander-operator-2016"

# Every page of the app (annotate/web: pages, documents, login; the API answers JSON).
LOCAL_PAGES = [
    "/",
    f"/documents/{DOC}",
    f"/documents/{DOC}?claim={CLAIM}",
    "/claims",
    "/claims?q=Iskander&sort=-updated",
    "/export",
    "/timeline",
    "/matrix",
    "/documents/new",
    f"/documents/{DOC}/edit",
    "/documents/no-such-document",  # the error page
]
TEAM_PAGES = [
    "/",
    "/queue",
    "/queue?status=in+review",
    "/agreement",
    f"/agreement?doc={DOC}",
    f"/documents/{DOC}?claim={CLAIM}",
    "/claims",
    "/timeline",
    "/matrix",
]

WIDER = """() => {
  // Elements wider than the screen, or reaching past its right edge, and boxes that scroll
  // sideways inside (the claim sheet, the quote picker). Not counted: the skip link, parked
  // off-screen until focused, what is hidden (closed dialogs, templates) and what is only
  // for screen readers (the column headers of a table shown as cards: inside a 1 px box
  // that clips them). The app has
  // no box meant to scroll sideways (no <pre>); the text inside a <textarea> or a <select>
  // is not an element, so it is not measured.
  const w = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest(".skip, dialog:not([open]), template")) continue;
    let clipped = false;
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const st = getComputedStyle(p);
      const tiny = p.getBoundingClientRect().width <= 1;
      if (st.overflow === "hidden" && tiny) { clipped = true; break; }
    }
    if (clipped) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    const name = `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}.${el.className}`;
    if (r.width > w + 0.5 || r.right > w + 0.5 || r.left < -0.5) {
      out.push(`${name} ${Math.round(r.left)}..${Math.round(r.right)}`);
    }
    const o = getComputedStyle(el).overflowX;
    if ((o === "auto" || o === "scroll") && el.scrollWidth > el.clientWidth + 1) {
      out.push(`${name} scrolls sideways: ${el.scrollWidth} > ${el.clientWidth}`);
    }
  }
  const scroll = document.documentElement.scrollWidth;
  return {scroll, inner: window.innerWidth, wider: out.slice(0, 8)};
}"""


def fits(page: Any) -> None:  # noqa: F811
    page.wait_for_load_state("networkidle")
    found = page.evaluate(WIDER)
    assert found["scroll"] <= found["inner"], (page.url, found)
    assert found["wider"] == [], (page.url, found)


def phone_page(browser: Any, size: tuple[int, int], axe: bool = False) -> Any:  # noqa: F811
    width, height = size
    context = browser.new_context(
        viewport={"width": width, "height": height},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        bypass_csp=axe,
    )
    return context.new_page()


@pytest.mark.parametrize("size", PHONES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_page_fits_a_phone_in_local_mode(
    server: str,  # noqa: F811
    browser: Any,  # noqa: F811
    size: tuple[int, int],
) -> None:
    page = phone_page(browser, size)
    for path in LOCAL_PAGES:
        page.goto(server + path)
        fits(page)
    # The replace preview (a form's answer, no address of its own).
    page.goto(f"{server}/documents/{DOC}/edit")
    box = page.locator("#replace-text")
    box.fill(box.input_value().replace("Iskander", "Iskander-M", 1))
    page.get_by_role("button", name="Preview the change").click()
    page.locator("#preview-title").wait_for()
    fits(page)
    # The claim panel's history, open; the quote picker, open.
    page.goto(f"{server}/documents/{DOC}?claim={CLAIM}")
    page.locator("details.history > summary").click()
    page.locator("details.add > summary").click()
    fits(page)
    page.get_by_role("button", name="Select in the document…").click()
    page.locator("#picker #picker-text").wait_for()
    fits(page)
    page.context.close()


@pytest.mark.parametrize("size", PHONES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_every_page_fits_a_phone_in_team_mode(
    review_server: str,  # noqa: F811
    browser: Any,  # noqa: F811
    size: tuple[int, int],
) -> None:
    login = phone_page(browser, size)
    login.goto(f"{review_server}/login")
    fits(login)
    login.context.close()
    page = signed_in(browser, review_server, "adam", *size)
    for path in TEAM_PAGES:
        page.goto(review_server + path)
        fits(page)
    page.context.close()


def test_the_header_wraps_and_tables_become_cards_that_keep_their_roles(
    server: str,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    page = phone_page(browser, (360, 740))
    page.goto(server + "/claims")
    nav = page.locator("header.top nav a").all()
    assert max(a.bounding_box()["x"] + a.bounding_box()["width"] for a in nav) <= 360
    row = page.locator("table.claims tbody tr").first
    cells = row.locator("td").all()
    # A card: its cells stacked, each with its column's name before it.
    assert len({round(c.bounding_box()["x"]) for c in cells}) == 1
    before = page.evaluate(
        "() => getComputedStyle(document.querySelector('table.claims td[data-label=Claimant]'),"
        " '::before').content"
    )
    assert before == '"Claimant: "' or before == 'attr(data-label) ": "' or "Claimant" in before
    # Still a table to a screen reader.
    assert page.get_by_role("table").count() == 1
    assert page.get_by_role("columnheader", name="Claimant").count() == 1
    assert page.get_by_role("cell").count() >= 6
    # At desktop width, still the table it was.
    page.set_viewport_size({"width": 1400, "height": 900})
    cells = row.locator("td").all()
    assert len({round(c.bounding_box()["x"]) for c in cells}) == len(cells)
    page.context.close()


def test_the_open_claim_is_a_full_screen_sheet_with_a_close_control(
    server: str,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    page = phone_page(browser, (390, 844))
    page.goto(f"{server}/documents/{DOC}")
    page.locator("#doc-text mark.first").first.tap()
    panel = page.locator("#panel")
    page.locator("#claim-panel").wait_for()
    box = panel.bounding_box()
    assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, 390, 844)
    close = page.get_by_role("link", name="Close the claim panel")
    assert close.is_visible() and "Close" in close.text_content()
    page.mouse.wheel(0, 2000)  # scrolled down the sheet, the control is still there
    cb = close.bounding_box()
    assert cb["y"] == 0 and cb["height"] >= 40
    close.tap()
    page.locator("#claim-panel").wait_for(state="detached")
    assert page.locator("#doc-text").is_visible()
    page.context.close()


@pytest.mark.parametrize(
    "path",
    ["/", f"/documents/{DOC}?claim={CLAIM}", "/claims", "/export", "/documents/new"],
)
def test_phone_pages_have_no_serious_accessibility_violation(
    server: str,  # noqa: F811
    browser: Any,  # noqa: F811
    path: str,
) -> None:
    if not AXE.exists():
        pytest.fail("axe-core is not installed: run `bash .ci/setup` (npm ci)")
    page = phone_page(browser, (360, 740), axe=True)
    page.goto(server + path)
    page.wait_for_load_state("networkidle")
    assert serious_violations(page) == []
    page.context.close()


def test_team_phone_pages_have_no_serious_accessibility_violation(
    review_server: str,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    if not AXE.exists():
        pytest.fail("axe-core is not installed: run `bash .ci/setup` (npm ci)")
    page = signed_in(browser, review_server, "adam", 360, 740, axe=True)
    for path in ["/queue", "/agreement", f"/documents/{DOC}?claim={CLAIM}"]:
        page.goto(review_server + path)
        page.wait_for_load_state("networkidle")
        assert serious_violations(page) == [], path
    page.context.close()
