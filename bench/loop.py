"""Many keep-alive HTTP/1.1 connections driven from one thread: a load generator that costs
the machine little, so that a benchmark measures the server and not its clients.

`http.client` in one thread per connection spends ~0.3 ms of CPU per request in Python and
hands the interpreter lock back and forth between the threads; on a 2-core machine that is
CPU the server under test no longer has. Here one thread keeps every connection busy with a
`selectors` loop: each connection sends its next request as soon as the answer to the last
one is in (closed loop, like a user who waits for the answer), requests are built from bytes,
and an answer is parsed only as far as its status line, `Content-Length` and `ETag`.
"""

from __future__ import annotations

import selectors
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Answer:
    """One answer: status, the ETag header (or ""), the body and the time it took."""

    status: int
    etag: str
    body: bytes
    seconds: float


Next = Callable[[int], bytes | None]
"""Given the connection number, the next request's bytes (None: this connection is done)."""
Done = Callable[[int, Answer], None]
"""Told each answer, with the connection number it came on."""


@dataclass
class _Conn:
    i: int
    sock: socket.socket
    out: memoryview = field(default_factory=lambda: memoryview(b""))
    buf: bytearray = field(default_factory=bytearray)
    sent_at: float = 0.0
    need: int = -1  # bytes of the whole answer, once its header is in
    body_at: int = 0
    status: int = 0
    etag: str = ""


def request(method: str, path: str, host: str, body: bytes = b"", **headers: str) -> bytes:
    """The bytes of one HTTP/1.1 request (keep-alive); `headers` with `_` for `-`."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def run(
    servers: list[tuple[str, int]], connections: int, seconds: float, next_: Next, done: Done
) -> float:
    """Keep `connections` connections busy for `seconds` (each finishes the request it has in
    flight); the time it took. Connection i goes to server i % len(servers). A connection the
    server closes is opened again; a request in flight on it is answered with status 0 (its
    fate unknown).

    :raise TimeoutError: when answers stop coming for a minute.
    """
    sel = selectors.DefaultSelector()
    conns: dict[int, _Conn] = {}

    def connect(i: int) -> _Conn:
        sock = socket.create_connection(servers[i % len(servers)])
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        c = _Conn(i, sock)
        conns[i] = c
        return c

    def send_next(c: _Conn, now: float) -> None:
        data = next_(c.i) if now < stop else None
        if data is None:
            sel.unregister(c.sock)
            c.sock.close()
            del conns[c.i]
            return
        c.out, c.buf, c.need, c.sent_at = memoryview(data), bytearray(), -1, time.perf_counter()
        flush(c)

    def flush(c: _Conn) -> None:
        try:
            while c.out:
                c.out = c.out[c.sock.send(c.out) :]
        except BlockingIOError:
            pass
        sel.modify(c.sock, selectors.EVENT_WRITE if c.out else selectors.EVENT_READ, c)

    def lost(c: _Conn) -> None:
        done(c.i, Answer(0, "", b"", time.perf_counter() - c.sent_at))
        sel.unregister(c.sock)
        c.sock.close()
        fresh = connect(c.i)
        sel.register(fresh.sock, selectors.EVENT_READ, fresh)
        send_next(fresh, time.perf_counter())

    started = time.perf_counter()
    stop = started + seconds
    for i in range(connections):
        c = connect(i)
        sel.register(c.sock, selectors.EVENT_READ, c)
        send_next(c, started)
    while conns:
        ready = sel.select(timeout=1.0)
        if not ready and time.perf_counter() > stop + 60:
            raise TimeoutError("no answer from the server for a minute")
        for key, events in ready:
            c = key.data
            if events & selectors.EVENT_WRITE:
                flush(c)
                continue
            try:
                chunk = c.sock.recv(1 << 18)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                chunk = b""
            if not chunk:
                lost(c)
                continue
            c.buf += chunk
            if c.need < 0:
                end = c.buf.find(b"\r\n\r\n")
                if end < 0:
                    continue
                head = bytes(c.buf[:end]).decode("latin-1").split("\r\n")
                c.status, c.etag, c.body_at = int(head[0].split(" ", 2)[1]), "", end + 4
                length = 0
                for line in head[1:]:
                    name, _, value = line.partition(":")
                    name = name.lower()
                    if name == "content-length":
                        length = int(value)
                    elif name == "etag":
                        c.etag = value.strip()
                c.need = c.body_at + length
            if len(c.buf) < c.need:
                continue
            now = time.perf_counter()
            body = bytes(c.buf[c.body_at : c.need])
            done(c.i, Answer(c.status, c.etag, body, now - c.sent_at))
            send_next(c, now)
    sel.close()
    return time.perf_counter() - started
