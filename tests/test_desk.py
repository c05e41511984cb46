"""A desk starts its own repository: `annotate init`, any corpus folder, the CI workflow, and
the whole flow of a new user (three articles in, annotated, checked as CI checks them)."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from annotate import __version__, create_app
from annotate.cli import cli

from .conftest import DOC_BBC, ROOT
from .test_ingest import ARTICLE_HTML
from .webutil import page, snapshot


def cmd(*args: str, input: str | bytes | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def shell(cwd: Path, *args: str, input: bytes | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m annotate ...` in `cwd`, as a user types it (this checkout's code)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("ANNOTATE_SEEDS", None)
    env.pop("ANNOTATE_STORE", None)
    return subprocess.run(
        [sys.executable, "-m", "annotate", *args],
        cwd=cwd,
        env=env,
        input=input.decode() if input is not None else None,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_init_creates_the_desk_and_refuses_to_overwrite(tmp_path: Path) -> None:
    desk = tmp_path / "desk"
    result = cmd("init", str(desk))
    assert result.exit_code == 0, result.output
    files = sorted(str(p.relative_to(desk)) for p in desk.rglob("*") if p.is_file())
    assert files == [
        ".gitattributes",
        ".github/annotate-requirements.txt",
        ".github/workflows/annotate.yml",
        ".gitignore",
        "README.md",
        "annotate.toml",
        "fixtures/.gitkeep",
        "seeds/.gitkeep",
    ]
    assert "created" in result.output and "annotate add" in result.output
    readme = (desk / "README.md").read_text()
    assert readme.startswith("# desk\n") and "annotate check" in readme
    # The settings file is read as written: its every setting left at the mode's default.
    settings = (desk / "annotate.toml").read_text()
    assert "[reviews]" in settings and "# required = 2" in settings
    checked = cmd("check", "--settings", str(desk / "annotate.toml"))
    assert checked.exit_code == 0, checked.output

    (desk / "README.md").write_text("# Our own readme\n")
    before = snapshot(desk)
    again = cmd("init", str(desk))
    assert again.exit_code == 1
    assert "exists already; nothing was written" in again.output
    assert snapshot(desk) == before


def test_init_into_a_file_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    assert cmd("init", str(tmp_path / "file")).exit_code == 2


def fake_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, direct_url: object) -> None:
    """Make `annotate-factcheck` look installed as pip records it (PEP 610), first on sys.path."""
    info = tmp_path / "site" / f"annotate_factcheck-{__version__}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: annotate-factcheck\nVersion: {__version__}\n"
    )
    if direct_url is not None:
        (info / "direct_url.json").write_text(json.dumps(direct_url))
    monkeypatch.syspath_prepend(str(tmp_path / "site"))


@pytest.mark.parametrize(
    ("direct_url", "requirement", "warned"),
    [
        (
            {
                "url": "https://git.example.org/desk/annotate.git",
                "vcs_info": {"vcs": "git", "commit_id": "0123abc", "requested_revision": "v0.2.0"},
            },
            "annotate-factcheck @ git+https://git.example.org/desk/annotate.git@0123abc",
            False,
        ),
        (None, f"annotate-factcheck=={__version__}", False),
        (
            {"url": "file:///home/me/annotate", "dir_info": {"editable": True}},
            "annotate-factcheck @ file:///home/me/annotate",
            True,
        ),
    ],
    ids=["git", "index", "folder"],
)
def test_the_workflow_installs_this_annotate_as_it_was_installed(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    direct_url: object,
    requirement: str,
    warned: bool,
) -> None:
    fake_install(tmp_path, monkeypatch, direct_url)
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "d")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = (tmp_path / "d/.github/annotate-requirements.txt").read_text().splitlines()
    assert [line for line in lines if not line.startswith("#")] == [requirement]
    assert f"CI installs: {requirement}" in result.stdout
    assert ("CI anywhere else cannot install it" in result.stderr) is warned
    assert requirement in (tmp_path / "d/README.md").read_text()


@pytest.mark.parametrize(
    "package", [None, "annotate-factcheck @ git+https://git.example.org/desk/annotate.git@v0.2.0"]
)
def test_the_workflow_installs_annotate_and_runs_the_check(
    tmp_path: Path, package: str | None
) -> None:
    args = ["init", str(tmp_path / "d")] + (["--package", package] if package else [])
    assert cmd(*args).exit_code == 0
    flow = yaml.safe_load((tmp_path / "d" / ".github/workflows/annotate.yml").read_text())
    triggers = flow.get("on", flow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert set(triggers) == {"push", "pull_request"}
    steps = flow["jobs"]["check"]["steps"]
    runs = [s["run"] for s in steps if "run" in s and "if" not in s]
    install = shlex.split(runs[0])
    assert install == ["python", "-m", "pip", "install", "-r", ".github/annotate-requirements.txt"]
    lines = (tmp_path / "d/.github/annotate-requirements.txt").read_text().splitlines()
    if package:
        assert lines[-1] == package
    assert runs[-1] == "annotate check --strict --format github"
    assert any(s.get("uses", "").startswith("actions/checkout@") for s in steps)
    # On a pull request, the verdict changes it makes, as Markdown, on the pull request.
    (pr,) = [s for s in steps if s.get("if") == "github.event_name == 'pull_request'"]
    assert 'annotate diff "origin/${{ github.base_ref }}" --format markdown' in pr["run"]


@pytest.mark.parametrize("package", ["", "a\nb"])
def test_init_refuses_an_empty_or_multiline_package(tmp_path: Path, package: str) -> None:
    result = cmd("init", str(tmp_path / "d"), "--package", package)
    assert result.exit_code == 2 and "one pip requirement" in result.output
    assert not (tmp_path / "d").exists()


def test_a_generated_desk_installs_and_checks_itself_with_its_workflow(tmp_path: Path) -> None:
    """On a fresh clone of a new desk, in a new virtual environment, the workflow's own `run`
    steps install annotate (as `annotate init` wrote it: here this checkout) and pass."""
    assert shell(tmp_path, "init", "desk").returncode == 0
    desk = tmp_path / "desk"
    (tmp_path / "a.txt").write_text("Peskov said Iskander systems were not used.\n")
    assert shell(desk, "add", "../a.txt", "--outlet", "Desk notes").returncode == 0
    git = ["git", "-c", "user.name=Desk", "-c", "user.email=desk@example.org"]
    for step in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "A new desk"]):
        subprocess.run([*git, *step], cwd=desk, check=True, capture_output=True)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(desk), str(clone)], check=True)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    # The versions of the lock file (installed here by .ci/setup), for the dependencies and
    # the build backend alike: the test must not break when a new release comes out.
    locked = tmp_path / "locked.txt"
    locked.write_text(
        "".join(
            f"{d.metadata['Name']}=={d.version}\n"
            for d in metadata.distributions()
            if d.metadata["Name"] and d.metadata["Name"].lower() != "annotate-factcheck"
        )
    )
    env["PIP_CONSTRAINT"] = str(locked)
    flow = yaml.safe_load((clone / ".github/workflows/annotate.yml").read_text())
    runs = [s["run"] for s in flow["jobs"]["check"]["steps"] if "run" in s and "if" not in s]
    assert len(runs) == 2
    for line in runs:
        done = subprocess.run(
            line, shell=True, cwd=clone, env=env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
    assert done.stdout == "annotate check: 0 claims, no problems\n"
    where = subprocess.run(
        ["python", "-c", "import annotate; print(annotate.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.startswith(str(venv)), "the venv's own annotate ran the check"
    pydantic = subprocess.run(
        ["python", "-c", "from importlib.metadata import version; print(version('pydantic'))"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert pydantic.stdout.strip() == metadata.version("pydantic")  # the locked one


def test_a_new_desk_adds_three_articles_annotates_them_and_ci_passes(tmp_path: Path) -> None:
    assert shell(tmp_path, "init", "desk").returncode == 0
    desk = tmp_path / "desk"
    (tmp_path / "statement.txt").write_bytes(
        b"Kremlin: Iskanders were not used\r\n\r\n"
        b"Kremlin spokesman Dmitry Peskov said that Iskander missile systems were not used "
        b"in the Karabakh conflict.\r\n"
    )
    text = shell(desk, "add", "../statement.txt", "--outlet", "Desk notes")
    assert text.returncode == 0, text.stderr
    assert "CRLF line ends made LF" in text.stdout
    html = shell(desk, "add", str(ARTICLE_HTML))
    assert html.returncode == 0, html.stderr
    pasted = shell(
        desk,
        "add",
        "-",
        "--title",
        "Sargsyan on Armnews",
        input=b"Serzh Sargsyan said the Iskander was used in the last days of the war.\n",
    )
    assert pasted.returncode == 0, pasted.stderr
    ids = sorted(p.stem for p in (desk / "seeds").glob("*.txt"))
    assert ids == [
        "fragments-of-a-second-missile-shown-in-baku",
        "kremlin-iskanders-were-not-used",
        "sargsyan-on-armnews",
    ]

    # Annotate them through the API, as the pages do.
    app = create_app(
        {
            "TESTING": True,
            "SEEDS": str(desk / "seeds"),
            "STORE": str(desk / "fixtures"),
            "REVIEWER": "desk",
            "FSYNC": False,
        }
    )
    client = app.test_client()
    texts = {i: client.get(f"/api/documents/{i}").get_json()["text"] for i in ids}

    def anchor(doc: str, exact: str) -> dict[str, Any]:
        start = texts[doc].index(exact)
        return {"doc": doc, "start": start, "end": start + len(exact), "exact": exact}

    made = client.post(
        "/api/claims",
        json={
            "statement": "No Iskander missiles were used in the Karabakh conflict.",
            "claimant": "Kremlin",
            "appearances": [
                anchor("kremlin-iskanders-were-not-used", "Iskander missile systems were not used"),
                anchor(
                    "fragments-of-a-second-missile-shown-in-baku",
                    "no Iskander missiles had been used during the conflict",
                ),
            ],
        },
    )
    assert made.status_code == 201, made.get_json()
    verdict = client.put(
        f"/api/claims/{made.get_json()['id']}/verdict",
        json={
            "verdict": "disputed",
            "rationale": "ANAMA shows fragments; a former Armenian president says it was used.",
            "sources": [
                {
                    "stance": "supports",
                    "quote": anchor("kremlin-iskanders-were-not-used", "Peskov"),
                },
                {
                    "stance": "refutes",
                    "quote": anchor("sargsyan-on-armnews", "the Iskander was used"),
                },
            ],
        },
        headers={"If-Match": made.headers["ETag"]},
    )
    assert verdict.status_code == 200, verdict.get_json()

    # What CI runs, taken from the workflow itself.
    flow = yaml.safe_load((desk / ".github/workflows/annotate.yml").read_text())
    (check_line,) = [
        s["run"] for s in flow["jobs"]["check"]["steps"] if s.get("name") == "Check the annotations"
    ]
    ci = shell(desk, *shlex.split(check_line)[1:])
    assert ci.returncode == 0, ci.stdout + ci.stderr
    text_check = shell(desk, "check")
    assert text_check.stdout == "ok: 1 claims checked, no problems\n"

    export = json.loads(shell(desk, "export", "--format", "json").stdout)
    assert [d["id"] for d in export["documents"]] == ids
    assert export["claims"][0]["verdict"] == "disputed"

    # An article edited by hand behind the tool's back is caught by the same check.
    path = desk / "seeds" / "kremlin-iskanders-were-not-used.txt"
    path.write_text(path.read_text().replace("Peskov", "Peskоv"))  # a Cyrillic о
    broken = shell(desk, *shlex.split(check_line)[1:])
    assert broken.returncode == 1 and "::error " in broken.stdout


@pytest.fixture
def custom(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shipped corpus and store under names that are not the defaults."""
    import shutil

    shutil.copytree(ROOT / "seeds", tmp_path / "articles")
    shutil.copytree(
        ROOT / "fixtures", tmp_path / "claims", ignore=shutil.ignore_patterns(".annotate-tmp")
    )
    (tmp_path / "empty-corpus").mkdir()
    (tmp_path / "empty-store").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ANNOTATE_SEEDS", raising=False)
    monkeypatch.delenv("ANNOTATE_STORE", raising=False)
    return tmp_path


def test_every_command_works_with_any_corpus_folder(
    custom: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    where = ["--seeds", "articles", "--store", "claims"]
    # No errors, and since its second review no editorial warnings either.
    assert cmd("check", *where).output.splitlines()[-1] == "ok: 73 claims checked, no problems"
    exported = cmd("export", "--format", "json", *where)
    assert exported.exit_code == 0 and len(json.loads(exported.output)["claims"]) == 73
    (custom / "export.json").write_text(exported.output)
    assert cmd("reanchor", "--dry-run", *where).exit_code == 0
    imported = cmd("import", "--format", "json", "export.json", "--dry-run", *where)
    assert imported.exit_code == 0, imported.output
    assert cmd("add", str(ARTICLE_HTML), *where).exit_code == 0
    assert (custom / "articles" / "fragments-of-a-second-missile-shown-in-baku.txt").exists()
    assert cmd("doc", "set", DOC_BBC, "--outlet", "BBC", *where).exit_code == 0
    replaced = cmd("doc", "replace", DOC_BBC, str(ARTICLE_HTML), "--dry-run", *where)
    assert replaced.exit_code == 0 and "orphaned" in replaced.output
    # The same through the environment.
    monkeypatch.setenv("ANNOTATE_SEEDS", "articles")
    monkeypatch.setenv("ANNOTATE_STORE", "claims")
    assert cmd("check").exit_code == 0
    assert not (custom / "seeds").exists() and not (custom / "fixtures").exists()
    # A folder that does not exist is a usage error naming it.
    missing = cmd("add", str(ARTICLE_HTML), "--seeds", "nowhere")
    assert missing.exit_code == 2 and "--seeds: folder 'nowhere' does not exist" in missing.output


def test_every_command_works_with_an_empty_corpus(custom: Path) -> None:
    where = ["--seeds", "empty-corpus", "--store", "empty-store"]
    assert cmd("check", *where).output == "ok: 0 claims checked, no problems\n"
    assert json.loads(cmd("export", "--format", "json", *where).output) == {
        "claims": [],
        "documents": [],
    }
    assert cmd("export", "--format", "csv", *where).exit_code == 0
    assert cmd("reanchor", *where).exit_code == 0
    missing = cmd("doc", "set", "nothing", "--title", "X", *where)
    assert missing.exit_code == 1 and "no document 'nothing'" in missing.output
    app = create_app(
        {
            "TESTING": True,
            "SEEDS": str(custom / "empty-corpus"),
            "STORE": str(custom / "empty-store"),
            "REVIEWER": "t",
            "FSYNC": False,
        }
    )
    client = app.test_client()
    index = page(client.get("/"))
    assert "no documents yet" in index.one("tbody").text()
    assert client.get("/api/documents").get_json() == []
    assert client.get("/claims").status_code == 200
    assert client.get("/documents/new").status_code == 200
    # The first article goes in, and the corpus is no longer empty.
    assert cmd("add", str(ARTICLE_HTML), *where).exit_code == 0
    assert len(client.get("/api/documents").get_json()) == 1
