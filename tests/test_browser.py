"""The whole flow in headless Chromium against `annotate serve`, as a reviewer uses it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.browser

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
DOC = "002_212af70a4bdf495d"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def serving(workdir: Path, **env_extra: str) -> Iterator[str]:
    """`annotate serve` on a free port in `workdir` (its seeds/ and fixtures/); its URL."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), **env_extra}
    env.pop("ANNOTATE_STORE", None)
    env.pop("ANNOTATE_SEEDS", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "annotate", "serve", "--port", "0", "--reviewer", "Rita"],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    url = None
    for line in proc.stdout:
        m = re.search(r"Open (http://\S+/)", line)
        if m:
            url = m.group(1)
            break
    assert url, "the server did not print its URL"
    try:
        yield url.rstrip("/")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()


def serious_violations(page: Any) -> list[Any]:
    """What axe-core finds serious or critical on the page as it is."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    return [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture
def server(workdir: Path) -> Iterator[str]:
    """`annotate serve` on a free port over copies of the corpus and store."""
    with serving(workdir) as url:
        yield url


@pytest.fixture
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed: run `bash .ci/setup` (Debian package chromium)")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.console_problems = []  # type: ignore[attr-defined]
    pg.on(
        "console",
        lambda m: (
            m.type in ("error", "warning") and pg.console_problems.append(f"{m.type}: {m.text}")
        ),
    )
    pg.on("pageerror", lambda e: pg.console_problems.append(f"pageerror: {e}"))
    yield pg
    context.close()


def select_text(page: Any, container: str, text: str) -> None:
    """Select `text` inside `container` by dragging the mouse over it, as a person would.

    The coordinates are taken once the page has stopped moving (loaded, scrolled there, the
    text in the same place for a few frames): taken while a load or a scroll was still going
    on, the drag landed on other words on a busy machine."""
    page.wait_for_load_state("networkidle")
    page.evaluate(
        """async ([sel, needle]) => {
          const root = document.querySelector(sel);
          const at = root.textContent.indexOf(needle);
          const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
          let seen = 0, node = null;
          while (walker.nextNode()) {
            const n = walker.currentNode;
            if (seen + n.data.length > at) { node = n; break; }
            seen += n.data.length;
          }
          (node ? node.parentElement : root).scrollIntoView({block: "center", behavior: "instant"});
          const frame = () => new Promise((done) => requestAnimationFrame(done));
          let last = null, still = 0;
          for (let i = 0; i < 200 && still < 3; i++) {
            await frame();
            const r = (node ? node.parentElement : root).getBoundingClientRect();
            const now = `${r.left},${r.top},${window.scrollY}`;
            still = now === last ? still + 1 : 0;
            last = now;
          }
        }""",
        [container, text],
    )
    box = page.evaluate(
        """([sel, needle]) => {
          const root = document.querySelector(sel);
          const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
          const nodes = []; let all = "";
          while (walker.nextNode()) {
            nodes.push([walker.currentNode, all.length]);
            all += walker.currentNode.data;
          }
          const at = all.indexOf(needle);
          const point = (i) => {
            for (let k = nodes.length - 1; k >= 0; k--) {
              if (nodes[k][1] <= i) return [nodes[k][0], i - nodes[k][1]];
            }
          };
          const r = document.createRange();
          const [sn, so] = point(at); const [en, eo] = point(at + needle.length - 1);
          r.setStart(sn, so); r.setEnd(sn, so + 1);
          const a = r.getClientRects()[0];
          const r2 = document.createRange(); r2.setStart(en, eo); r2.setEnd(en, eo + 1);
          const b = r2.getClientRects()[0];
          return {x1: a.left + 1, y1: a.top + a.height / 2,
                  x2: b.right - 1, y2: b.top + b.height / 2};
        }""",
        [container, text],
    )
    page.mouse.move(box["x1"], box["y1"])
    page.mouse.down()
    page.mouse.move((box["x1"] + box["x2"]) / 2, (box["y1"] + box["y2"]) / 2, steps=5)
    page.mouse.move(box["x2"], box["y2"], steps=5)
    page.mouse.up()
    assert page.evaluate("() => window.getSelection().toString()") == text


def api(
    url: str, method: str = "GET", body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, resp.headers, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, err.headers, json.loads(err.read() or b"null")


CLAIM_QUOTE = "In 2016, Armenia, a Russian ally and a member of the Collective Security Treaty"
SOURCE_QUOTE = "Iskander missile complexes cannot be exported."


def test_select_create_verdict_with_a_quoted_source_reload_and_see_it(
    server: str, page: Any
) -> None:
    page.goto(f"{server}/documents/{DOC}")
    select_text(page, "#doc-text", CLAIM_QUOTE)
    page.get_by_role("toolbar").get_by_role("button", name="New claim").click()
    form = page.locator("form[data-form=new-claim]")
    assert form.locator("textarea[name=statement]").input_value() == CLAIM_QUOTE
    page.keyboard.type("AzerNews")  # the claimant field has the focus
    form.locator("textarea[name=statement]").fill("Armenia first operated Iskander in 2016")
    form.locator("input[name=claim_date]").fill("2021-02-18")
    form.get_by_role("button", name="Create claim").click()
    panel = page.locator("#claim-panel")
    panel.wait_for()
    claim_id = panel.get_attribute("data-claim-id")
    assert claim_id == "armenia-first-operated-iskander-in-2016"
    assert page.locator(f'#doc-text mark[data-claim="{claim_id}"]').first.text_content()

    # Cite another passage of the same article with the keyboard: select, then `s`.
    select_text(page, "#doc-text", SOURCE_QUOTE)
    page.keyboard.press("s")
    page.locator("#claim-panel .sourcelist blockquote", has_text=SOURCE_QUOTE).wait_for()

    # `1` picks "confirmed" and puts the cursor in the rationale; Ctrl+Enter saves.
    page.locator("#claim-panel h2").click()
    page.keyboard.press("1")
    assert page.evaluate("() => document.activeElement.id") == "rationale"
    page.keyboard.type("The article itself reports the date of first deployment.")
    page.keyboard.press("Control+Enter")
    page.locator("#claim-panel .message.ok", has_text="Verdict saved").wait_for()

    page.reload()
    page.goto(f"{server}/documents/{DOC}")
    marks = page.locator(f'#doc-text mark[data-claim="{claim_id}"]')
    assert marks.count() >= 1
    assert marks.first.get_attribute("data-verdict") == "confirmed"
    status, _, claim = api(f"{server}/api/claims/{claim_id}")
    assert status == 200
    assert claim["claimant"] == "AzerNews" and claim["claim_date"] == "2021-02-18"
    assert claim["appearances"][0]["exact"] == CLAIM_QUOTE
    assert claim["sources"] == [
        {"stance": "supports", "quote": {**claim["sources"][0]["quote"], "exact": SOURCE_QUOTE}}
    ]
    assert claim["reviewer"] == "Rita" and claim["verdict"] == "confirmed"
    assert page.console_problems == []


def test_a_save_that_lost_a_race_shows_the_other_version_and_keeps_what_was_typed(
    server: str, page: Any
) -> None:
    claim_id = "ru-mod-no-iskander-used"
    page.goto(f"{server}/documents/000_6c6c33166c2267e4?claim={claim_id}")
    rationale = page.locator("#rationale")
    mine = "My careful rationale, typed while someone else saved."
    rationale.fill(mine)
    # Another reviewer saves first, through the API.
    status, headers, current = api(f"{server}/api/claims/{claim_id}")
    status, _, _ = api(
        f"{server}/api/claims/{claim_id}",
        "PATCH",
        {"claimant": "Russian MoD (Igor Konashenkov)"},
        {"If-Match": headers["ETag"]},
    )
    assert status == 200
    page.get_by_role("button", name="Save verdict").click()
    conflict = page.locator("#conflict")
    conflict.wait_for()
    assert "Someone else saved this claim first" in conflict.text_content()
    assert page.locator("#rationale").input_value() == mine
    assert "Russian MoD (Igor Konashenkov)" in page.locator("#claim-panel .meta").text_content()
    _, _, after = api(f"{server}/api/claims/{claim_id}")
    assert after["rationale"] == current["rationale"]  # nothing was overwritten
    # Saving again, deliberately, replaces it.
    page.get_by_role("button", name="Save verdict").click()
    page.locator("#claim-panel .message.ok", has_text="Verdict saved").wait_for()
    _, _, final = api(f"{server}/api/claims/{claim_id}")
    assert final["rationale"] == mine and final["version"] == current["version"] + 2


def test_clicking_a_mark_opens_its_claim_and_j_k_move_between_claims(
    server: str, page: Any
) -> None:
    page.goto(f"{server}/documents/{DOC}")
    first = page.locator("#doc-text mark.first").first
    claim_id = first.get_attribute("data-claim")
    first.click()
    page.locator(f'#claim-panel[data-claim-id="{claim_id}"]').wait_for()
    assert f"claim={claim_id}" in page.url
    page.locator("#claim-panel h2").click()
    page.keyboard.press("j")
    page.wait_for_function(
        "id => document.querySelector('#claim-panel').dataset.claimId !== id", arg=claim_id
    )
    page.keyboard.press("k")
    page.locator(f'#claim-panel[data-claim-id="{claim_id}"]').wait_for()
    assert page.console_problems == []


@pytest.mark.parametrize(
    "path",
    [
        "/",
        f"/documents/{DOC}",
        f"/documents/{DOC}?claim=armenia-first-foreign-iskander-operator-2016",
        "/claims",
        "/export",
        "/claims?q=Iskander+not+used",
        "/?q=%22I+disagree%22",
        f"/documents/{DOC}?claim=kremlin-iskanders-not-used",
    ],
)
def test_pages_have_no_serious_accessibility_violation_and_a_clean_console(
    server: str, browser: Any, path: str
) -> None:
    if not AXE.exists():
        pytest.fail("axe-core is not installed: run `bash .ci/setup` (npm ci)")
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.goto(server + path)
    page.wait_for_load_state("networkidle")
    assert problems == [], problems
    assert serious_violations(page) == []
    context.close()
