"""`annotate init`: a new desk's repository of annotations, ready for `git init`.

The folders are the command line's defaults (`seeds/` for the corpus, `fixtures/` for the
store), so every command works in it without options; CI runs `annotate check` on every push
and pull request and shows problems as annotations on the changed files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

from . import DISTRIBUTION, __version__
from .record.gitrepo import ATTRIBUTES_LINE, GitProblem, configure_driver, repository
from .record.settings import SETTINGS_FILE

WORKFLOW = ".github/workflows/annotate.yml"
REQUIREMENTS = ".github/annotate-requirements.txt"


@dataclass(frozen=True)
class Template:
    """The files of a new desk, by path relative to its folder."""

    files: dict[str, str]
    folders: tuple[str, ...] = ("seeds", "fixtures")


@dataclass(frozen=True)
class Package:
    """What a desk's CI installs: a pip requirement, and why it may not work everywhere."""

    requirement: str
    warning: str | None = None


def default_package() -> Package:
    """The pip requirement that installs this very annotate, worked out from how it was
    installed here (PEP 610's direct_url.json): from a git URL, that URL at the exact commit;
    from an index, the version; from a folder on this machine, that folder, with a warning,
    since CI elsewhere cannot reach it."""
    try:
        dist = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return Package(
            f"{DISTRIBUTION}=={__version__}",
            f"annotate runs here from its source, not as an installed package, so CI will ask "
            f"the package index for {DISTRIBUTION}=={__version__}.",
        )
    raw = dist.read_text("direct_url.json")
    if not raw:
        return Package(f"{DISTRIBUTION}=={dist.version}")
    origin = json.loads(raw)
    url = str(origin.get("url", ""))
    subdirectory = origin.get("subdirectory")
    fragment = f"#subdirectory={subdirectory}" if subdirectory else ""
    vcs = origin.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs") and vcs.get("commit_id"):
        requirement = f"{DISTRIBUTION} @ {vcs['vcs']}+{url}@{vcs['commit_id']}{fragment}"
    else:
        requirement = f"{DISTRIBUTION} @ {url}{fragment}"
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return Package(
            requirement,
            f"annotate is installed here from {unquote(parsed.path)}, a folder on this machine: "
            "CI anywhere else cannot install it from there.",
        )
    return Package(requirement)


def set_package_command(requirement: str) -> str:
    """The shell command that points a desk's CI at another annotate."""
    quoted = requirement.replace("'", "'\"'\"'")
    return f"echo '{quoted}' > {REQUIREMENTS}"


def template(name: str, package: str) -> Template:
    """The files of a desk called `name` whose CI installs `package` (a pip requirement)."""
    workflow = f"""\
# Checks every claim against the articles on each push and pull request:
# schema, every quote at its offsets, verdict and source rules, dangling references,
# and (--strict) the desk standard's editorial checks: self-citations, one-report
# confirmations, claims in review or disagreement, verdicts whose evidence changed, ...
name: annotate check

on:
  push:
  pull_request:

permissions:
  contents: read
  pull-requests: write

jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - name: Install annotate
        run: python -m pip install -r {REQUIREMENTS}
      - name: Check the annotations
        run: annotate check --strict --format github
      - name: The verdict changes of this pull request
        if: github.event_name == 'pull_request'
        env:
          GH_TOKEN: ${{{{ github.token }}}}
        run: |
          annotate diff "origin/${{{{ github.base_ref }}}}" --format markdown > corrections.md
          cat corrections.md >> "$GITHUB_STEP_SUMMARY"
          gh pr comment "${{{{ github.event.pull_request.number }}}}" \\
            --body-file corrections.md || true
"""
    readme = f"""\
# {name}

Fact-check annotations kept with annotate {__version__}.

- `seeds/`: the articles, one `<id>.txt` each with its metadata in `<id>.json`.
- `fixtures/`: the claims, one JSON file each, with verdicts, sources and history.
- `.github/workflows/annotate.yml`: CI runs `annotate check` on every push and pull request.
- `.github/annotate-requirements.txt`: the annotate CI installs (one pip requirement).
- `.gitattributes`: claim files merge field by field. In each clone, once:
  `annotate init --existing .` (registers the merge driver in the clone's git config;
  `annotate sync` does it too; by hand:
  `git config merge.annotate-claim.driver "annotate merge-driver %O %A %B %P"`).
  Web merges on GitHub or GitLab do not run it: a claim conflicted there fails CI's
  `annotate check`; merge on a clone (`annotate sync`) instead.
- `annotate.toml`: how the desk reviews (how many agreeing reviews settle a claim, blind
  review), where it publishes (`[publish]`: base URL, organisation) and how it serves
  (`[serve]`), the same for every server and CI run.

```sh
annotate add article.html notes.txt       # bring articles in (text or HTML)
pbpaste | annotate add - --outlet "..."   # or pasted text
annotate serve                            # annotate them in the browser
annotate check --strict                   # what CI runs
git add -A && git commit -m "Annotate ..."
```

Articles are never rewritten once claims point into them, except with
`annotate doc replace ID FILE`, which shows what moves and what is orphaned before saving.

## Which annotate CI installs

CI installs the requirement in `{REQUIREMENTS}`, which `annotate init` set to
the annotate that made this desk:

```text
{package}
```

To move the desk to another version, or to install annotate from your own git host, change
that one line, for example:

```sh
{set_package_command(f"{DISTRIBUTION} @ git+https://YOUR-GIT-HOST/annotate.git@v{__version__}")}
```

Run `pip install -r {REQUIREMENTS}` on your own machine to work with the same version.
"""
    requirements = f"""\
# The annotate that CI installs (a pip requirement); see README.md, "Which annotate CI installs".
{package}
"""
    gitignore = """\
# Python and editor leftovers; the corpus and the store are tracked.
__pycache__/
*.py[cod]
.venv/
.env
.DS_Store
# Temporary files of interrupted writes (annotate removes them itself).
.annotate-*.tmp
.annotate-tmp/
fixtures/.*.tmp
"""
    settings = """\
# How this desk reviews: every `annotate` command run here (the servers, CI's
# `annotate check`) reads this file. See the manual, "Several reviewers".
[reviews]
# Agreeing reviews that settle a claim's final verdict
# (default: 1 in local mode, 2 in team mode).
# required = 2
# Hide a claim's other reviews and final verdict from a reviewer until they
# have given their own (default: on in team mode, off in local mode).
# blind = true

[publish]
# Where the record is published and by whom: the ClaimReview export refuses
# to publish without a public base_url (not localhost, loopback or private).
# Flags and environment variables win: --base-url, ANNOTATE_BASE_URL, ...
# base_url = "https://factcheck.example.org"
# org_name = "Example Fact Check"
# org_url = "https://example.org"
# org_logo = "https://example.org/logo.png"

[serve]
# `annotate serve`'s options (a flag or environment variable wins). Keep
# secrets out of this file: it is in git (ANNOTATE_SECRET_KEY stays in the
# environment, and the users file outside the repository).
# host = "127.0.0.1"
# port = 5000
# reviewer = "desk editor"
# threads = 8
# running = 2
# workers = 1
# server = "granian"      # or "waitress", "gunicorn"
# sync_every = 300
# sync_remote = "origin"
# users = "/etc/annotate/users.json"
# allowed_hosts = ["factcheck.example.org"]
# https = true
# trusted_proxies = 1
"""
    return Template(
        files={
            "README.md": readme,
            ".gitignore": gitignore,
            ".gitattributes": GITATTRIBUTES,
            SETTINGS_FILE: settings,
            WORKFLOW: workflow,
            REQUIREMENTS: requirements,
            "seeds/.gitkeep": "",
            "fixtures/.gitkeep": "",
        }
    )


GITATTRIBUTES = f"""\
# Claim files merge field by field (annotate merge-driver); each clone registers the driver
# once with `annotate init --existing` (`annotate sync` does it too).
{ATTRIBUTES_LINE}
"""


def register_merge_driver(root: Path) -> list[str]:
    """Make an existing desk merge its claim files with the driver: the `.gitattributes` line
    (added when missing) and, in a git clone, the driver in its config. What was done."""
    done = []
    attributes = root / ".gitattributes"
    text = attributes.read_text(encoding="utf-8") if attributes.exists() else ""
    if ATTRIBUTES_LINE not in text.splitlines():
        attributes.write_text(
            (text if not text or text.endswith("\n") else text + "\n") + GITATTRIBUTES,
            encoding="utf-8",
        )
        done.append(f"added the merge driver to {attributes}")
    try:
        repo = repository(root)
    except GitProblem:
        done.append("not a git clone yet: run `annotate init --existing` again after git init")
        return done
    configure_driver(repo)
    done.append(f"registered the merge driver in {repo}'s git config")
    return done


def create(root: Path, package: str) -> list[Path]:
    """Write a desk into `root` (made if missing). Refuses, writing nothing, when any of its
    files exists already.

    :raise FileExistsError: naming the first file in the way.
    """
    spec = template(root.resolve().name, package)
    for rel in spec.files:
        if (root / rel).exists():
            raise FileExistsError(f"{root / rel} exists already; nothing was written")
    written = []
    for folder in spec.folders:
        (root / folder).mkdir(parents=True, exist_ok=True)
    for rel, content in spec.files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8", newline="\n")
        written.append(path)
    return written
