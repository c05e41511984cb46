"""Memory given back after big answers (web/allocator.py): the middleware `annotate serve`
wraps its app in sends every answer as it was, closes it, and trims glibc's free memory
once the process has grown; elsewhere it does nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from annotate.web import allocator

from .webutil import make_app


def _call(app: Any, path: str) -> tuple[str, bytes]:
    from werkzeug.test import EnvironBuilder

    environ = EnvironBuilder(path=path).get_environ()
    status: list[str] = []
    body = app(environ, lambda s, h, exc=None: status.append(s))
    try:
        data = b"".join(body)
    finally:
        body.close()
    return status[0], data


def test_answers_pass_through_unchanged_and_are_closed(workdir: Path) -> None:
    flask_app = make_app(workdir)
    plain = flask_app.test_client().get("/api/claims?limit=5").get_data()
    flask_app.wsgi_app = allocator.TrimAfter(flask_app.wsgi_app)
    status, body = _call(flask_app, "/api/claims?limit=5")
    assert status.startswith("200")
    assert body == plain

    closed: list[bool] = []

    class Body:
        def __iter__(self) -> Any:
            return iter([b"a", b"b"])

        def close(self) -> None:
            closed.append(True)

    wrapped = allocator.TrimAfter(lambda environ, start: Body())
    out = wrapped({}, lambda *a: None)
    assert b"".join(out) == b"ab"
    out.close()
    assert closed == [True]


@pytest.mark.skipif(not allocator.available(), reason="glibc's allocator only")
def test_a_response_after_growth_trims_and_one_without_does_not() -> None:
    held: list[bytes] = []

    def app(environ: dict[str, Any], start: Any) -> list[bytes]:
        if environ.get("grow"):
            held.append(b"x" * (64 * 1024 * 1024))  # 64 MB written: resident
        start("200 OK", [])
        return [b"ok"]

    wrapped = allocator.TrimAfter(app, growth=32 * 1024 * 1024)
    wrapped({}, lambda *a: None).close()
    assert wrapped.trims == 0
    wrapped({"grow": True}, lambda *a: None).close()
    assert wrapped.trims == 1
    wrapped({}, lambda *a: None).close()  # measured from the last trim: no growth since
    assert wrapped.trims == 1


def test_without_glibc_nothing_is_done(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(allocator, "_LIBC", None)
    assert not allocator.available()
    assert not allocator.trim()
    assert not allocator.limit_arenas()


@pytest.mark.skipif(not allocator.available(), reason="glibc's allocator only")
def test_the_operator_s_malloc_arena_max_is_left_as_it_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert not allocator.limit_arenas()
