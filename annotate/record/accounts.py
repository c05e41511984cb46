"""Team mode's accounts: a users file outside the store and outside git, and the session key.

The users file (`users.json`, mode 0600) holds each user's role, password hash (werkzeug's
scrypt) and API tokens (SHA-256 of the token: tokens are 256-bit random strings, so a slow KDF
adds nothing for them while every API request would pay for it). Beside it, `secret.key`
(mode 0600) keeps the key that signs session cookies, so sessions survive restarts and are
shared by every server process that uses the same users file.

Every change goes through one read-modify-write under an exclusive lock on `users.json.lock`
and is written atomically (temp file, fsync, rename), as claims are.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import hmac
import json
import os
import re
import secrets
import sqlite3
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, get_args

from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import AnnotateError, InvalidInput, NotFound, detail

Role = Literal["viewer", "reviewer", "adjudicator"]
ROLES: tuple[Role, ...] = get_args(Role)
RANK = {role: i for i, role in enumerate(ROLES)}
"""viewer < reviewer < adjudicator: each role may do what the ones before it may."""

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD = 8
TOKEN_PREFIX = "ant"
TOKEN = re.compile(r"^ant_([0-9a-f]{8})_([A-Za-z0-9_-]{20,100})$")
FORMAT_VERSION = 1


@functools.cache
def _dummy_hash() -> str:
    """A hash no password matches: checking it costs what checking a real one does, so a
    login for an unknown user takes as long as one for a known user with a wrong password.
    Made at the first login, not at import (it cost every command and start 0.12 s)."""
    return generate_password_hash(secrets.token_hex(16))


def default_users_path() -> Path:
    """`$XDG_CONFIG_HOME/annotate/users.json` (or `~/.config/annotate/users.json`)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "annotate" / "users.json"


def check_name(name: str) -> str:
    """A user name as history records it. :raise InvalidInput: when it is not a valid one."""
    if not NAME.match(name):
        raise InvalidInput(
            f"user name {name!r} is not valid: use 1 to 64 letters, digits, '.', '_', '@' "
            "or '-', starting with a letter or digit",
            [detail("name", "1-64 of A-Z a-z 0-9 . _ @ -")],
        )
    return name


def check_role(role: str) -> Role:
    """:raise InvalidInput: when the role is not one of ROLES."""
    for r in ROLES:
        if r == role:
            return r
    raise InvalidInput(
        f"unknown role {role!r}: one of {', '.join(ROLES)}",
        [detail("role", f"one of {', '.join(ROLES)}")],
    )


def check_password(password: str) -> str:
    """:raise InvalidInput: when the password is too short or has control characters."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"the password must have at least {MIN_PASSWORD} characters")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in password):
        raise InvalidInput("the password must not contain control characters")
    return password


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class User:
    """A user as the app sees it on one request."""

    name: str
    role: Role
    password_hash: str

    def may(self, role: Role) -> bool:
        """Whether this user has `role` or a higher one."""
        return RANK[self.role] >= RANK[role]

    @property
    def stamp(self) -> str:
        """Changes when the password does: a session made before a reset is no longer valid."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class TokenInfo:
    """An API token as `annotate user tokens` lists it (never the token itself)."""

    user: str
    id: str
    label: str
    created_at: str


@dataclass
class Users:
    """The users file: read on demand (cached by file signature), changed under a lock."""

    path: Path
    _cache: tuple[tuple[int, int, int], dict[str, Any]] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.path = Path(self.path)

    # -- reading -------------------------------------------------------------------------

    def _data(self) -> dict[str, Any]:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return {"version": FORMAT_VERSION, "users": {}}
        sig = (st.st_mtime_ns, st.st_size, st.st_ino)
        with self._lock:
            if self._cache is not None and self._cache[0] == sig:
                return self._cache[1]
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise AnnotateError(f"users file {self.path} cannot be read: {exc}") from None
            if not isinstance(data, dict) or not isinstance(data.get("users"), dict):
                raise AnnotateError(f"users file {self.path} has no 'users' object")
            self._cache = (sig, data)
            return data

    def names(self) -> list[str]:
        """Every user name, sorted."""
        return sorted(self._data()["users"])

    def __bool__(self) -> bool:
        return bool(self._data()["users"])

    def get(self, name: str) -> User | None:
        """A user by name, or None."""
        return _user(name, self._data()["users"].get(name))

    def records(self) -> list[dict[str, Any]]:
        """Every user with role, creation time and number of tokens (for `user list`)."""
        users = self._data()["users"]
        return [
            {
                "name": n,
                "role": users[n].get("role"),
                "created_at": users[n].get("created_at"),
                "tokens": len(users[n].get("tokens", {})),
            }
            for n in sorted(users)
        ]

    def authenticate(self, name: str, password: str) -> User | None:
        """The user when the password is theirs; None otherwise (in the same time)."""
        dummy = _dummy_hash()  # made (once) whether the user is known or not
        user = self.get(name)
        ok = check_password_hash(user.password_hash if user else dummy, password)
        return user if ok and user is not None else None

    def by_token(self, token: str) -> User | None:
        """The user an API token belongs to, or None (unknown, malformed or revoked)."""
        m = TOKEN.match(token)
        if m is None:
            return None
        digest = _token_hash(token)
        for name, entry in self._data()["users"].items():
            stored = entry.get("tokens", {}).get(m.group(1))
            if isinstance(stored, dict) and hmac.compare_digest(
                str(stored.get("hash", "")), digest
            ):
                return self.get(name)
        return None

    def session_user(self, name: str, sid: str) -> User | None:
        """User `name` when `sid` is one of their live sessions (begun by `begin_session`, not
        ended by logout, `user logout`, a password reset or the user's removal), else None.
        One read of the users file, as every request of a logged-in page makes it."""
        entry = self._data()["users"].get(name)
        sessions = entry.get("sessions") if isinstance(entry, dict) else None
        if not isinstance(sessions, dict) or _token_hash(sid) not in sessions:
            return None
        return _user(name, entry)

    def tokens(self, name: str | None = None) -> list[TokenInfo]:
        """The tokens of one user (or of everyone), without their secrets."""
        users = self._data()["users"]
        if name is not None and name not in users:
            raise NotFound(f"no user '{name}'")
        out = []
        for n in sorted(users) if name is None else [name]:
            for tid, t in sorted(users[n].get("tokens", {}).items()):
                out.append(TokenInfo(n, tid, str(t.get("label", "")), str(t.get("created_at"))))
        return out

    # -- changing ------------------------------------------------------------------------

    @contextmanager
    def _changing(self) -> Iterator[dict[str, Any]]:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock_fd = os.open(self.path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX)
            self._cache = None
            data = json.loads(json.dumps(self._data()))
            yield data
            self._write(data)
        finally:
            os.close(lock_fd)

    def _write(self, data: dict[str, Any]) -> None:
        raw = (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".users.", suffix=".tmp")
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, raw)
            os.fsync(fd)
            os.close(fd)
            os.replace(tmp, self.path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        self._cache = None

    def _user(self, data: dict[str, Any], name: str) -> dict[str, Any]:
        entry = data["users"].get(name)
        if not isinstance(entry, dict):
            raise NotFound(f"no user '{name}' in {self.path}")
        return entry

    def add(self, name: str, role: str, password: str) -> None:
        """Add a user. :raise InvalidInput: bad name, role or password, or the name is taken."""
        check_name(name)
        r = check_role(role)
        check_password(password)
        hashed = generate_password_hash(password)
        with self._changing() as data:
            if name in data["users"]:
                raise InvalidInput(f"user '{name}' exists already")
            data["users"][name] = {
                "role": r,
                "password": hashed,
                "created_at": _now(),
                "tokens": {},
            }

    def begin_session(self, name: str, max_age: float) -> str:
        """A new session of user `name`: its id, kept only as a hash. Sessions older than
        `max_age` seconds are forgotten on the way."""
        sid = secrets.token_urlsafe(32)
        now = time.time()
        with self._changing() as data:
            entry = self._user(data, name)
            sessions = entry.get("sessions")
            if not isinstance(sessions, dict):
                sessions = entry["sessions"] = {}
            for key in [k for k, at in sessions.items() if not _fresh(at, now, max_age)]:
                del sessions[key]
            sessions[_token_hash(sid)] = now
        return sid

    def end_session(self, name: str, sid: str) -> None:
        """End one session (logout); nothing when it has ended already."""
        with self._changing() as data:
            entry = data["users"].get(name)
            if isinstance(entry, dict) and isinstance(entry.get("sessions"), dict):
                entry["sessions"].pop(_token_hash(sid), None)

    def end_sessions(self, name: str) -> int:
        """End every session of a user (`annotate user logout`); how many there were."""
        with self._changing() as data:
            entry = self._user(data, name)
            ended = len(entry.get("sessions") or {})
            entry["sessions"] = {}
        return ended

    def remove(self, name: str) -> None:
        """Remove a user: their sessions and tokens stop working at once."""
        with self._changing() as data:
            self._user(data, name)
            del data["users"][name]

    def set_role(self, name: str, role: str) -> None:
        """Change a user's role (it applies to their next request)."""
        r = check_role(role)
        with self._changing() as data:
            self._user(data, name)["role"] = r

    def set_password(self, name: str, password: str) -> None:
        """Reset a password: every session of that user ends (tokens stay)."""
        check_password(password)
        hashed = generate_password_hash(password)
        with self._changing() as data:
            entry = self._user(data, name)
            entry["password"] = hashed
            entry["sessions"] = {}

    def create_token(self, name: str, label: str = "") -> tuple[str, str]:
        """A new API token for a user: `(token id, token)`. The token is shown only now."""
        if any(ord(ch) < 32 for ch in label) or len(label) > 200:
            raise InvalidInput("the label must be at most 200 printable characters")
        with self._changing() as data:
            entry = self._user(data, name)
            tokens = entry.setdefault("tokens", {})
            tid = secrets.token_hex(4)
            while tid in tokens:
                tid = secrets.token_hex(4)
            token = f"{TOKEN_PREFIX}_{tid}_{secrets.token_urlsafe(32)}"
            tokens[tid] = {"hash": _token_hash(token), "label": label, "created_at": _now()}
        return tid, token

    def revoke(self, name: str, token_id: str) -> None:
        """Revoke one API token of a user. :raise NotFound:"""
        with self._changing() as data:
            tokens = self._user(data, name).get("tokens", {})
            if token_id not in tokens:
                raise NotFound(f"user '{name}' has no token '{token_id}'")
            del tokens[token_id]


def _user(name: str, entry: Any) -> User | None:
    """The User of a users-file entry, or None when it is not a valid one."""
    if not isinstance(entry, dict) or entry.get("role") not in ROLES:
        return None
    return User(name, entry["role"], str(entry.get("password", "")))


def _fresh(at: Any, now: float, max_age: float) -> bool:
    return isinstance(at, (int, float)) and now - at < max_age


def secret_key(users_path: Path) -> str:
    """The session-signing key kept beside the users file (made once, mode 0600)."""
    path = Path(users_path).with_name("secret.key")
    try:
        key = path.read_text(encoding="ascii").strip()
        if len(key) >= 32:
            return key
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_hex(32)
    tmp = path.with_name(f".secret.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, (key + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        # link() fails when another process made the key first: then theirs is the key.
        os.link(tmp, path)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
    finally:
        os.unlink(tmp)
    return key


class FailureLimiter:
    """Counts failed login attempts per key in a sliding window; refuses once over the limit.

    An attempt is counted when it begins (`attempt`), in the same step as the check and before
    the password hash is computed, and given back only when the password was right
    (`succeeded`): concurrent guesses cannot all pass the check while the first ones are still
    hashing, and a flood of guesses costs the server no scrypt work either. Kept in memory:
    each server process counts its own.
    """

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def retry_after(self, key: str) -> int:
        """Seconds until `key` may try again; 0 when it may now."""
        with self._lock:
            now = self.clock()
            q = self._recent(key, now)
            if len(q) < self.limit:
                return 0
            return max(1, int(q[len(q) - self.limit] + self.window - now) + 1)

    def attempt(self, key: str) -> tuple[int, float]:
        """Begin an attempt for `key`: `(seconds to wait, 0.0)` when over the limit (nothing
        counted), else `(0, stamp)` with the attempt counted as a failure until `succeeded`."""
        with self._lock:
            now = self.clock()
            q = self._recent(key, now)
            if len(q) >= self.limit:
                return max(1, int(q[len(q) - self.limit] + self.window - now) + 1), 0.0
            q.append(now)
            self._forget_quiet(now)
            return 0, now

    def succeeded(self, key: str, stamp: float) -> None:
        """The attempt begun at `stamp` was right: it is not a failure."""
        with self._lock:
            q = self._failures.get(key)
            if q is not None and stamp in q:
                q.remove(stamp)

    def _forget_quiet(self, now: float) -> None:
        if len(self._failures) > 100_000:
            # Forget the quiet keys rather than grow without bound under a spray attack.
            for k in [k for k in self._failures if not self._recent(k, now)]:
                del self._failures[k]

    def fail(self, key: str) -> None:
        """Record one failed attempt."""
        with self._lock:
            now = self.clock()
            self._recent(key, now).append(now)
            self._forget_quiet(now)

    def clear(self, key: str) -> None:
        """Forget the failures of a key (after a successful login)."""
        with self._lock:
            self._failures.pop(key, None)


def login_counts(users_file: Path) -> Path:
    """Where the failed logins against a users file are counted (beside it, as private)."""
    return users_file.with_name(users_file.name + ".logins.sqlite")


class SharedFailureLimiter:
    """`FailureLimiter`'s counts kept in a SQLite file beside the users file, so that every
    server process sharing the users file (`annotate serve --workers N`, or two servers on one
    desk) counts the same attempts: N processes no longer give an attacker N times the
    guesses. SQLite (the standard library's `sqlite3`) does the locking between processes;
    the clock is the wall clock, the one they share.
    """

    def __init__(
        self,
        path: Path,
        name: str,
        limit: int,
        window: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self.name = name
        self.limit = limit
        self.window = window
        self.clock = clock
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None or getattr(self._local, "pid", None) != os.getpid():
            old_umask = os.umask(0o077)  # the file says who tried to log in: private
            try:
                db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            finally:
                os.umask(old_umask)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS failures (limiter TEXT, key TEXT, at REAL)")
            db.execute("CREATE INDEX IF NOT EXISTS by_key ON failures (limiter, key, at)")
            self._local.db, self._local.pid = db, os.getpid()
        return db

    def _wait(self, oldest_counting: float, now: float) -> int:
        return max(1, int(oldest_counting + self.window - now) + 1)

    def attempt(self, key: str) -> tuple[int, float]:
        """As `FailureLimiter.attempt`, counted in the shared file."""
        db = self._db()
        now = self.clock()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(
                "DELETE FROM failures WHERE limiter = ? AND key = ? AND at <= ?",
                (self.name, key, now - self.window),
            )
            rows = db.execute(
                "SELECT at FROM failures WHERE limiter = ? AND key = ? ORDER BY at",
                (self.name, key),
            ).fetchall()
            if len(rows) >= self.limit:
                db.execute("COMMIT")
                return self._wait(rows[len(rows) - self.limit][0], now), 0.0
            db.execute(
                "INSERT INTO failures (limiter, key, at) VALUES (?, ?, ?)", (self.name, key, now)
            )
            if int(now * 1000) % 97 == 0:  # now and then, forget every quiet key
                db.execute("DELETE FROM failures WHERE at <= ?", (now - self.window,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return 0, now

    def succeeded(self, key: str, stamp: float) -> None:
        """The attempt begun at `stamp` was right: it is not a failure."""
        self._db().execute(
            "DELETE FROM failures WHERE rowid IN (SELECT rowid FROM failures WHERE limiter = ?"
            " AND key = ? AND at = ? LIMIT 1)",
            (self.name, key, stamp),
        )

    def retry_after(self, key: str) -> int:
        """Seconds until `key` may try again; 0 when it may now."""
        now = self.clock()
        rows = (
            self._db()
            .execute(
                "SELECT at FROM failures WHERE limiter = ? AND key = ? AND at > ? ORDER BY at",
                (self.name, key, now - self.window),
            )
            .fetchall()
        )
        return 0 if len(rows) < self.limit else self._wait(rows[len(rows) - self.limit][0], now)

    def clear(self, key: str) -> None:
        """Forget the failures of a key (after a successful login)."""
        self._db().execute("DELETE FROM failures WHERE limiter = ? AND key = ?", (self.name, key))
