"""Adding an article and annotating it in headless Chromium against `annotate serve`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from . import test_browser as tb
from .test_ingest import ARTICLE_HTML, BOILERPLATE

pytestmark = pytest.mark.browser

# The server, browser and page of the reviewer's browser tests.
server = tb.server
browser = tb.browser
page = tb.page

ADDED = "fragments-of-a-second-missile-shown-in-baku"
QUOTE = "one of the fragments carries the identification number 9M723"


def test_upload_an_html_page_then_annotate_the_article(
    server: str, page: Any, workdir: Path
) -> None:
    page.goto(server + "/")
    page.get_by_role("link", name="Add an article").click()
    page.wait_for_url("**/documents/new")
    page.set_input_files("#add-file", str(ARTICLE_HTML))
    page.get_by_label("Outlet").fill("The Caspian Ledger (saved copy)")
    page.get_by_role("button", name="Add the article").click()
    page.wait_for_url(f"**/documents/{ADDED}")
    assert "trafilatura" in page.locator("p.message.ok").inner_text()
    text = page.locator("#doc-text").inner_text()
    assert "identification number 9M723" in text
    assert not [junk for junk in BOILERPLATE if junk in text]

    tb.select_text(page, "#doc-text", QUOTE)
    page.get_by_role("toolbar").get_by_role("button", name="New claim").click()
    form = page.locator("form[data-form=new-claim]")
    page.keyboard.type("ANAMA")
    form.locator("textarea[name=statement]").fill("A fragment found in Shusha is marked 9M723.")
    form.get_by_role("button", name="Create claim").click()
    panel = page.locator("#claim-panel")
    panel.wait_for()
    claim_id = panel.get_attribute("data-claim-id")
    assert page.locator(f'#doc-text mark[data-claim="{claim_id}"]').first.inner_text() == QUOTE
    stored = (workdir / "fixtures" / f"{claim_id}.json").read_text(encoding="utf-8")
    assert f'"doc": "{ADDED}"' in stored
    assert page.console_problems == []


def test_paste_with_a_mistake_keeps_what_was_typed_then_adds(server: str, page: Any) -> None:
    page.goto(server + "/documents/new")
    page.get_by_label("Title", exact=True).fill("Pashinyan on the Iskander")
    page.get_by_label("Published").fill("2021-02-23")
    page.get_by_label("Document id").fill(tb.DOC)  # taken: refused by the server
    page.get_by_label("…or paste its text").fill(
        "Pashinyan said the Iskander did not explode, or only 10 percent did."
    )
    page.get_by_role("button", name="Add the article").click()
    errors = page.locator("#add-errors")
    errors.wait_for()
    assert f"'{tb.DOC}' is taken" in errors.inner_text()
    assert page.get_by_label("Title", exact=True).input_value() == "Pashinyan on the Iskander"
    assert page.get_by_label("Published").input_value() == "2021-02-23"
    assert "10 percent" in page.get_by_label("…or paste its text").input_value()
    page.get_by_label("Document id").fill("")
    page.get_by_role("button", name="Add the article").click()
    page.wait_for_url("**/documents/pashinyan-on-the-iskander")
    assert page.locator("h1").inner_text() == "Pashinyan on the Iskander"
    # The only console line is the browser noting the refused (409) submission.
    assert all("409" in p for p in page.console_problems), page.console_problems


@pytest.mark.parametrize("path", ["/documents/new", f"/documents/{tb.DOC}/edit"])
def test_document_forms_have_no_serious_accessibility_violation(
    server: str, browser: Any, path: str
) -> None:
    if not tb.AXE.exists():
        pytest.fail("axe-core is not installed: run `bash .ci/setup` (npm ci)")
    context = browser.new_context(bypass_csp=True)
    pg = context.new_page()
    problems: list[str] = []
    pg.on("console", lambda m: m.type == "error" and problems.append(m.text))
    pg.goto(server + path)
    pg.wait_for_load_state("networkidle")
    assert problems == []
    assert tb.serious_violations(pg) == []
    context.close()
