"""Every example of docs/control-api.md, run in order against a live simulator, so the doc cannot drift.

The examples are the doc's `sh` blocks, run by bash with real curl (support.doc_examples); the
`# (run a sync …)` line is done here by dropping a feed and alerting. Each call must succeed; the last
test checks the doc names every control route.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from support.doc_examples import answers_count, example_lines, routes_without_example, run_examples
from support.simulator_client import Client, row, running

from simulator.control_api import control_api

DOC = Path(__file__).resolve().parents[1] / "docs" / "control-api.md"


def test_every_example_runs_in_order_and_succeeds(tmp_path: Path) -> None:
    with running(tmp_path / "sim") as sim:
        names = run_examples(example_lines(DOC), {"SIM": sim.server.base_url}, tmp_path, _step(sim))
        assert answers_count(tmp_path) >= 15, "the doc lost its examples"
        statuses = {p["id"]: p["status"] for p in sim.products()}
        assert (statuses[names["PRODUCT_ID"]], statuses[names["OTHER_ID"]]) == ("ACTIVATE", "FAILED")


def _step(sim: Client):
    def step(line: str, env: dict[str, str]) -> None:
        assert line.startswith("# (run a sync"), f"no step for {line!r}"
        sim.drop_feed([row("S1", "G1"), row("S2", "G2")])
        assert sim.run()["state"] == "completed"
    return step


def test_the_doc_shows_every_control_route() -> None:
    """A route added to the control API without an example here fails this test."""
    app = Flask("doc-check", static_folder=None)
    app.register_blueprint(control_api)
    missing = routes_without_example(app, example_lines(DOC))
    assert not missing, f"docs/control-api.md has no example of {sorted(missing)}"
