"""A desk's settings file (`annotate.toml` at the root of the desk's repository, written by
`annotate init`), so that every server and CI run of a desk applies the same rules; flags on
the command line win over it.

```toml
[reviews]
required = 2    # agreeing reviews that settle a claim (default: 1 in local mode, 2 in team)
blind = true    # hide the others' reviews until you gave yours (default: on in team mode)

[publish]       # where the record is published and by whom (exports, the app's public URL)
base_url = "https://factcheck.example.org"   # --base-url, ANNOTATE_BASE_URL
org_name = "Example Fact Check"              # --org-name, ANNOTATE_ORG_NAME
org_url = "https://example.org"              # --org-url, ANNOTATE_ORG_URL
org_logo = "https://example.org/logo.png"    # --org-logo, ANNOTATE_ORG_LOGO

[serve]         # `annotate serve`'s options (each its flag's name, `-` as `_`)
host = "127.0.0.1"
port = 5000
reviewer = "desk editor"
threads = 8
running = 2
workers = 1
server = "granian"
sync_every = 300
sync_remote = "origin"
users = "/etc/annotate/users.json"
allowed_hosts = ["factcheck.example.org"]
https = true
trusted_proxies = 1
```

A flag given on the command line wins, then its environment variable, then this file, then
the built-in default. Secrets (`ANNOTATE_SECRET_KEY`, API tokens) never go here: the file
is in git.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from ..errors import InvalidInput, detail
from .models import error_details

SETTINGS_FILE = "annotate.toml"


class ReviewSettings(BaseModel):
    """`[reviews]`: None where the file leaves the mode's default."""

    model_config = ConfigDict(extra="forbid", strict=True)

    required: int | None = Field(default=None, ge=1, le=20)
    blind: bool | None = None


def _http_url(value: str) -> str:
    if not re.match(r"^https?://[^\s/$.?#][^\s]*$", value, re.IGNORECASE):
        raise ValueError("must be an http:// or https:// URL")
    return value


Url = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=2000), AfterValidator(_http_url)
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class PublishSettings(BaseModel):
    """`[publish]`: where the record is published and by whom (None: the flag's default)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    base_url: Url | None = None
    org_name: Name | None = None
    org_url: Url | None = None
    org_logo: Url | None = None


class ServeSettings(BaseModel):
    """`[serve]`: `annotate serve`'s options, by their flag's name (None: the flag's default)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    host: Name | None = None
    port: int | None = Field(default=None, ge=0, le=65535)
    reviewer: Name | None = None
    threads: int | None = Field(default=None, ge=1, le=64)
    running: int | None = Field(default=None, ge=1, le=64)
    workers: int | None = Field(default=None, ge=1, le=64)
    server: Literal["granian", "waitress", "gunicorn"] | None = None
    sync_every: int | None = Field(default=None, ge=5, le=86400)
    sync_remote: Name | None = None
    users: Name | None = None
    allowed_hosts: list[Name] | None = None
    https: bool | None = None
    trusted_proxies: int | None = Field(default=None, ge=0, le=5)


class DeskSettings(BaseModel):
    """The whole settings file."""

    model_config = ConfigDict(extra="forbid", strict=True)

    reviews: ReviewSettings = Field(default_factory=ReviewSettings)
    publish: PublishSettings = Field(default_factory=PublishSettings)
    serve: ServeSettings = Field(default_factory=ServeSettings)


def load_settings(path: Path | str | None = None) -> DeskSettings:
    """The settings in `path`; without one, those of `annotate.toml` in the current folder
    (the desk's root), or the defaults when there is none.

    :raise InvalidInput: a file given does not exist; a file cannot be read, is not TOML, or
        has an unknown or wrong setting (each named with the file).
    """
    given = path is not None
    path = Path(path) if path is not None else Path(SETTINGS_FILE)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if not given:
            return DeskSettings()
        raise InvalidInput(
            f"settings file '{path}' does not exist",
            [detail("settings", f"no file '{path}'")],
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            f"settings file '{path}' cannot be read: {exc}", [detail("settings", str(exc))]
        ) from None
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(
            f"settings file '{path}' is not valid TOML: {exc}", [detail("settings", str(exc))]
        ) from None
    try:
        return DeskSettings.model_validate(data)
    except ValidationError as exc:
        details = error_details(exc)
        first = details[0]
        raise InvalidInput(
            f"settings file '{path}': {first['field']}: {first['message']}", details
        ) from None
