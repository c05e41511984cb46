"""Shared fixtures: every test works on copies of the corpus and store in tmp_path."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import settings

from annotate.cli import cli
from annotate.record.service import Workspace

# No property test fails for taking long: a deadline is a timed assertion, and a loaded
# machine (a CI runner, a laptop building something else) makes any of them flaky.
settings.register_profile("annotate", deadline=None)
settings.load_profile("annotate")

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
REQUIRE_SHARED = "ANNOTATE_REQUIRE_SHARED"


def shared_data(env: str, default: Path, what: str, where_from: str) -> Path:
    """Test data that is not ours and never in the repository (a standard's test suite).

    Found at `$env`, else at `default` (../shared beside the checkout, as CI has it). Missing,
    the test is skipped with a reason that says what is missing and how to run it; with
    ANNOTATE_REQUIRE_SHARED=1 (CI sets it) it fails instead, so that CI cannot skip it.
    """
    path = Path(os.environ[env]) if os.environ.get(env) else default
    if path.exists():
        return path
    reason = (
        f"{what[:1].upper()}{what[1:]} not found at {path}: it is not part of this "
        f"repository. To run this test, put {where_from} there or set {env} to its path."
    )
    if os.environ.get(REQUIRE_SHARED) == "1":
        pytest.fail(f"{reason} ({REQUIRE_SHARED}=1 forbids skipping it)")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def no_real_accounts(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never read or write the real user's config folder: team mode is only what a test sets."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
    for name in ("ANNOTATE_USERS", "ANNOTATE_ALLOWED_HOSTS", "ANNOTATE_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A copy of the shipped corpus (`seeds/`) and store (`fixtures/`) in tmp_path."""
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    # Not the write scratch folder a server left in the checkout (git ignores it too).
    shutil.copytree(
        ROOT / "fixtures", tmp_path / "fixtures", ignore=shutil.ignore_patterns(".annotate-tmp")
    )
    return tmp_path


@pytest.fixture
def unlinked(workdir: Path) -> Path:
    """The copied record without the shipped relations and question names (in tmp_path),
    for a test that makes the links it is about."""
    for path in sorted((workdir / "fixtures").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        linked = data.pop("relations", None) is not None
        if data.pop("question", None) is not None or linked:
            path.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    return workdir


@pytest.fixture
def empty_store(workdir: Path) -> Path:
    """The shipped corpus with an empty store."""
    shutil.rmtree(workdir / "fixtures")
    (workdir / "fixtures").mkdir()
    return workdir


@pytest.fixture
def ws(workdir: Path) -> Workspace:
    """The workspace of the copied corpus and store."""
    return Workspace.open(workdir / "seeds", workdir / "fixtures")


@pytest.fixture
def run(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """Run the `annotate` command line in `workdir`, as a user would in a checkout."""
    monkeypatch.chdir(workdir)
    monkeypatch.delenv("ANNOTATE_SEEDS", raising=False)
    monkeypatch.delenv("ANNOTATE_STORE", raising=False)

    def invoke(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)

    return invoke


FROZEN = datetime(2021, 5, 3, 9, 30, tzinfo=UTC)
DOC_IDS = sorted(p.stem for p in (ROOT / "seeds").glob("*.txt"))
DOC_BBC = "000_6c6c33166c2267e4"
DOC_CAUCASIAN_KNOT = "001_ea092f251b0b5650"
DOC_AZERNEWS = "002_212af70a4bdf495d"
DOC_ALIYEV = "003_de1e71ce094deadf"
DOC_VENEDIKTOV = "004_da7503a316cb05c0"


def quote(ws: Workspace, doc: str, exact: str, nth: int = 0) -> dict[str, object]:
    """An anchor on the `nth` occurrence of `exact` in a document of the corpus."""
    text = ws.corpus.get(doc).text
    start = -1
    for _ in range(nth + 1):
        start = text.index(exact, start + 1)
    return {"doc": doc, "start": start, "end": start + len(exact), "exact": exact}


@pytest.fixture
def frozen_time(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """Every change is recorded at the same instant, so that exports can be pinned."""
    monkeypatch.setattr("annotate.record.clock.now", lambda: FROZEN)
    return FROZEN


@pytest.fixture
def sample_ws(empty_store: Path, frozen_time: datetime) -> Workspace:
    """A small store built through the service: reviewed and unreviewed claims, both kinds
    of source, a claim in two documents, an institution and a person as claimants."""
    ws = Workspace.open(empty_store / "seeds", empty_store / "fixtures", fsync=False)
    mod = ws.create_claim(
        {
            "id": "no-iskanders-used",
            "statement": "No Iskander missiles were used in the Karabakh war.",
            "claimant": "Russian Ministry of Defence",
            "claim_date": "2021-02-26",
            "appearances": [
                quote(
                    ws,
                    DOC_BBC,
                    "Russia’s Defense Ministry announced in February that no "
                    "Iskander missiles were used during the Karabakh conflict.",
                ),
                quote(
                    ws,
                    DOC_ALIYEV,
                    "the Iskander-M missile systems were not used during the "
                    "conflict in Nagorno-Karabakh",
                ),
            ],
        },
        "alice",
    )
    ws.set_verdict(
        mod.id,
        mod.version,
        {
            "verdict": "disputed",
            "rationale": "Moscow denies it; a former Armenian president says one was fired.",
            "sources": [
                {
                    "stance": "supports",
                    "quote": quote(
                        ws,
                        DOC_BBC,
                        "Kremlin spokesman Dmitry "
                        "Peskov reiterated that Iskander missile systems were not used",
                    ),
                },
                {
                    "stance": "refutes",
                    "quote": quote(
                        ws,
                        DOC_AZERNEWS,
                        "I have reliable "
                        "information that the Iskander was used in the last period of the war",
                    ),
                },
                {
                    "stance": "context",
                    "url": "https://example.org/anama-briefing",
                    "title": "ANAMA briefing",
                    "publisher": "ANAMA",
                    "date": "2021-04-02",
                },
            ],
        },
        "bob",
    )
    sargsyan = ws.create_claim(
        {
            "id": "sargsyan-iskander-used",
            "statement": "Armenia used the Iskander in the 44-day war.",
            "claimant": "Serzh Sargsyan",
            "claimant_type": "Person",
            "claim_date": "2021-02-17",
            "appearances": [
                quote(
                    ws,
                    DOC_AZERNEWS,
                    "Former Armenian President Serzh Sargsyan "
                    "has admitted that his country used the Iskander missile",
                )
            ],
        },
        "alice",
    )
    ws.set_verdict(
        sargsyan.id,
        sargsyan.version,
        {
            "verdict": "confirmed",
            "rationale": "He said so on Armnews TV.",
            "sources": [
                {
                    "stance": "supports",
                    "quote": quote(
                        ws,
                        DOC_AZERNEWS,
                        "I disagree with the statements that Iskander was not used by Armenia.",
                    ),
                }
            ],
        },
        "carol",
    )
    aliyev = ws.create_claim(
        {
            "id": "no-iskander-use-recorded",
            "statement": "Azerbaijan recorded no use of Iskanders in the war.",
            "claimant": "Ilham Aliyev",
            "appearances": [
                quote(ws, DOC_CAUCASIAN_KNOT, 'Azerbaijan did not fix the use of "Iskanders"')
            ],
        },
        "alice",
    )
    ws.set_verdict(
        aliyev.id,
        aliyev.version,
        {
            "verdict": "denied",
            "rationale": "ANAMA later showed fragments of two Iskanders found in Shusha.",
            "sources": [
                {
                    "stance": "refutes",
                    "quote": quote(
                        ws,
                        DOC_BBC,
                        "The Mine Action "
                        "Agency of the Republic of Azerbaijan (ANAMA) showcased the fragments "
                        "of two missiles in Baku",
                    ),
                }
            ],
        },
        "bob",
    )
    ws.create_claim(
        {
            "id": "marking-9m723",
            "statement": "The fragments carry the identification number 9M723.",
            "claimant": "ANAMA",
            "appearances": [
                quote(ws, DOC_BBC, "(9M723)"),
                quote(ws, DOC_VENEDIKTOV, "9M723", nth=1),
            ],
        },
        "alice",
    )
    return ws


@pytest.fixture
def make_claim(ws: Workspace) -> Callable[..., dict[str, object]]:
    """Create an unreviewed claim through the library and return it as the API shows it."""

    def make(
        statement: str = "Two missiles were fired on Shusha",
        exact: str = "Two missiles fired on Shusha",
        doc: str = DOC_BBC,
    ) -> dict[str, object]:
        claim = ws.create_claim(
            {"statement": statement, "claimant": "ANAMA", "appearances": [quote(ws, doc, exact)]},
            actor="tester",
        )
        return claim.public()

    return make


@pytest.fixture
def app(workdir: Path) -> Any:
    """The web app over the copied corpus and store, reviewing as `tester`."""
    from .webutil import make_app

    return make_app(workdir)


@pytest.fixture
def client(app: Any) -> Any:
    """A test client of the web app."""
    return app.test_client()


@pytest.fixture
def store(workdir: Path) -> Path:
    """The copied store folder."""
    return workdir / "fixtures"


@pytest.fixture
def unsafe(app: Any, client: Any) -> Any:
    """The client, with unexpected exceptions answered as a 500 instead of raised."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.testing = False
    return client
