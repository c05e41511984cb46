"""`annotate init`: a new desk's repository of annotations, ready for `git init`.

The folders are the command line's defaults (`seeds/` for the corpus, `fixtures/` for the
store), so every command works in it without options; CI runs `annotate check` on every push
and pull request and shows problems as annotations on the changed files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import __version__

WORKFLOW = ".github/workflows/annotate.yml"


@dataclass(frozen=True)
class Template:
    """The files of a new desk, by path relative to its folder."""

    files: dict[str, str]
    folders: tuple[str, ...] = ("seeds", "fixtures")


def default_package() -> str:
    """What the workflow installs: this version of annotate."""
    return f"annotate=={__version__}"


def template(name: str, package: str) -> Template:
    """The files of a desk called `name` whose CI installs `package` (a pip requirement)."""
    quoted = package.replace("'", "'\"'\"'")
    workflow = f"""\
# Checks every claim against the articles on each push and pull request:
# schema, every quote at its offsets, verdict and source rules, dangling references.
name: annotate check

on:
  push:
  pull_request:

permissions:
  contents: read

jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - name: Install annotate
        run: python -m pip install '{quoted}'
      - name: Check the annotations
        run: annotate check --format github
"""
    readme = f"""\
# {name}

Fact-check annotations kept with [annotate](https://pypi.org/project/annotate/) {__version__}.

- `seeds/`: the articles, one `<id>.txt` each with its metadata in `<id>.json`.
- `fixtures/`: the claims, one JSON file each, with verdicts, sources and history.
- `.github/workflows/annotate.yml`: CI runs `annotate check` on every push and pull request.

```sh
annotate add article.html notes.txt       # bring articles in (text or HTML)
pbpaste | annotate add - --outlet "..."   # or pasted text
annotate serve                            # annotate them in the browser
annotate check                            # what CI runs
git add -A && git commit -m "Annotate ..."
```

Articles are never rewritten once claims point into them, except with
`annotate doc replace ID FILE`, which shows what moves and what is orphaned before saving.
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
    return Template(
        files={
            "README.md": readme,
            ".gitignore": gitignore,
            WORKFLOW: workflow,
            "seeds/.gitkeep": "",
            "fixtures/.gitkeep": "",
        }
    )


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
