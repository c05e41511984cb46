"""annotate: a fact-check annotation tool whose record lives in git and checks itself in CI."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

__version__ = "0.2.0"
#: The name to install annotate by (`pip install annotate-factcheck`): the name `annotate` on
#: PyPI belongs to an unrelated project. The import package and the command stay `annotate`.
DISTRIBUTION = "annotate-factcheck"

PACKAGE = Path(__file__).resolve().parent


def templates_folder() -> Path:
    # Installed from a wheel the templates sit inside the package; in a checkout (and an
    # editable install) they are the top-level `templates/` folder.
    inside = PACKAGE / "templates"
    return inside if inside.is_dir() else PACKAGE.parent / "templates"


def default_reviewer() -> str:
    """The reviewer name used when none is configured: the OS user."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        return "reviewer"


def create_app(test_config: dict[str, Any] | None = None) -> Any:
    """Create the web app: the reviewer pages and the JSON API over one workspace."""
    from .web.app import create_app as make

    return make(test_config)
