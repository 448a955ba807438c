"""`.ci/run` runs exactly the test command the README gives users, so CI tests what users run."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_command(heading: str) -> str:
    """The one-line sh block that follows the README paragraph starting with `heading`."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"^{re.escape(heading)}.*?```sh\n(.+?)\n```", text, re.S | re.M)
    assert match, f"README lost the {heading!r} command"
    return match.group(1)


def test_ci_runs_the_readme_test_command_from_a_virtual_environment() -> None:
    command = readme_command("Run the tests")
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert command in lines
    # PEP 668: nothing is pip-installed into the system Python; tox comes from the demo's .venv.
    assert command.startswith("python3 -m venv .venv && .venv/bin/pip install")
    assert readme_command("Run the demo").startswith("python3 -m venv .venv && ")
    assert not any(re.search(r"python3 -m pip|^pip", line) for line in lines)
