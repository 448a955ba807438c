"""Expected failures of any `sfcc-connector` command: one `error: <what> (<hint>)` line, exit status 1.

Bad input, permissions, a full disk or an unreachable server are for the user to fix, so they get a
sentence naming the file, URL or flag, not a traceback; `--debug` shows the traceback anyway. Anything
else is a bug and keeps its traceback.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path
from typing import Any

import click

from connector.alert import AlertError
from connector.settings import DwJsonError
from connector.sync import USER_ERRORS
from connector.webdav import WebDavError

EXPECTED: tuple[type[BaseException], ...] = (*USER_ERRORS, DwJsonError, sqlite3.Error)
_CLASS_HINTS: tuple[tuple[type[BaseException], str], ...] = (
    (WebDavError, "check --instance, --user and --password, and that the instance is up"),
    (AlertError, "check --tiktok-url and that TikTok is up"),
    (sqlite3.Error, "the state folder must be a writable folder on a local disk: check --state-dir"),
)
_ERRNO_HINTS = {
    errno.EACCES: "check the permissions, or choose another path",
    errno.EPERM: "check the permissions, or choose another path",
    errno.EROFS: "the file system is read-only: choose another path",
    errno.ENOSPC: "free some disk space, or choose another folder",
    errno.EDQUOT: "free some disk space, or choose another folder",
    errno.ENOENT: "check the path",
    errno.ENOTDIR: "a file is in the way of a folder: choose another path",
    errno.EEXIST: "a file is in the way of a folder: choose another path",
}


def describe(error: BaseException) -> str:
    """The one line for an expected failure: what happened, where, and what to do."""
    if isinstance(error, OSError) and error.filename is not None:
        what, hint = f"{error.strerror or error}: {error.filename}", _ERRNO_HINTS.get(error.errno or 0)
    elif isinstance(error, OSError):
        what, hint = str(error), _ERRNO_HINTS.get(error.errno or 0)
    else:
        what = str(error)
        hint = next((text for kind, text in _CLASS_HINTS if isinstance(error, kind)), None)
        if hint and "check" in what:
            hint = None  # the message says what to check already
    return f"{what} ({hint})" if hint else what


class ExistingFile(click.Path):
    """An input file option: one behind a folder the user may not enter says so, not "does not exist"."""

    def __init__(self) -> None:
        super().__init__(exists=True, dir_okay=False, path_type=Path)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            os.stat(value)
        except PermissionError as error:
            self.fail(f"{value}: {error.strerror} ({_ERRNO_HINTS[errno.EACCES]})", param, ctx)
        except (OSError, TypeError, ValueError):
            pass  # click names a missing file itself
        return super().convert(value, param, ctx)


class Commands(click.Group):
    """The `sfcc-connector` group: a subcommand's expected failure ends as one line on stderr."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.BadParameter as error:  # a missing or unusable file given as an option's value
            click.echo(f"error: {error.format_message()}", err=True)
            ctx.exit(error.exit_code)
        except click.UsageError:
            raise
        except click.ClickException as error:
            if ctx.params.get("debug"):
                raise
            click.echo(f"error: {error.format_message()}", err=True)
            ctx.exit(error.exit_code)
        except EXPECTED as error:
            if ctx.params.get("debug"):
                raise
            click.echo(f"error: {describe(error)}", err=True)
            ctx.exit(1)
