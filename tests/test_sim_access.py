"""The control API and the dashboard on loopback: open to this machine's scripts and tabs, closed to
other web sites (a cross-site write) and to DNS rebinding (a foreign Host), with nothing changed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.net import request
from support.simulator_client import Client, running


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[Client]:
    with running(tmp_path / "sim") as client:
        yield client


def _reset(sim: Client, **headers: str) -> tuple[int, dict]:
    status, body = request("POST", sim.server.base_url + "/_sim/reset", b"{}",
                           {"Content-Type": "application/json", **headers})
    return status, json.loads(body)


def _mode(sim: Client) -> str:
    status, body = request("GET", sim.server.base_url + "/_sim/review")
    assert status == 200
    return json.loads(body)["data"]["mode"]


def _set_manual(sim: Client, **headers: str) -> int:
    return request("PUT", sim.server.base_url + "/_sim/review", b'{"mode": "manual"}',
                   {"Content-Type": "application/json", **headers})[0]


def test_scripts_and_the_dashboards_own_page_may_write(sim: Client) -> None:
    assert _reset(sim)[0] == 200  # curl and test clients send no Origin
    origin = sim.server.base_url
    assert _reset(sim, Origin=origin, **{"Sec-Fetch-Site": "same-origin"})[0] == 200


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"},
     {"Origin": "http://localhost:1", "Sec-Fetch-Site": "same-site"}],
    ids=["foreign-origin", "cross-site", "opaque-origin", "other-port"],
)
def test_a_write_from_another_web_site_is_refused_and_changes_nothing(sim: Client, headers: dict) -> None:
    before = _mode(sim)
    assert _set_manual(sim, **headers) == 403
    status, answer = _reset(sim, **headers)
    assert status == 403 and "another web site" in answer["message"], answer
    assert _mode(sim) == before


@pytest.mark.parametrize("path", ["/_sim/review", "/", "/dashboard/products"])
def test_a_foreign_host_name_is_refused_even_for_reads(sim: Client, path: str) -> None:
    """DNS rebinding: another site's name resolved to 127.0.0.1 may not read the shop."""
    url, port = sim.server.base_url + path, sim.server.port
    status, body = request("GET", url, headers={"Host": f"evil.example:{port}"})
    assert status == 403 and b"does not name this machine" in body
    assert request("GET", url, headers={"Host": f"localhost:{port}"})[0] == 200


def test_health_stays_open_to_any_host(sim: Client) -> None:
    assert request("GET", sim.server.base_url + "/_sim/health", headers={"Host": "evil.example"})[0] == 200
