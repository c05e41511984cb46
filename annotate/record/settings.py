"""A desk's settings file (`annotate.toml` at the root of the desk's repository, written by
`annotate init`), so that every server and CI run of a desk applies the same rules; flags on
the command line win over it.

```toml
[reviews]
required = 2    # agreeing reviews that settle a claim (default: 1 in local mode, 2 in team)
blind = true    # hide the others' reviews until you gave yours (default: on in team mode)
```
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import InvalidInput, detail
from .models import error_details

SETTINGS_FILE = "annotate.toml"


class ReviewSettings(BaseModel):
    """`[reviews]`: None where the file leaves the mode's default."""

    model_config = ConfigDict(extra="forbid", strict=True)

    required: int | None = Field(default=None, ge=1, le=20)
    blind: bool | None = None


class DeskSettings(BaseModel):
    """The whole settings file."""

    model_config = ConfigDict(extra="forbid", strict=True)

    reviews: ReviewSettings = Field(default_factory=ReviewSettings)


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
