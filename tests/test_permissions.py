"""Permissions are declared on each view (`web.common.permission`); a view without one is
refused, in local mode as in team mode."""

from __future__ import annotations

from pathlib import Path

from annotate.web.common import declared_permission

from .webutil import make_app


def test_every_view_of_the_app_declares_a_permission(workdir: Path) -> None:
    app = make_app(workdir)
    with app.test_request_context():
        undeclared = [e for e in app.view_functions if declared_permission(e) is None]
    assert undeclared == []


def test_an_endpoint_without_a_declared_permission_is_refused(workdir: Path) -> None:
    app = make_app(workdir)
    app.add_url_rule("/undeclared", "undeclared", lambda: "served", methods=["GET", "POST"])
    client = app.test_client()
    for resp in (
        client.get("/undeclared"),
        client.get("/undeclared", headers={"HX-Request": "true"}),
    ):
        assert resp.status_code == 403
        assert b"served" not in resp.data
        assert b"declares no permission" in resp.data


def test_a_declared_view_is_served(workdir: Path) -> None:
    app = make_app(workdir)
    assert app.test_client().get("/healthz").status_code == 200
