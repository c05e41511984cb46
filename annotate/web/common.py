"""What every view shares: the workspace and who acts, reading the request (JSON body,
`If-Match`, forms, htmx), answering (HTML, JSON errors, error pages), the permission each
view declares, and the guards and headers around every request.

Errors are turned into HTTP answers here, in one place (their statuses are in `errors.py`).
"""

from __future__ import annotations

import dataclasses
import hmac
import ipaddress
import secrets
from collections.abc import Callable, Sequence
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

from flask import Flask, current_app, g, jsonify, redirect, render_template, request, session
from flask import Response as JSONResponse
from flask import url_for as _url_for
from flask_htmx import HTMX
from flask_htmx import make_response as htmx_response
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from ..errors import (
    AnnotateError,
    BadHost,
    BrokenRecord,
    Busy,
    Detail,
    Forbidden,
    InvalidInput,
    PreconditionRequired,
    Refused,
    StaleVersion,
    Unauthorized,
    detail,
    disk_problem,
)
from ..record.accounts import Role, User, Users
from ..record.files import shown
from ..record.models import Claim, month_words
from ..record.reviews import hidden
from ..record.service import Workspace
from .markup import claim_items, marks_html

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)

htmx = HTMX()
"""The request's htmx headers (`bool(htmx)`, `htmx.boosted`, `htmx.target`)."""


# -- the workspace and who acts --------------------------------------------------------------


def workspace() -> Workspace:
    """The workspace the app serves, as this request may read it: under blind review, the
    claims the requester has not reviewed yet without their reviews and final verdict, in
    every page, list, count and export (writes go to the same store)."""
    ws: Workspace = current_app.extensions["annotate"]
    if not ws.rules.blind:
        return ws
    return ws.seen_by(actor(), sees_every_review())


def sees_every_review() -> bool:
    """Whether blind review leaves this request every review: adjudicators see them all,
    and so do viewers, who give no review of their own to be swayed."""
    return may("adjudicator") or not may("reviewer")


def blind_to(claim: Claim) -> bool:
    """Whether blind review hides the reviews and final verdict of `claim` (as read from
    `workspace()`) from this request."""
    ws = workspace()
    return ws.rules.blind and not sees_every_review() and actor() not in claim.reviews


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


def actor() -> str:
    """Who makes the change: the logged-in user (team mode) or the configured reviewer name."""
    user = g.get("user")
    if user is not None:
        return str(user.name)
    return str(current_app.config["REVIEWER"])


def seen_json(claim: Claim) -> dict[str, Any]:
    """The claim's JSON as this request may see it: a claim blind review hides has no
    reviews, no final verdict and no `review_status`, and says `"blind": true`."""
    if not blind_to(claim):
        return claim.public()
    out = hidden(claim).public()
    del out["review_status"]
    out["blind"] = True
    return out


# -- permissions -------------------------------------------------------------------------------

Permission = Literal["open", "viewer", "reviewer", "adjudicator"]
"""What a view needs (team mode): `open` needs no login; the roles need a login, and the role
for any method but GET, HEAD and OPTIONS (reads need a login only)."""

OPEN_BUILTINS = frozenset({"static"})
"""Flask's own endpoints, which cannot carry a declaration."""

V = TypeVar("V", bound=Callable[..., Any])
R = TypeVar("R", bound=Response)
"""A response, of whichever class: `Paging.headers` gives back the one it was given."""


def permission(needs: Permission) -> Callable[[V], V]:
    """Declare what a view needs (put it under the route decorator). A view without one is
    refused, in every mode: a renamed or new view never gets less protection by mistake."""

    def declare(view: V) -> V:
        view.permission = needs  # type: ignore[attr-defined]
        return view

    return declare


def declared_permission(endpoint: str | None) -> Permission | None:
    """What the view of `endpoint` declared (None: nothing, or no such view)."""
    if endpoint in OPEN_BUILTINS:
        return "open"
    view = current_app.view_functions.get(endpoint or "")
    found: Permission | None = getattr(view, "permission", None)
    return found


# -- reading the request ---------------------------------------------------------------------


def body() -> Any:
    """The JSON body. :raise InvalidInput: when it is not JSON."""
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        data = None
    if data is None:
        raise InvalidInput("the body is not valid JSON", [detail("(body)", "not valid JSON")])
    return data


def body_object() -> dict[str, Any]:
    """The JSON body, which must be an object. :raise InvalidInput:"""
    data = body()
    if not isinstance(data, dict):
        raise InvalidInput(
            "the body must be a JSON object", [detail("(body)", "expected an object")]
        )
    return data


def if_match() -> int:
    """The claim version named by `If-Match`.

    :raise PreconditionRequired: when there is none. :raise InvalidInput: when unreadable.
    """
    raw = request.headers.get("If-Match")
    if raw is None or not raw.strip():
        raise PreconditionRequired(
            'If-Match is required: send the ETag of the version you read, e.g. If-Match: "3"'
        )
    value = raw.strip()
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    if not (value.isascii() and value.isdigit()):
        raise InvalidInput(
            f'If-Match must be a claim version such as "3", not {raw!r}',
            [detail("If-Match", 'expected a version like "3"')],
        )
    return int(value)


def form_fields() -> dict[str, str]:
    """What the form sent, without its CSRF token (to show it again after a refusal)."""
    return {k: v for k, v in request.form.items() if k != "csrf_token"}


def fragment_wanted() -> bool:
    """An htmx request that wants a fragment (a boosted one wants the whole page)."""
    return bool(htmx) and not htmx.boosted


# -- answering -------------------------------------------------------------------------------


def html_response(html: str, status: int, trigger: dict[str, str] | None = None) -> Response:
    """An HTML response, with htmx's `HX-Trigger` set through flask-htmx when given."""
    resp: Response = htmx_response(html, status, trigger=trigger)
    return resp


def error_json(
    status: int, message: str, details: list[Detail] | None = None, **extra: Any
) -> JSONResponse:
    """The API's error body: `{"error": ..., "details": [...]}`."""
    resp: JSONResponse = jsonify({"error": message, "details": details or [], **extra})
    resp.status_code = status
    return resp


def error_page(status: int, message: str) -> Response:
    """An error as a page (or as a message fragment for htmx)."""
    if fragment_wanted():
        html = render_template("partials/_message.html", message=message, level="error")
        return html_response(html, status)
    return html_response(render_template("error.html", status=status, message=message), status)


def messages(exc: AnnotateError) -> list[str]:
    """An error's details as `field: message` lines (its message when it has none)."""
    if not exc.details:
        return [exc.message]
    return [f"{d['field']}: {d['message']}" for d in exc.details]


def is_api() -> bool:
    """Whether the request is for a machine, not a page: the JSON API and the W3C
    annotation container (answers in JSON, errors too; 401 rather than the login page)."""
    path = request.path
    return path.startswith(("/api/", "/annotations")) or path == "/healthz"


def csrf_token() -> str:
    """This session's CSRF token (made on first use)."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


# -- the guards around every request -----------------------------------------------------------


def is_loopback(host: str) -> bool:
    """Whether a listening address is on this machine only."""
    name = host.strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


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
    name, sid = session.get("user"), session.get("sid")
    if isinstance(name, str):
        user = found.session_user(name, sid) if isinstance(sid, str) else None
        if user is not None and session.get("stamp") == user.stamp:
            g.user = user
            return None
        # Logged out (here or with a copy of this cookie), ended by `annotate user logout`,
        # removed, or the password was reset: the session ends.
        for key in ("user", "stamp", "sid"):
            session.pop(key, None)
    if declared_permission(request.endpoint) == "open":
        return None
    if is_api() or request.method not in ("GET", "HEAD"):
        raise Unauthorized(
            "log in first: send `Authorization: Bearer <token>` (make one with "
            "`annotate user token NAME`) or log in on the login page"
        )
    return redirect(_url_for("auth.login", next=request.full_path.rstrip("?")))


def authorize() -> None:
    """Refuse a view that declares no permission (every mode), and in team mode a write the
    user's role does not allow (viewers never write)."""
    # No such route: the 404 or 405 follows (a write to one still needs a reviewer).
    needs = declared_permission(request.endpoint) if request.url_rule else "reviewer"
    if needs is None:
        raise Forbidden(
            f"'{request.endpoint}' declares no permission, so it is refused (nothing was changed)"
        )
    if not team_mode() or request.method in SAFE_METHODS or needs == "open":
        return
    user = current_user()
    if user is None:
        raise Unauthorized("log in first")
    if not user.may(needs):
        raise Forbidden(
            f"'{user.name}' is a {user.role}: this needs the {needs} role (nothing was changed)"
        )


def _same_origin() -> bool:
    origin = request.headers.get("Origin")
    if origin is None:
        # Browsers send Origin with every cross-site write; tools such as curl send none.
        return True
    parts = urlsplit(origin)
    return parts.netloc == request.host and parts.scheme in ("http", "https")


def guard_writes() -> None:
    """Refuse a cross-origin write, an API write that is not JSON, a form without its token."""
    if request.method in SAFE_METHODS:
        return
    if request.routing_exception is not None:
        return  # no such route or method: Flask answers 404 or 405 (with Allow), nothing runs
    if g.get("bearer"):
        # A token is sent by a script, never attached by a browser: no CSRF to fear.
        return
    if not _same_origin():
        raise Refused(403, "cross-origin writes are refused")
    if is_api():
        if request.method in ("POST", "PUT", "PATCH") and request.mimetype != "application/json":
            raise Refused(415, "send the body as JSON (Content-Type: application/json)")
        return
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
    expected = session.get("csrf")
    if not isinstance(expected, str) or not hmac.compare_digest(
        sent.encode("utf-8", "replace"), expected.encode()
    ):
        raise Refused(
            403,
            "this form has expired or did not come from this site: reload the "
            "page and try again (nothing was saved)",
        )


def security_headers(resp: Response) -> Response:
    """The headers every answer carries (CSP, no sniffing, no framing, caching of users')."""
    resp.headers.setdefault("Content-Security-Policy", CSP)
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    resp.headers.setdefault("Referrer-Policy", "same-origin")
    resp.headers.setdefault("X-Frame-Options", "DENY")
    if resp.status_code == 401 and is_api():
        resp.headers.setdefault("WWW-Authenticate", 'Bearer realm="annotate"')
    if current_app.config.get("HTTPS"):
        resp.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if g.get("user") is not None:
        resp.headers.setdefault("Cache-Control", "private, no-store")
    return resp


def init_app(app: Flask) -> None:
    """Install htmx, the guards, headers, template helpers and error handlers."""
    htmx.init_app(app)
    app.extensions["annotate_hosts"] = allowed_hosts(app)
    app.before_request(check_host)
    app.before_request(authenticate)
    app.before_request(guard_writes)
    app.before_request(authorize)
    app.after_request(security_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.filters["marks"] = marks_html
    app.jinja_env.globals["claim_items"] = claim_items
    app.jinja_env.filters["month"] = month_words
    app.jinja_env.filters["file_name"] = shown
    app.jinja_env.globals["store_problems"] = lambda: workspace().problems()

    @app.errorhandler(AnnotateError)
    def annotate_error(exc: AnnotateError) -> Any:
        resp: Any
        if is_api():
            extra: dict[str, Any] = {}
            if isinstance(exc, StaleVersion):
                extra["current"] = seen_json(exc.current)
            if isinstance(exc, BrokenRecord):
                extra["file"] = exc.file
            resp = error_json(exc.status, exc.message, exc.details, **extra)
            if isinstance(exc, StaleVersion):
                resp.headers["ETag"] = f'"{exc.current.version}"'
        else:
            resp = error_page(exc.status, exc.message)
        if isinstance(exc, Busy):
            resp.headers["Retry-After"] = str(exc.retry_after)
        return resp

    @app.errorhandler(OSError)
    def disk_error(exc: OSError) -> Any:
        problem = disk_problem(exc)
        if problem is None:
            raise exc
        current_app.logger.error("write refused by the disk: %s", exc)
        resp = annotate_error(problem)
        resp.headers["X-Annotate-Error"] = problem.message
        return resp

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        status = exc.code or 500
        message = exc.description or exc.name
        if status == 413:
            message = "the request is too large"
        resp = (
            error_json(status, f"{exc.name}: {message}")
            if is_api()
            else error_page(status, message)
        )
        for name, value in exc.get_headers():
            if name.lower() in ("allow", "retry-after", "www-authenticate"):
                resp.headers[name] = value
        return resp


DEFAULT_LIMIT = 100
"""Items per page of an API list when the request names no `limit`."""

MAX_LIMIT = 1000
"""The most items a page of an API list may have (`limit`)."""


@dataclasses.dataclass(frozen=True)
class Paging:
    """The window of an API list a request asks for (`limit` items from `offset`)."""

    limit: int
    offset: int

    @classmethod
    def asked(cls) -> Paging:
        """The `limit` and `offset` of the request (defaults `DEFAULT_LIMIT` and 0).

        :raise InvalidInput: naming the parameter that is not a whole number in its range.
        """
        return cls(
            _whole_arg("limit", DEFAULT_LIMIT, 1, MAX_LIMIT), _whole_arg("offset", 0, 0, None)
        )

    def window(self, items: Sequence[T]) -> Sequence[T]:
        """This page of `items` (empty past the end)."""
        return items[self.offset : self.offset + self.limit]

    def headers(self, resp: R, total: int) -> R:
        """`resp` with the list's `X-Total-Count` and a `Link` (RFC 8288) to its `first`,
        `last`, and where there are some, `prev` and `next` pages, each URL the request's own
        with its `offset` and `limit` (the other parameters kept, so filters apply to every
        page)."""
        args = {k: v for k, v in request.args.items() if k not in ("offset", "limit")}

        def link(offset: int, rel: str) -> str:
            values: dict[str, Any] = {
                **(request.view_args or {}),
                **args,
                "offset": offset,
                "limit": self.limit,
            }
            url = _url_for(request.endpoint or "", **values)
            return f'<{url}>; rel="{rel}"'

        last = max(0, (total - 1) // self.limit * self.limit)
        links = [link(0, "first")]
        if self.offset > 0:
            links.append(link(max(0, min(self.offset, total) - self.limit), "prev"))
        if self.offset + self.limit < total:
            links.append(link(self.offset + self.limit, "next"))
        links.append(link(last, "last"))
        resp.headers["Link"] = ", ".join(links)
        resp.headers["X-Total-Count"] = str(total)
        return resp


T = TypeVar("T")


def _whole_arg(name: str, default: int, low: int, high: int | None) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    value = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else None
    if value is None or value < low or (high is not None and value > high):
        wanted = f"a whole number from {low} to {high}" if high else f"a whole number from {low}"
        raise InvalidInput(f"{name}: '{raw[:40]}' is not {wanted}", [detail(name, wanted)])
    return value
