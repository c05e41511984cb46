"""What the pages and the API share: the workspace, CSRF, origin checks, headers, errors.

Store errors are mapped to HTTP answers here, in one place.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, jsonify, request, session
from werkzeug.exceptions import HTTPException

from ..errors import AnnotateError, BrokenRecord, StaleVersion
from ..record.service import Workspace

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)


def workspace() -> Workspace:
    """The workspace the app serves."""
    ws: Workspace = current_app.extensions["annotate"]
    return ws


def actor() -> str:
    """Who makes the change: the logged-in user (team mode) or the configured reviewer name."""
    user = g.get("user")
    if user is not None:
        return str(user.name)
    return str(current_app.config["REVIEWER"])


def csrf_token() -> str:
    """This session's CSRF token (made on first use)."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def is_api() -> bool:
    """Whether the request is for the JSON API (answers in JSON, errors too)."""
    return request.path.startswith("/api/") or request.path == "/healthz"


def error_json(
    status: int, message: str, details: list[dict[str, str]] | None = None, **extra: Any
) -> Response:
    """The API's error body: `{"error": ..., "details": [...]}`."""
    body = {"error": message, "details": details or [], **extra}
    resp = jsonify(body)
    resp.status_code = status
    return resp


class Refused(AnnotateError):
    """A request refused before it reaches a view (bad origin, CSRF, content type)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _same_origin() -> bool:
    origin = request.headers.get("Origin")
    if origin is None:
        # Browsers send Origin with every cross-site write; tools such as curl send none.
        return True
    parts = urlsplit(origin)
    return parts.netloc == request.host and parts.scheme in ("http", "https")


def _guard_writes() -> None:
    if request.method in SAFE_METHODS:
        return
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


def _headers(resp: Response) -> Response:
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
    """Install the guards, headers, template helpers and error handlers."""
    from . import auth

    app.extensions["annotate_hosts"] = auth.allowed_hosts(app)
    app.before_request(auth.check_host)
    app.before_request(auth.authenticate)
    app.before_request(_guard_writes)
    app.before_request(auth.authorize)
    app.after_request(_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["store_problems"] = lambda: workspace().store.counts().problems

    @app.errorhandler(AnnotateError)
    def annotate_error(exc: AnnotateError) -> Any:
        resp: Any
        if is_api():
            extra: dict[str, Any] = {}
            if isinstance(exc, StaleVersion):
                extra["current"] = exc.current.public()
            if isinstance(exc, BrokenRecord):
                extra["file"] = exc.file
            resp = error_json(exc.status, exc.message, exc.details, **extra)
            if isinstance(exc, StaleVersion):
                resp.headers["ETag"] = f'"{exc.current.version}"'
        else:
            from .pages import error_page

            resp = error_page(exc.status, exc.message)
        return resp

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        status = exc.code or 500
        message = exc.description or exc.name
        if status == 413:
            message = "the request is too large"
        if is_api():
            return error_json(status, f"{exc.name}: {message}")
        from .pages import error_page

        return error_page(status, message)
