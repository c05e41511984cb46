"""Team mode in headless Chromium: log in through the login page, work, log out."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from annotate.record.accounts import Users

from .test_browser import (  # noqa: F401 (fixtures)
    CLAIM_QUOTE,
    DOC,
    browser,
    page,
    select_text,
    serious_violations,
    serving,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def team_server(workdir: Path, tmp_path: Path) -> Iterator[str]:
    """`annotate serve` in team mode, with one reviewer, alice."""
    users = Users(tmp_path / "conf" / "users.json")
    users.add("alice", "reviewer", "correct horse battery")
    with serving(workdir, ANNOTATE_USERS=str(users.path)) as url:
        yield url


def test_log_in_through_the_login_page_work_and_log_out(
    team_server: str,
    page: Any,  # noqa: F811 - the fixture imported from test_browser
    tmp_path: Path,
) -> None:
    page.goto(f"{team_server}/documents/{DOC}")
    assert "/login?next=" in page.url
    page.get_by_label("User name").fill("alice")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("alert").filter(has_text="Wrong user name or password").wait_for()
    # The refused login is a 401, which Chromium logs; nothing else may be.
    assert [p for p in page.console_problems if "401" not in p] == []
    page.console_problems.clear()
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{team_server}/documents/{DOC}")
    assert "Signed in as alice" in page.locator(".who").inner_text()

    select_text(page, "#doc-text", CLAIM_QUOTE)
    page.get_by_role("toolbar").get_by_role("button", name="New claim").click()
    form = page.locator("form[data-form=new-claim]")
    form.locator("input[name=claimant]").fill("AzerNews")
    form.get_by_role("button", name="Create claim").click()
    panel = page.locator("#claim-panel")
    panel.wait_for()
    panel.locator("summary", has_text="History").click()
    assert "created by alice" in panel.locator(".historylist").inner_text()
    page.screenshot(path=str(tmp_path / "team-document.png"))

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r".*/login$"))
    page.goto(f"{team_server}/claims")
    assert "/login?next=/claims" in page.url
    page.screenshot(path=str(tmp_path / "login.png"))
    assert page.console_problems == []
    # The login page passes the same accessibility check as the other pages.
    context = page.context.browser.new_context(bypass_csp=True)
    login = context.new_page()
    login.goto(f"{team_server}/login")
    assert serious_violations(login) == []
    context.close()
    if os.environ.get("ANNOTATE_SCREENSHOTS"):
        for shot in tmp_path.glob("*.png"):
            shot.replace(Path(os.environ["ANNOTATE_SCREENSHOTS"]) / shot.name)
