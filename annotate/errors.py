"""The project's own exceptions; `web.py` maps them to HTTP answers in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .record.models import Claim


class AnnotateError(Exception):
    """Base of every error the library raises on purpose."""

    status = 400

    def __init__(self, message: str, details: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class InvalidInput(AnnotateError):
    """The input breaks a rule of the models or does not match the corpus (422)."""

    status = 422


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

    def __init__(self, message: str, file: str, problems: list[dict[str, str]]) -> None:
        super().__init__(message, problems)
        self.file = file
