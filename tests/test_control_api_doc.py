"""Every example of docs/control-api.md, run in order against a live simulator, so the doc cannot drift.

The examples are the doc's `sh` blocks: `curl` lines (with `-X`, `-d` and the URL), `NAME=$(curl … | jq -r
'.path')` lines that keep one field for later lines, and `# (run a sync …)` lines, done here by dropping
a feed and alerting. Each call must succeed; the last test checks the doc names every control route.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask
from support.simulator_client import Client, row, running

from simulator.control_api import control_api

DOC = Path(__file__).resolve().parents[1] / "docs" / "control-api.md"
BLOCK = re.compile(r"```sh\n(.*?)```", re.DOTALL)
CAPTURE = re.compile(r"^(\w+)=\$\((curl .*) \| jq -r '([^']+)'\)$")
FIELD = re.compile(r"\.(\w+)|\[(\d+)\]")


def lines() -> list[str]:
    return [line for block in BLOCK.findall(DOC.read_text()) for line in block.splitlines() if line.strip()]


def curl(sim: Client, command: str, names: dict[str, str]) -> Any:
    """Run one documented curl line; returns the answer's JSON, which must be a success."""
    for name, value in names.items():
        command = command.replace(f"${name}", value)
    words = shlex.split(command)
    assert words[0] == "curl", command
    method, body, url = "GET", None, None
    options = iter(words[1:])
    for word in options:
        if word == "-X":
            method = next(options)
        elif word == "-d":
            body = json.loads(next(options))
        elif word != "-s":
            url = word
    assert url and url.startswith(sim.server.base_url), command
    status, answer = sim.api(method, url[len(sim.server.base_url):], body)
    assert status == 200 and answer.get("code", 0) == 0, (command, status, answer)
    return answer


def pick(answer: Any, path: str) -> str:
    """The field a `jq -r` path of the doc names (`.products[0].id`)."""
    for key, index in FIELD.findall(path):
        answer = answer[key] if key else answer[int(index)]
    return str(answer)


def test_every_example_runs_in_order_and_succeeds(tmp_path: Path) -> None:
    with running(tmp_path / "sim") as sim:
        names = {"SIM": sim.server.base_url}
        ran = 0
        for line in lines():
            if line.startswith("SIM="):
                continue
            if line.startswith("# (run a sync"):
                sim.drop_feed([row("S1", "G1"), row("S2", "G2")])
                assert sim.run()["state"] == "completed"
            elif match := CAPTURE.match(line):
                names[match[1]] = pick(curl(sim, match[2], names), match[3])
            else:
                curl(sim, line, names)
            ran += 1
        assert ran >= 15, "the doc lost its examples"
        statuses = {p["id"]: p["status"] for p in sim.products()}
        assert (statuses[names["PRODUCT_ID"]], statuses[names["OTHER_ID"]]) == ("ACTIVATE", "FAILED")


def test_the_doc_shows_every_control_route() -> None:
    """A route added to the control API without an example here fails this test."""
    shown = {(line.split("-X ")[1].split()[0] if "-X " in line else "GET",
              re.sub(r"\$\w+", "<id>", line.split('"$SIM')[1].split('"')[0].split("?")[0]))
             for line in lines() if '"$SIM' in line}
    routes = {(method, re.sub(r"<\w+>", "<id>", path)) for path, methods in _rules(control_api)
              for method in methods}
    missing = routes - shown
    assert not missing, f"docs/control-api.md has no example of {sorted(missing)}"


def _rules(blueprint: Blueprint) -> list[tuple[str, set[str]]]:
    """(path, methods) of every route a blueprint declares."""
    app = Flask("doc-check")
    app.register_blueprint(blueprint)
    return [(rule.rule, set(rule.methods or ()) - {"HEAD", "OPTIONS"}) for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith(blueprint.name + ".")]
