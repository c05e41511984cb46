"""annotate: a fact-check annotation tool whose record lives in git and checks itself in CI."""

from __future__ import annotations

import getpass
import os
import secrets
from pathlib import Path
from typing import Any

__version__ = "0.1.0"

PACKAGE = Path(__file__).resolve().parent


def _templates() -> Path:
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
    from flask import Flask
    from flask_htmx import HTMX

    from . import api, docpages, pages, web
    from .export import ExportSettings
    from .service import Workspace

    app = Flask(__name__, template_folder=str(_templates()), static_folder="static")
    app.config.from_mapping(
        SEEDS=os.environ.get("ANNOTATE_SEEDS", "seeds"),
        STORE=os.environ.get("ANNOTATE_STORE", "fixtures"),
        REVIEWER=os.environ.get("ANNOTATE_REVIEWER") or default_reviewer(),
        SECRET_KEY=os.environ.get("ANNOTATE_SECRET_KEY") or secrets.token_hex(32),
        BASE_URL=os.environ.get("ANNOTATE_BASE_URL", "http://127.0.0.1:5000"),
        ORG_NAME=os.environ.get("ANNOTATE_ORG_NAME") or None,
        ORG_URL=os.environ.get("ANNOTATE_ORG_URL") or None,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        FSYNC=True,
    )
    if test_config is not None:
        app.config.from_mapping(test_config)
    app.extensions["annotate"] = Workspace.open(
        app.config["SEEDS"], app.config["STORE"], fsync=app.config["FSYNC"]
    )
    defaults = ExportSettings()
    app.extensions["annotate_export"] = ExportSettings(
        base_url=app.config["BASE_URL"],
        org_name=app.config["ORG_NAME"] or defaults.org_name,
        org_url=app.config["ORG_URL"],
    )
    HTMX(app)
    web.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(docpages.bp)
    return app
