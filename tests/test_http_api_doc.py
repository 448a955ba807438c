"""Every example of docs/http-api.md, run in order against a live simulator, and every route in its table.

The examples run as a user would paste them (support.doc_examples: bash, real curl, openssl for the
signatures), with the settings the doc asks a user to copy from `serve`'s banner. The route tests build
the app `serve` runs and fail when one of its routes has no example, or no row in the table.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, cast

from flask import Flask
from support.doc_examples import answers_count, example_lines, routes_without_example, run_examples
from support.simulator_client import running

from simulator.app import create_app
from simulator.control_api import install as install_control
from simulator.dav import DAV_MOUNT

DOC = Path(__file__).resolve().parents[1] / "docs" / "http-api.md"
TABLE_PATH = re.compile(r"^\| [A-Z, ]+ \| (.+?) \|", re.MULTILINE)
# Flask's own `/static/<path>`: the simulator keeps no app-level static folder, so it serves nothing.
UNSERVED = {("GET", "/static/<path:filename>")}


def test_every_example_runs_in_order_and_succeeds(tmp_path: Path) -> None:
    with running(tmp_path / "sim") as sim:
        server = sim.server
        settings = {"SIM": server.base_url, "APP_KEY": server.app_key, "APP_SECRET": server.app_secret,
                    "EXTERNAL_DATA_KEY": server.external_data_key, "DAV_USER": server.dav_user,
                    "DAV_KEY": server.dav_password}
        names = run_examples(example_lines(DOC), settings, tmp_path)
        assert answers_count(tmp_path) >= 40, "the doc lost its examples"
        statuses = {p["id"]: p["status"] for p in sim.products()}
        assert statuses == {}, "the last example resets the simulator"
        assert names["CIPHER"].startswith("ROW_") and names["TOKEN"].startswith("TTP_")


def _served_app() -> Flask:
    """The Flask app `serve` runs, with every route; nothing behind it, since no request reaches it."""
    app = create_app(cast(Any, None), cast(Any, None), cast(Any, None), "")
    install_control(app, cast(Any, None))
    return app


def test_every_route_has_an_example() -> None:
    """A route added to the simulator without an example in the doc fails this test."""
    missing = routes_without_example(_served_app(), example_lines(DOC)) - UNSERVED
    assert not missing, f"docs/http-api.md has no example of {sorted(missing)}"


def test_every_route_has_a_row_in_the_table() -> None:
    """The table names each route's path, `<…>` parts as the route spells them (converters left out)."""
    table = " ".join(TABLE_PATH.findall(DOC.read_text()))
    rules = {re.sub(r"<(?:[^:>]+:)?(\w+)>", r"<\1>", rule.rule) for rule in _served_app().url_map.iter_rules()
             if ("GET", rule.rule) not in UNSERVED}
    missing = {rule for rule in rules if rule.rstrip("/") not in table}
    assert not missing, f"docs/http-api.md's table has no row for {sorted(missing)}"
    assert DAV_MOUNT in table, "the WebDAV mount has no row"
