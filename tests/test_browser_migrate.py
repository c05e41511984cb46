"""An imported Hypothesis annotation in the browser: its note and tags in the claim's panel,
a tag leading to the claims that have it, the edit form keeping both."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from .conftest import DOC_AZERNEWS, ROOT
from .test_browser import AXE, browser, page, serious_violations, serving  # noqa: F401

pytestmark = pytest.mark.browser

GROUP = ROOT / "tests" / "data" / "migrate" / "hypothesis-group.json"
SHOTS = Path("/tmp/screenshots-migrate")


def test_an_imported_annotation_shows_its_note_and_tags(
    workdir: Path,
    run: Callable[..., Result],
    tmp_path: Path,
    browser: Any,  # noqa: F811
) -> None:
    assert run("doc", "set", DOC_AZERNEWS, "--url", "https://www.azernews.az/nation/176453.html")
    group = Path(shutil.copy(GROUP, tmp_path / "group.json"))
    result = run("import", "--format", "hypothesis", str(group))
    claim_id = next(
        line.split()[1] for line in result.output.splitlines() if line.startswith("create ")
    )
    with serving(workdir) as server:
        for name, size in (("desktop", (1400, 1000)), ("phone", (390, 844))):
            context = browser.new_context(
                viewport={"width": size[0], "height": size[1]}, bypass_csp=True
            )
            pg = context.new_page()
            problems: list[str] = []
            pg.on("console", lambda m, p=problems: m.type == "error" and p.append(m.text))
            pg.goto(f"{server}/documents/{DOC_AZERNEWS}?claim={claim_id}")
            panel = pg.locator(f'#claim-panel[data-claim-id="{claim_id}"]')
            panel.wait_for()
            assert panel.locator("[data-note]").inner_text().count("Sargsyan contradicts") == 1
            assert panel.locator(".tags a").all_inner_texts() == [
                "iskander",
                "Sargsyan",
                "to verify",
            ]
            if SHOTS.parent.exists():
                SHOTS.mkdir(exist_ok=True)
                panel.screenshot(path=str(SHOTS / f"panel-{name}.png"), caret="initial")
            assert serious_violations(pg) == []
            assert problems == []
            context.close()
        context = browser.new_context()
        pg = context.new_page()
        pg.goto(f"{server}/documents/{DOC_AZERNEWS}?claim={claim_id}")
        pg.locator("#claim-panel .tags a", has_text="to verify").click()
        pg.wait_for_url("**/claims?tag=to+verify")
        assert pg.locator("[data-claim-row]").count() == 1
        assert pg.locator("#f-tag").input_value() == "to verify"
        # The edit form keeps the tags and the note: a change of the statement alone
        # leaves them as they were.
        pg.goto(f"{server}/documents/{DOC_AZERNEWS}?claim={claim_id}")
        pg.locator("details.edit summary").click()
        assert pg.locator("#edit-tags").input_value() == "iskander, Sargsyan, to verify"
        pg.locator("#edit-statement").fill("Sargsyan: Armenia's other weapons were not fired.")
        pg.locator("details.edit button[type=submit]").click()
        pg.locator("#claim-panel .message.ok").wait_for()
        assert pg.locator("#claim-panel .tags a").count() == 3
        assert "Sargsyan contradicts" in pg.locator("#claim-panel [data-note]").inner_text()
        context.close()
