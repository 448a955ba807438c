"""Secrets `tiktok-sim serve` generates, kept in `<data-dir>/credentials.json` (mode 0600) for the next start.

A connector set up with the WebDAV key, app secret or external-data key of one run must still work after
a restart; generating new ones each start gave it 401s. Values given on the command line win and are
saved, so the file always holds what the running server uses.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path

FILE_NAME = "credentials.json"

_GENERATE: dict[str, Callable[[], str]] = {
    "dav_user": lambda: "sim-" + secrets.token_urlsafe(6),
    # never a leading "-": given on a command line (`--password KEY`, curl, rclone) it would read as an option
    "dav_password": lambda: "k" + secrets.token_urlsafe(18),
    "app_key": lambda: secrets.token_hex(7),
    "app_secret": lambda: secrets.token_hex(20),
    "external_data_key": lambda: secrets.token_hex(16),
}


class CredentialsError(ValueError):
    """The credentials file exists but cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class Credentials:
    """WebDAV login of the embedded SFCC instance, and the TikTok app's key, secret and external-data key."""

    dav_user: str
    dav_password: str
    app_key: str
    app_secret: str
    external_data_key: str


def _saved(path: Path) -> dict[str, str]:
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise CredentialsError(f"{path}: cannot read the saved credentials: {error}") from error
    if not isinstance(saved, dict):
        raise CredentialsError(f"{path}: expected a JSON object of saved credentials")
    for name, value in saved.items():
        if name in _GENERATE and (not isinstance(value, str) or not value):
            raise CredentialsError(f"{path}: field '{name}' must be a non-empty string")
    return saved


def resolve(data_dir: Path, **given: str | None) -> Credentials:
    """Given values, else the saved ones, else new ones; saved back (mode 0600) whenever they changed."""
    path = data_dir / FILE_NAME
    saved = _saved(path)
    values = {
        field.name: given.get(field.name) or saved.get(field.name) or _GENERATE[field.name]()
        for field in fields(Credentials)
    }
    if values != {name: saved.get(name) for name in values}:
        _write(path, {**saved, **values})
    os.chmod(path, 0o600)
    return Credentials(**values)


def _write(path: Path, values: dict[str, str]) -> None:
    """A fresh file, mode 0600 from its creation, renamed into place: never world-readable, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(values, handle, indent=2)
        handle.write("\n")
    os.replace(temporary, path)

