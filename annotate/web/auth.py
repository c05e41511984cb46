"""Who may do what: the Host allow-list, team mode's login, sessions, tokens and roles.

Local mode (no users file with users) has no accounts: the server listens on loopback and
every change is recorded under the configured reviewer name. Team mode asks everyone to log in
(pages: a session cookie; API: `Authorization: Bearer <token>`), records the logged-in user
as the author of each change, and lets each role do what it may:

- viewer: read the pages and the API, download exports;
- reviewer: also create and edit claims, give verdicts, cite sources, re-attach orphans;
- adjudicator: also delete claims.

User administration is on the command line only (`annotate user ...`).
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from ..errors import AnnotateError
from ..record.accounts import FailureLimiter, Role, User, Users

bp = Blueprint("auth", __name__)

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
OPEN_ENDPOINTS = frozenset({"api.healthz", "api.openapi", "static", "auth.login"})
ADJUDICATOR_ENDPOINTS = frozenset({"api.delete", "pages.delete", "docs.replace"})
"""Deleting a claim, and replacing a document's text (it re-anchors everyone's claims)."""


class Unauthorized(AnnotateError):
    """No valid session or token (401)."""

    status = 401


class Forbidden(AnnotateError):
    """Logged in, but the role does not allow this (403)."""

    status = 403


class BadHost(AnnotateError):
    """A Host header that is not one of this server's names (400): DNS rebinding."""

    status = 400


def is_loopback(host: str) -> bool:
    """Whether a listening address is on this machine only."""
    name = host.strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def users() -> Users | None:
    """The users of team mode, or None in local mode."""
    found: Users | None = current_app.extensions.get("annotate_users")
    return found


def current_user() -> User | None:
    """The user of this request (team mode), or None."""
    user: User | None = g.get("user")
    return user


def team_mode() -> bool:
    """Whether the app asks people to log in."""
    return users() is not None


def may(role: Role) -> bool:
    """Whether this request may do what `role` may (always, in local mode)."""
    if not team_mode():
        return True
    user = current_user()
    return user is not None and user.may(role)


def allowed_hosts(app: Flask) -> set[str]:
    """Host names this server answers to: loopback names, the base URL's, configured ones."""
    names = {*LOOPBACK_NAMES}
    base = urlsplit(str(app.config.get("BASE_URL") or ""))
    if base.hostname:
        names.add(base.hostname.lower())
    for h in app.config.get("ALLOWED_HOSTS") or ():
        names.add(str(h).strip().lower().strip("[]"))
    return names


def _host_name(raw: str) -> str | None:
    """The name of a Host header without its port; None when it is malformed."""
    raw = raw.strip().lower()
    if not raw or any(ch in raw for ch in "/\\@ \t") or len(raw) > 255:
        return None
    try:
        parts = urlsplit(f"//{raw}")
        name = parts.hostname
        _ = parts.port  # raises ValueError on a bad port
    except ValueError:
        return None
    return name


def check_host() -> None:
    """Refuse a request whose Host is not one of this server's names (DNS rebinding)."""
    if current_app.config.get("ALLOWED_HOSTS") == ["*"]:
        return
    raw = request.headers.get("Host", "")
    name = _host_name(raw)
    if name is None or name not in current_app.extensions["annotate_hosts"]:
        raise BadHost(
            f"Host {raw!r} is not a name of this server; if it should be, start the server "
            "with --allowed-host NAME (or set ANNOTATE_BASE_URL to its public URL)"
        )


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip()


def authenticate() -> Response | None:
    """Find the user of a request (team mode); refuse anonymous ones."""
    found = users()
    if found is None:
        return None
    token = _bearer()
    if token is not None:
        user = found.by_token(token)
        if user is None:
            raise Unauthorized("the API token is not valid (unknown, malformed or revoked)")
        g.user = user
        g.bearer = True
        return None
    name = session.get("user")
    if isinstance(name, str):
        user = found.get(name)
        if user is not None and session.get("stamp") == user.stamp:
            g.user = user
            return None
        # Removed, or the password was reset: the session ends.
        session.pop("user", None)
        session.pop("stamp", None)
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    if request.path.startswith("/api/") or request.method not in ("GET", "HEAD"):
        raise Unauthorized(
            "log in first: send `Authorization: Bearer <token>` (make one with "
            "`annotate user token NAME`) or log in on the login page"
        )
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def authorize() -> None:
    """Refuse a write the user's role does not allow (viewers never write)."""
    if not team_mode() or request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.endpoint in ("auth.login", "auth.logout"):
        return
    user = current_user()
    if user is None:
        raise Unauthorized("log in first")
    need: Role = "adjudicator" if request.endpoint in ADJUDICATOR_ENDPOINTS else "reviewer"
    if not user.may(need):
        raise Forbidden(
            f"'{user.name}' is a {user.role}: this needs the {need} role (nothing was changed)"
        )


def _safe_next(target: str | None) -> str:
    """Where to go after login: a path on this site only (never another host)."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(ch) < 32 for ch in target)
    ):
        return url_for("pages.index")
    return target


def _limiters() -> tuple[FailureLimiter, FailureLimiter]:
    ext = current_app.extensions
    return ext["annotate_login_by_user"], ext["annotate_login_by_address"]


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The login form; a POST checks the password and starts a session."""
    if not team_mode():
        return redirect(url_for("pages.index"))
    target = _safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_user() is not None:
            return redirect(target)
        return render_template("login.html", next=target, name="", error=None)
    name = request.form.get("name", "").strip()
    password = request.form.get("password", "")
    by_user, by_address = _limiters()
    address = request.remote_addr or "?"
    wait = max(by_user.retry_after(name.casefold()), by_address.retry_after(address))
    if wait:
        html = render_template(
            "login.html",
            next=target,
            name=name,
            error=f"Too many failed logins: wait {wait} seconds before trying again.",
        )
        resp = Response(html, status=429, mimetype="text/html")
        resp.headers["Retry-After"] = str(wait)
        return resp
    found = users()
    assert found is not None
    user = found.authenticate(name, password) if name and password else None
    if user is None:
        by_user.fail(name.casefold())
        by_address.fail(address)
        html = render_template(
            "login.html", next=target, name=name, error="Wrong user name or password."
        )
        return Response(html, status=401, mimetype="text/html")
    by_user.clear(name.casefold())
    session.clear()
    session.permanent = True
    session["user"] = user.name
    session["stamp"] = user.stamp
    return redirect(target, code=303)


@bp.post("/logout")
def logout() -> Response:
    """End the session."""
    session.clear()
    return redirect(url_for("auth.login"), code=303)
