"""What the commands share: click's settings and the workspace and base URL options."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..errors import InvalidInput
from ..formats.export import DEFAULT_BASE_URL
from ..record.reviews import ReviewRules
from ..record.service import Workspace
from ..record.settings import SETTINGS_FILE, load_settings

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def workspace_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`--seeds`, `--store` and `--settings`, shared by every command; the workspace has the
    desk's review rules (a command that takes `desk` gets the settings themselves)."""

    @click.option(
        "--seeds",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="ANNOTATE_SEEDS",
        default="seeds",
        show_default=True,
        help="Corpus folder: <id>.txt documents and <id>.json metadata.",
    )
    @click.option(
        "--store",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="ANNOTATE_STORE",
        default="fixtures",
        show_default=True,
        help="Store folder: one <claim-id>.json file per claim.",
    )
    @click.option(
        "--settings",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="ANNOTATE_SETTINGS",
        default=None,
        help=f"The desk's settings file [default: {SETTINGS_FILE} in the current folder, "
        "if there is one].",
    )
    @functools.wraps(fn)
    def wrapper(*args: Any, seeds: Path, store: Path, settings: Path | None, **kwargs: Any) -> Any:
        for label, folder in (("--seeds", seeds), ("--store", store)):
            if not folder.is_dir():
                raise click.UsageError(f"{label}: folder '{folder}' does not exist")
        try:
            desk = load_settings(settings)
        except InvalidInput as exc:
            raise click.UsageError(exc.message) from None
        rules = ReviewRules.for_mode(False, desk.reviews.required, desk.reviews.blind)
        ws = Workspace.open(seeds, store, rules=rules)
        if "desk" in inspect.signature(fn).parameters:
            kwargs["desk"] = desk
        return fn(*args, ws=ws, **kwargs)

    return wrapper


def base_url_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`--base-url`, the app's public URL (environment `ANNOTATE_BASE_URL`)."""
    return click.option(
        "--base-url",
        envvar="ANNOTATE_BASE_URL",
        default=DEFAULT_BASE_URL,
        show_default=True,
        help="Public URL of the app: review pages, annotation ids, documents without a url.",
    )(fn)
