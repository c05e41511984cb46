"""The Flask app: one workspace served as the reviewer's pages and the JSON API."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
from flask import Flask
from flask.json.provider import DefaultJSONProvider

from .. import default_reviewer, templates_folder
from ..formats.export import DEFAULT_BASE_URL, DEFAULT_ORG_NAME, ExportSettings
from ..record.accounts import (
    FailureLimiter,
    SharedFailureLimiter,
    Users,
    login_counts,
    secret_key,
)
from ..record.reviews import ReviewRules
from ..record.service import Workspace
from ..record.settings import load_settings
from . import api, common, documents, login, pages, protocol, views
from .bodies import ReadWhole


def set_base_url(app: Any, base_url: str) -> None:
    """Give an app made already its public base URL: `serve --port 0` learns its port only
    once it is bound. The host stays (the names it answers to are unchanged)."""
    app.config["BASE_URL"] = base_url
    settings = app.extensions["annotate_export"]
    app.extensions["annotate_export"] = replace(settings, base_url=base_url)


class FastJSON(DefaultJSONProvider):
    """Flask's JSON answers, encoded by orjson: the same JSON (keys sorted, compact, dates
    and dataclasses as Flask gives them), characters beyond ASCII as UTF-8 rather than
    escaped, in a tenth of the time (a page of 100 claims: 0.12 ms, `json.dumps` 1.3 ms)."""

    OPTIONS = (
        orjson.OPT_SORT_KEYS
        | orjson.OPT_NON_STR_KEYS
        | orjson.OPT_PASSTHROUGH_DATETIME
        | orjson.OPT_PASSTHROUGH_DATACLASS
        | orjson.OPT_APPEND_NEWLINE
    )
    ITEM = OPTIONS & ~orjson.OPT_APPEND_NEWLINE

    def response(self, *args: Any, **kwargs: Any) -> Any:
        if self._app.debug:
            return super().response(*args, **kwargs)  # indented, for reading
        obj = self._prepare_response_obj(args, kwargs)
        try:
            data = orjson.dumps(obj, default=self.default, option=self.OPTIONS)
        except orjson.JSONEncodeError:  # what orjson does not take (an int past 64 bits)
            return super().response(*args, **kwargs)
        answer: Any = self._app.response_class  # (typed as the sans-IO class: no body)
        return answer(data, mimetype=self.mimetype)

    def array(self, items: Iterable[Any]) -> Any:
        """A JSON answer of a list made one item at a time: each item is encoded as soon as
        it is made and let go, so a page of 1,000 claims holds 1,000 encoded claims rather
        than 1,000 claims and their dicts at once (which left the server 20 MB larger after
        it). The same bytes as `response(list(items))`."""
        if self._app.debug:
            return self.response(list(items))
        parts = []
        for item in items:
            try:
                parts.append(orjson.dumps(item, default=self.default, option=self.ITEM))
            except orjson.JSONEncodeError:  # as `response` does, the standard library's
                parts.append(super().dumps(item, separators=(",", ":")).encode())
        answer: Any = self._app.response_class
        return answer(b"[" + b",".join(parts) + b"]\n", mimetype=self.mimetype)


def create_app(test_config: dict[str, Any] | None = None) -> Any:
    """Create the web app: the reviewer pages and the JSON API over one workspace."""
    app = Flask("annotate", template_folder=str(templates_folder()), static_folder="static")
    app.json = FastJSON(app)
    app.config.from_mapping(
        SEEDS=os.environ.get("ANNOTATE_SEEDS", "seeds"),
        STORE=os.environ.get("ANNOTATE_STORE", "fixtures"),
        REVIEWER=os.environ.get("ANNOTATE_REVIEWER") or default_reviewer(),
        SECRET_KEY=os.environ.get("ANNOTATE_SECRET_KEY") or secrets.token_hex(32),
        # The public URL and the organisation (None: the settings file's [publish], else
        # the defaults).
        BASE_URL=os.environ.get("ANNOTATE_BASE_URL") or None,
        ORG_NAME=os.environ.get("ANNOTATE_ORG_NAME") or None,
        ORG_URL=os.environ.get("ANNOTATE_ORG_URL") or None,
        ORG_LOGO=os.environ.get("ANNOTATE_ORG_LOGO") or None,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="annotate_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        FSYNC=True,
        # Team mode: the users file (None: local mode, no accounts).
        USERS_FILE=os.environ.get("ANNOTATE_USERS") or None,
        ALLOWED_HOSTS=[
            h for h in re.split(r"[,\s]+", os.environ.get("ANNOTATE_ALLOWED_HOSTS", "")) if h
        ],
        HTTPS=False,
        TRUSTED_PROXIES=0,
        LOGIN_FAILURES_PER_USER=5,  # one account from one address
        LOGIN_FAILURES_PER_ACCOUNT=50,  # one account from anywhere
        LOGIN_FAILURES_PER_ADDRESS=100,  # any account from one address (a newsroom behind NAT)
        LOGIN_WINDOW_SECONDS=300,
        # Articles read (HTML extracted) at once; more adds wait as a 503 with Retry-After.
        INGEST_SLOTS=int(os.environ.get("ANNOTATE_INGEST_SLOTS") or 1),
        # Review rules (None: the settings file's, else the mode's default).
        SETTINGS_FILE=os.environ.get("ANNOTATE_SETTINGS") or None,
        REQUIRED_REVIEWS=None,
        BLIND=None,
    )
    if test_config is not None:
        app.config.from_mapping(test_config)
    settings = load_settings(app.config["SETTINGS_FILE"])
    publish = settings.publish
    app.config["BASE_URL"] = app.config["BASE_URL"] or publish.base_url or DEFAULT_BASE_URL
    users = Users(Path(app.config["USERS_FILE"])) if app.config["USERS_FILE"] else None
    if users is not None and users:
        app.extensions["annotate_users"] = users
        if not (test_config or {}).get("SECRET_KEY") and not os.environ.get("ANNOTATE_SECRET_KEY"):
            app.config["SECRET_KEY"] = secret_key(users.path)
    if app.config["HTTPS"] or str(app.config["BASE_URL"]).startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["PREFERRED_URL_SCHEME"] = "https"
    # Every body (up to the size the app takes) off the wire before the app answers: an
    # answer that needs no body (a 412, a 403) would otherwise close a kept-alive
    # connection under granian (see `bodies`).
    app.wsgi_app = ReadWhole(app.wsgi_app, int(app.config["MAX_CONTENT_LENGTH"] or 0))  # type: ignore[method-assign]
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)  # type: ignore[method-assign]
    window = float(app.config["LOGIN_WINDOW_SECONDS"])
    for name, setting in (
        ("user", "LOGIN_FAILURES_PER_USER"),
        ("account", "LOGIN_FAILURES_PER_ACCOUNT"),
        ("address", "LOGIN_FAILURES_PER_ADDRESS"),
    ):
        limit = int(app.config[setting])
        # Team mode: counted in a file beside the users file, shared by every process that
        # serves it (--workers); nobody logs in in local mode.
        app.extensions[f"annotate_login_by_{name}"] = (
            SharedFailureLimiter(login_counts(users.path), name, limit, window)
            if users is not None and users
            else FailureLimiter(limit, window)
        )
    desk = settings.reviews
    rules = ReviewRules.for_mode(
        "annotate_users" in app.extensions,
        required=app.config["REQUIRED_REVIEWS"] or desk.required,
        blind=app.config["BLIND"] if app.config["BLIND"] is not None else desk.blind,
    )
    app.extensions["annotate"] = Workspace.open(
        app.config["SEEDS"], app.config["STORE"], fsync=app.config["FSYNC"], rules=rules
    )
    app.extensions["annotate_export"] = ExportSettings(
        base_url=app.config["BASE_URL"],
        org_name=app.config["ORG_NAME"] or publish.org_name or DEFAULT_ORG_NAME,
        org_url=app.config["ORG_URL"] or publish.org_url,
        org_logo=app.config["ORG_LOGO"] or publish.org_logo,
    )
    common.init_app(app)
    documents.init_ingest(app)
    app.register_blueprint(login.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(protocol.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(documents.bp)
    app.register_blueprint(views.bp)
    return app
