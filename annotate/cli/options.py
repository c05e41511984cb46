"""What the commands share: click's settings and the workspace and base URL options."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..formats.export import DEFAULT_BASE_URL
from ..record.service import Workspace

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def workspace_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`--seeds` and `--store`, shared by every command."""

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
    @functools.wraps(fn)
    def wrapper(*args: Any, seeds: Path, store: Path, **kwargs: Any) -> Any:
        for label, folder in (("--seeds", seeds), ("--store", store)):
            if not folder.is_dir():
                raise click.UsageError(f"{label}: folder '{folder}' does not exist")
        return fn(*args, ws=Workspace.open(seeds, store), **kwargs)

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
