"""Expected failures of any `tiktok-sim` command: one `error: <what> (<hint>)` line, exit status 1.

An unusable data folder, a busy port or an unwritable report file is for the user to fix: a sentence
naming the path says more than a `sqlite3.OperationalError` traceback. `--debug` shows the traceback
anyway; anything not listed here is a bug and keeps it.
"""

from __future__ import annotations

import errno
import sqlite3
from typing import Any

import click

EXPECTED: tuple[type[Exception], ...] = (OSError, sqlite3.Error)


def _hint(error: Exception) -> str | None:
    if isinstance(error, sqlite3.Error):
        return "the data folder must be a writable folder on a local disk: check --data-dir"
    code = getattr(error, "errno", None)
    if code in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "check its permissions, or choose another path"
    if code in (errno.ENOSPC, errno.EDQUOT):
        return "free some disk space, or choose another folder"
    if code in (errno.ENOTDIR, errno.EEXIST):
        return "a file is in the way of a folder: choose another path"
    return "check the path" if getattr(error, "filename", None) else None


def one_line(error: Exception) -> str:
    """What failed, on what path when there is one, and what to do about it."""
    filename = getattr(error, "filename", None)
    what = f"{error.strerror}: {filename}" if isinstance(error, OSError) and filename else str(error)
    hint = _hint(error)
    return f"{what} ({hint})" if hint else what


class Commands(click.Group):
    """The `tiktok-sim` group: any subcommand's expected failure ends as one line on stderr."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as error:
            expected = isinstance(error, (*EXPECTED, click.BadParameter)) or (
                isinstance(error, click.ClickException) and not isinstance(error, click.UsageError))
            if ctx.params.get("debug") or not expected:
                raise  # a usage error keeps click's own message; a bug keeps its traceback
            text = error.format_message() if isinstance(error, click.ClickException) else one_line(error)
            click.echo(f"error: {text}", err=True)
            ctx.exit(getattr(error, "exit_code", 1))
