"""Team mode's login and logout pages (the sessions, tokens and roles they rest on are
checked in `common.py`, around every request).

Local mode (no users file with users) has no accounts: the server listens on loopback and
every change is recorded under the configured reviewer name. Team mode asks everyone to log in
(pages: a session cookie; API: `Authorization: Bearer <token>`), records the logged-in user
as the author of each change, and lets each role do what it may:

- viewer: read the pages and the API, download exports;
- reviewer: also create and edit claims, give verdicts, cite sources, re-attach orphans;
- adjudicator: also delete claims, and replace a document's text (it re-anchors everyone's
  claims).

Each view declares which of these it needs (`common.permission`). User administration is on
the command line only (`annotate user ...`).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from ..record.accounts import FailureLimiter, SharedFailureLimiter
from .common import current_user, permission, team_mode, users

bp = Blueprint("auth", __name__)


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


def _limits(name: str, address: str) -> list[tuple[FailureLimiter | SharedFailureLimiter, str]]:
    """The counts a login attempt goes against: this account from this address (a few: the
    attacker's address is slowed, the holder elsewhere is not), this account from anywhere
    (many: only a distributed attack reaches it), and this address for any account."""
    ext = current_app.extensions
    key = name.casefold()
    return [
        (ext["annotate_login_by_user"], f"{key}\n{address}"),
        (ext["annotate_login_by_account"], key),
        (ext["annotate_login_by_address"], address),
    ]


@bp.route("/login", methods=["GET", "POST"])
@permission("open")
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
    address = request.remote_addr or "?"
    limits = _limits(name, address)
    # Counted before the password is hashed: concurrent guesses cannot outrun the limits.
    begun: list[tuple[FailureLimiter | SharedFailureLimiter, str, float]] = []
    wait = 0
    for limiter, key in limits:
        wait, stamp = limiter.attempt(key)
        if wait:
            for earlier, k, s in begun:  # refused before any check: not a guess
                earlier.succeeded(k, s)
            break
        begun.append((limiter, key, stamp))
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
        html = render_template(
            "login.html", next=target, name=name, error="Wrong user name or password."
        )
        return Response(html, status=401, mimetype="text/html")
    for limiter, key, stamp in begun:
        limiter.succeeded(key, stamp)
    (pair, pair_key), *_ = limits
    pair.clear(pair_key)  # a right password forgets this address's earlier failures here
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    sid = found.begin_session(user.name, lifetime)
    session.clear()
    session.permanent = True
    session["user"] = user.name
    session["stamp"] = user.stamp
    session["sid"] = sid
    return redirect(target, code=303)


@bp.post("/logout")
@permission("viewer")
def logout() -> Response:
    """End the session, on the server too: a copy of the cookie no longer works."""
    name, sid = session.get("user"), session.get("sid")
    found = users()
    if found is not None and isinstance(name, str) and isinstance(sid, str):
        found.end_session(name, sid)
    session.clear()
    return redirect(url_for("auth.login"), code=303)
