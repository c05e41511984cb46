"""`annotate user ...`: team mode's accounts on the command line, and `serve`'s team options."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..errors import AnnotateError
from ..record.accounts import ROLES, Users, default_users_path

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def users_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`--users PATH` (environment `ANNOTATE_USERS`, default in the user's config folder)."""
    return click.option(
        "--users",
        "users_path",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="ANNOTATE_USERS",
        default=None,
        help="Users file of team mode (keep it out of the store and out of git)  "
        "[default: $XDG_CONFIG_HOME/annotate/users.json]",
    )(fn)


def _friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except AnnotateError as exc:
            raise click.ClickException(exc.message) from None

    return wrapper


def load_users(path: Path | None) -> Users:
    """The users file at `path` (default: the per-user one)."""
    return Users(path or default_users_path())


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    value: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


@click.group(context_settings=CONTEXT)
def user() -> None:
    """Team mode's accounts: add, list, remove users, set roles, reset passwords, API tokens.

    Roles: viewer (reads), reviewer (also creates and edits claims, verdicts and sources),
    adjudicator (also deletes claims). The users file lives outside the store and git.
    """


@user.command(context_settings=CONTEXT)
@users_option
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the user may do.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@_friendly
def add(users_path: Path | None, name: str, role: str, password_stdin: bool) -> None:
    """Add user NAME with a role; the password is asked for (or read with --password-stdin)."""
    users = load_users(users_path)
    users.add(name, role, _password(password_stdin))
    click.echo(f"added {name} ({role}) to {users.path}")


@user.command(name="list", context_settings=CONTEXT)
@users_option
@_friendly
def list_cmd(users_path: Path | None) -> None:
    """List users with their role, creation time and number of API tokens."""
    users = load_users(users_path)
    records = users.records()
    if not records:
        click.echo(f"no users in {users.path}: the server runs in local mode")
        return
    for r in records:
        click.echo(f"{r['name']:<24} {r['role']:<12} {r['created_at']}  tokens: {r['tokens']}")


@user.command(context_settings=CONTEXT)
@users_option
@click.argument("name")
@_friendly
def remove(users_path: Path | None, name: str) -> None:
    """Remove user NAME: their sessions and API tokens stop working at once."""
    load_users(users_path).remove(name)
    click.echo(f"removed {name}")


@user.command(context_settings=CONTEXT)
@users_option
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
@_friendly
def role(users_path: Path | None, name: str, role: str) -> None:
    """Give user NAME another ROLE (from their next request on)."""
    load_users(users_path).set_role(name, role)
    click.echo(f"{name} is now {role}")


@user.command(context_settings=CONTEXT)
@users_option
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@_friendly
def passwd(users_path: Path | None, name: str, password_stdin: bool) -> None:
    """Set a new password for NAME; every session of theirs ends (tokens stay)."""
    load_users(users_path).set_password(name, _password(password_stdin))
    click.echo(f"password of {name} changed; their sessions have ended")


@user.command(context_settings=CONTEXT)
@users_option
@click.argument("name")
@click.option("--label", default="", help="What the token is for (shown by `user tokens`).")
@_friendly
def token(users_path: Path | None, name: str, label: str) -> None:
    """Make an API token for NAME; it is printed once, only its hash is kept.

    Send it as `Authorization: Bearer <token>`; it acts with NAME's role.
    """
    tid, secret = load_users(users_path).create_token(name, label)
    click.echo(f"token {tid} for {name} (shown only now, keep it secret):", err=True)
    click.echo(secret)


@user.command(context_settings=CONTEXT)
@users_option
@click.argument("name", required=False)
@_friendly
def tokens(users_path: Path | None, name: str | None) -> None:
    """List the API tokens of NAME (or of everyone): id, label, creation time."""
    for t in load_users(users_path).tokens(name):
        click.echo(f"{t.user:<24} {t.id}  {t.created_at}  {t.label}")


@user.command(context_settings=CONTEXT)
@users_option
@click.argument("name")
@_friendly
def logout(users_path: Path | None, name: str) -> None:
    """End every session of NAME at once, on every server sharing the users file (for a
    stolen cookie or a lost laptop; API tokens stay: revoke those with `revoke`)."""
    ended = load_users(users_path).end_sessions(name)
    click.echo(f"ended {ended} session(s) of {name}")


@user.command(context_settings=CONTEXT)
@users_option
@click.argument("name")
@click.argument("token_id")
@_friendly
def revoke(users_path: Path | None, name: str, token_id: str) -> None:
    """Revoke API token TOKEN_ID of NAME (it is refused from the next request on)."""
    load_users(users_path).revoke(name, token_id)
    click.echo(f"revoked token {token_id} of {name}")
