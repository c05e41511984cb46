"""What the commands share: click's settings and the workspace and base URL options."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from ..errors import InvalidInput
from ..formats.export import DEFAULT_BASE_URL, DEFAULT_ORG_NAME
from ..record.reviews import ReviewRules
from ..record.service import Workspace
from ..record.settings import SETTINGS_FILE, DeskSettings, load_settings

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class Folder(click.Path):
    """A folder's path; an empty one is refused (`Path("")` is the current folder: an empty
    `--store=` served the folder the command was started in as the store)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not value.strip():
            self.fail("an empty name: name a folder", param, ctx)
        return super().convert(value, param, ctx)


FOLDER = Folder(file_okay=False, path_type=Path)


def workspace_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`--seeds`, `--store` and `--settings`, shared by every command; the workspace has the
    desk's review rules (a command that takes `desk` gets the settings themselves)."""

    @click.option(
        "--seeds",
        type=FOLDER,
        envvar="ANNOTATE_SEEDS",
        default="seeds",
        show_default=True,
        help="Corpus folder: <id>.txt documents and <id>.json metadata.",
    )
    @click.option(
        "--store",
        type=FOLDER,
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
        kwargs.update(from_settings(desk, kwargs))
        rules = ReviewRules.for_mode(False, desk.reviews.required, desk.reviews.blind)
        ws = Workspace.open(seeds, store, rules=rules)
        if "desk" in inspect.signature(fn).parameters:
            kwargs["desk"] = desk
        return fn(*args, ws=ws, **kwargs)

    return wrapper


SETTING_OF: dict[str, tuple[str, str]] = {
    "base_url": ("publish", "base_url"),
    "org_name": ("publish", "org_name"),
    "org_url": ("publish", "org_url"),
    "org_logo": ("publish", "org_logo"),
    "host": ("serve", "host"),
    "port": ("serve", "port"),
    "reviewer": ("serve", "reviewer"),
    "threads": ("serve", "threads"),
    "running": ("serve", "running"),
    "workers": ("serve", "workers"),
    "server_name": ("serve", "server"),
    "sync_every": ("serve", "sync_every"),
    "sync_remote": ("serve", "sync_remote"),
    "users_path": ("serve", "users"),
    "allowed_hosts": ("serve", "allowed_hosts"),
    "https": ("serve", "https"),
    "trusted_proxies": ("serve", "trusted_proxies"),
}
"""Which setting of the settings file stands in for which option (parameter name) of a
command: `serve`'s from `[serve]` (for `serve` only), the public URL and organisation from
`[publish]` (for every command that has the option). (The
review rules, `[reviews]`, are read by every command through the workspace.)"""


def from_settings(desk: DeskSettings, given: dict[str, Any]) -> dict[str, Any]:
    """The options of `given` that the command line and the environment left at their
    default, set from the settings file where it has them: a flag given wins, then its
    environment variable, then the file, then the built-in default."""
    ctx = click.get_current_context()
    out: dict[str, Any] = {}
    for name in given:
        if name not in SETTING_OF:
            continue
        source = ctx.get_parameter_source(name)
        if source not in (None, ParameterSource.DEFAULT, ParameterSource.DEFAULT_MAP):
            continue
        section, key = SETTING_OF[name]
        if section == "serve" and ctx.command.name != "serve":
            continue  # `[serve] reviewer` is not who re-anchors or imports
        value = getattr(getattr(desk, section), key)
        if value is None:
            continue
        if name == "users_path":
            value = Path(value)
        elif name == "allowed_hosts":
            value = tuple(value)
        out[name] = value
    return out


def org_name_option(help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`--org-name`, the desk's name (environment `ANNOTATE_ORG_NAME`, setting
    `[publish] org_name`), with what it is used for in this command."""
    return click.option(
        "--org-name",
        envvar="ANNOTATE_ORG_NAME",
        default=DEFAULT_ORG_NAME,
        show_default=True,
        help=f"{help} (setting [publish] org_name).",
    )


def base_url_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`--base-url`, the app's public URL (environment `ANNOTATE_BASE_URL`, setting
    `[publish] base_url`)."""
    return click.option(
        "--base-url",
        envvar="ANNOTATE_BASE_URL",
        default=DEFAULT_BASE_URL,
        show_default=True,
        help="Public URL of the app: review pages, annotation ids, documents without a url "
        "(setting [publish] base_url).",
    )(fn)
