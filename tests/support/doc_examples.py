"""Run a doc's `sh` examples in order with bash and real curl, so a doc cannot drift from the server.

Shared by the doc tests (docs/control-api.md, docs/http-api.md). The examples are the doc's ```sh blocks,
run as a user would paste them, with `curl` wrapped so that every call must succeed: an HTTP error stops
the run, and an answer in TikTok's envelope with a non-zero `code` fails it. A line `# (…)` stands for a
step done by other means: the test's `step` does it, between two bash runs that share the variables
and functions defined so far. The route checks read which endpoint each `"$SIM/…"` URL reaches.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.exceptions import HTTPException

BLOCK = re.compile(r"```sh\n(.*?)```", re.DOTALL)
SETTING = re.compile(r"^(\w+)=(?!\$\()")  # a setting, not a value kept from a call
STEP = "# ("
TOOLS = ("bash", "curl", "jq", "openssl")  # what the examples use, as a user pasting them would
TIMEOUT_S = 120  # one bash run; each call inside it is far quicker, this only stops a hung run

# Each answer goes to $ANSWERS as command NUL answer NUL, to be checked once the run ends.
PRELUDE = r"""set -euo pipefail
set -a
curl() {
  local answer
  answer=$(command curl --fail-with-body -sS "$@") || { printf 'curl %s\n%s\n' "$*" "$answer" >&2; return 1; }
  printf 'curl %s\0%s\0' "$*" "$answer" >> "$ANSWERS"
  printf '%s\n' "$answer"
}
"""
# What the next run starts from: the variables (exported, by `set -a`) and the functions.
EPILOGUE = '\n{ env -0 > "$STATE.env"; declare -f > "$STATE.functions"; }\n'


def example_lines(doc: Path) -> list[str]:
    """The non-empty lines of the doc's `sh` blocks, a line ending in `\\` joined with the next."""
    text = "".join(BLOCK.findall(doc.read_text())).replace("\\\n", "")
    return [line for line in text.splitlines() if line.strip()]


def run_examples(lines: list[str], env: dict[str, str], workdir: Path,
                 step: Callable[[str, dict[str, str]], None] = lambda line, env: None) -> dict[str, str]:
    """Run the lines in order; returns the variables they left. A setting of a name `env` gives
    (`SIM=http://127.0.0.1:8080`) is skipped: the test's value stands. Fails on the first bad call."""
    absent = [tool for tool in TOOLS if shutil.which(tool) is None]
    assert not absent, f"the doc examples need {', '.join(absent)} on PATH"
    answers, state = workdir / "answers", workdir / "state"
    given = set(env)
    env = {**os.environ, **env, "ANSWERS": str(answers), "STATE": str(state)}
    answers.write_bytes(b"")
    state.with_suffix(".functions").write_text("")
    chunk: list[str] = []
    for line in [*lines, STEP]:
        if (setting := SETTING.match(line)) and setting[1] in given:
            continue
        if not line.startswith(STEP):
            chunk.append(line)
            continue
        env = _run(chunk, env, state)
        _check(answers)
        chunk = []
        if line != STEP:
            step(line, env)
    return env


def answers_count(workdir: Path) -> int:
    """How many calls the examples made."""
    return (workdir / "answers").read_bytes().count(b"\0") // 2


def _run(chunk: list[str], env: dict[str, str], state: Path) -> dict[str, str]:
    script = f'{PRELUDE}source "$STATE.functions"\n' + "\n".join(chunk) + EPILOGUE
    done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2], timeout=TIMEOUT_S)
    assert done.returncode == 0, f"an example failed:\n{done.stderr}\nin:\n" + "\n".join(chunk)
    pairs = state.with_suffix(".env").read_text().split("\0")
    return dict(pair.split("=", 1) for pair in pairs if "=" in pair)


def _check(answers: Path) -> None:
    """Every answer in TikTok's envelope must carry code 0; other answers (HTML, files) need only be 2xx."""
    fields = answers.read_text().split("\0")[:-1]  # each record ends in NUL
    for command, answer in zip(fields[::2], fields[1::2], strict=True):
        try:
            data: Any = json.loads(answer)
        except ValueError:
            continue
        code = data.get("code", 0) if isinstance(data, dict) else 0
        assert not isinstance(code, int) or code == 0, (command, answer)


def shown_calls(lines: Iterable[str]) -> set[tuple[str, str]]:
    """(method, path) of every documented curl call to `$SIM`; `$NAME`s in the path become `1`."""
    calls = set()
    for line in lines:
        if '"$SIM' not in line or "curl " not in line:
            continue
        call = line[line.index("curl "):]
        method = call.split("-X ")[1].split()[0] if "-X " in call else "GET"
        path = call.split('"$SIM')[1].split('"')[0].split("?")[0]
        calls.add((method, re.sub(r"\$\{?\w+\}?", "1", path)))
    return calls


def routes_without_example(app: Flask, lines: Iterable[str]) -> set[tuple[str, str]]:
    """(method, rule) of every route of `app` that no documented call reaches."""
    adapter = app.url_map.bind("localhost")
    reached = set()
    for method, path in shown_calls(lines):
        try:
            endpoint, _ = adapter.match(path, method)
        except HTTPException:
            continue
        reached.add((method, str(endpoint)))
    return {(method, rule.rule) for rule in app.url_map.iter_rules()
            for method in set(rule.methods or ()) - {"HEAD", "OPTIONS"}
            if (method, rule.endpoint) not in reached}
