"""The project's own exceptions, each with the HTTP status it answers with (`status`), and
the details they carry. `web/common.py` turns them into answers, in one place."""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:
    from .record.models import Claim


class Detail(TypedDict):
    """What is wrong with one field of an input: the API's `details` items, as sent."""

    field: str
    message: str


def detail(field: str, message: str) -> Detail:
    """The detail of one field (the one way to make one)."""
    return {"field": field, "message": message}


class AnnotateError(Exception):
    """Base of every error the library raises on purpose."""

    status = 400

    def __init__(self, message: str, details: list[Detail] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class InvalidInput(AnnotateError):
    """The input breaks a rule of the models or does not match the corpus (422)."""

    status = 422


class NothingToChange(InvalidInput):
    """A change that sends the values the claim has already (422 in the pages; the API
    answers 200 with the claim as it is, since sending the same twice is one change)."""

    def __init__(self, message: str, details: list[Detail] | None = None, current: Any = None):
        super().__init__(message, details)
        self.current = current


class StillLinked(InvalidInput):
    """A claim other claims link to cannot be deleted before those links are removed (409;
    its details name the claims that link to it)."""

    status = 409


class NotFound(AnnotateError):
    """No such claim or document (404)."""

    status = 404


class PreconditionRequired(AnnotateError):
    """A change did not name the version it read (428)."""

    status = 428


class StaleVersion(AnnotateError):
    """A change named a version that is no longer current: refused, never merged (412)."""

    status = 412

    def __init__(self, message: str, current: Claim) -> None:
        super().__init__(message)
        self.current = current


class AlreadyExists(AnnotateError):
    """A claim with that id exists already (409)."""

    status = 409


class NotPublishable(AnnotateError):
    """A ClaimReview export asked of a desk without a public base URL (its settings name
    loopback, a private address or none): what it would publish points nowhere."""

    status = 409


class StaleText(AnnotateError):
    """A document's text or metadata changed since it was read: refused, never merged (409)."""

    status = 409


class BrokenRecord(AnnotateError):
    """A claim file on disk cannot be read or does not validate (409, for that claim only).

    The request is fine; the record it names is in a state the server cannot use until someone
    mends the file by hand (`annotate check` says what is wrong). The file is never rewritten:
    a change sent to a broken claim is refused, so nothing in it is lost.
    """

    status = 409

    def __init__(self, message: str, file: str, problems: list[Detail]) -> None:
        super().__init__(message, problems)
        self.file = file


class Unauthorized(AnnotateError):
    """No valid session or token (401)."""

    status = 401


class Forbidden(AnnotateError):
    """Logged in, but the role does not allow this; or a view that declares no permission
    (403)."""

    status = 403


class BadHost(AnnotateError):
    """A Host header that is not one of this server's names (400): DNS rebinding."""

    status = 400


class Refused(AnnotateError):
    """A request refused before it reaches a view (bad origin 403, CSRF 403, content type
    415)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Busy(AnnotateError):
    """The server is doing as much of this expensive work as it takes at once (reading an
    article): try again shortly (503, with `retry_after` seconds)."""

    status = 503
    retry_after = 5


class DiskProblem(AnnotateError):
    """The disk refused a write the request was right to ask for: full (507) or read-only
    (503). Nothing was saved; the reviewer can save again once it is mended."""

    status = 503


_DISK = {
    errno.ENOSPC: (507, "the disk that holds the store is full"),
    errno.EDQUOT: (507, "the store's disk quota is used up"),
    errno.EROFS: (503, "the store is on a read-only file system"),
    errno.EACCES: (503, "the server is not allowed to change the store's files"),
}


def disk_problem(exc: OSError) -> DiskProblem | None:
    """The DiskProblem an OSError of a write stands for, or None when it is not one."""
    known = _DISK.get(exc.errno or 0)
    if known is None:
        return None
    status, what = known
    problem = DiskProblem(
        f"nothing was saved: {what}. What you typed is kept; once the server's administrator "
        "has mended that, save again."
    )
    problem.status = status
    return problem
