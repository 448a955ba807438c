"""Run a click command where permission bits apply: root ignores them, so a test's read-only folder
would not be read-only. Under root the command runs in a forked child that first becomes `nobody`;
otherwise it runs in-process. The folders such a test uses must be reachable by that user
(`reachable_tmp`), which pytest's own 0700 tmp_path is not under root.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import click
from click.testing import CliRunner

NOBODY = 65534


@dataclass(frozen=True)
class Outcome:
    """What a user saw: the exit status and the two streams."""

    exit_code: int
    stdout: str
    stderr: str


def _invoke(command: click.Command, args: list[str], env: dict[str, str]) -> Outcome:
    result = CliRunner().invoke(command, args, env=env)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += f"\n(uncaught {result.exception!r})"
    return Outcome(result.exit_code, result.stdout, stderr)


def invoke_unprivileged(command: click.Command, args: list[str],
                        env: dict[str, str] | None = None) -> Outcome:
    """`command args` as a user without root's override of file permissions."""
    env = env or {}
    if os.geteuid() != 0:
        return _invoke(command, args, env)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop root, run, report, and leave without running pytest's cleanup
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            outcome = _invoke(command, args, env)
            with os.fdopen(write, "w", encoding="utf-8") as out:
                json.dump([outcome.exit_code, outcome.stdout, outcome.stderr], out)
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, encoding="utf-8") as answer:
        data = answer.read()
    os.waitpid(pid, 0)
    assert data, "the unprivileged child died before reporting"
    return Outcome(*json.loads(data))


@contextmanager
def reachable_tmp() -> Iterator[Path]:
    """A fresh folder every user may enter, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="unprivileged-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for path in (folder, *folder.rglob("*")):
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o755)
        shutil.rmtree(folder)
