"""The request's body read whole before the app answers, so that a kept-alive connection
survives an answer that never needed the body.

Many answers come before the body is read: a stale `If-Match` is 412 before the body is
looked at (preconditions come first), and so are 428, 401, 403, 404 and a refused Host.
granian hands the connection to hyper, which, when the app leaves part of a body unread,
drains only what it has already received and otherwise closes the connection after the
answer (hyper's `Conn::poll_drain_or_close_read`), without `Connection: close` when the
answer's head was already written. A client that sent its headers and its body in two
writes (Python's `http.client` and `requests` do) then meets a closed connection on its
next request: `BrokenPipeError` or `ConnectionResetError` on a request the server never
saw (docs/api.md, "Kept-alive connections"). Read whole first, the body is off the wire
before the answer is sent, on every server.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any


class ReadWhole:
    """WSGI middleware: a request body of up to `limit` bytes (by its `Content-Length`) is
    read from the server before the app runs, and the app reads it from memory. A larger
    one is left to the app (which refuses it: 413) and to the server (which closes)."""

    def __init__(self, app: Callable[..., Iterable[bytes]], limit: int) -> None:
        self.app = app
        self.limit = limit

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        raw = environ.get("CONTENT_LENGTH") or ""
        length = int(raw) if raw.isascii() and raw.isdigit() else 0
        if 0 < length <= self.limit:
            stream, parts, left = environ["wsgi.input"], [], length
            while left:
                part = stream.read(left)
                if not part:  # the client stopped short: the app sees what came
                    break
                parts.append(part)
                left -= len(part)
            environ["wsgi.input"] = io.BytesIO(b"".join(parts))
        return self.app(environ, start_response)
