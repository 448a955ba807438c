"""Steps for the request journal: the order of a sync on the wire, read from `GET /_sim/journal`."""

from __future__ import annotations

import base64
import json
from typing import Any

from harness import Sim
from pytest_bdd import given, scenarios, then

scenarios("request_journal.feature")

ALERT = "/tbp/v2.0/feed/download/"


def entries(sim: Sim) -> list[dict[str, Any]]:
    sim.wait_all_jobs()
    status, answer = sim.api("GET", "/_sim/journal?direction=inbound")
    assert status == 200, answer
    return answer["data"]["entries"]


def name(entry: dict[str, Any]) -> str:
    return entry["path"].rsplit("/", 1)[-1]


def seq_of(found: list[dict[str, Any]], what: str) -> int:
    assert len(found) == 1, f"expected one {what}, journal has {[(e['method'], e['path']) for e in found]}"
    return found[0]["seq"]


def alert_seq(sim: Sim, update_type: str) -> int:
    alerts = [e for e in entries(sim) if e["path"] == ALERT and e["json"]["params"]["feed_type"] == "product"
              and e["json"]["params"]["update_type"] == update_type]
    return seq_of(alerts, f"{update_type} alert")


def feed_calls(sim: Sim, method: str, prefix: str) -> list[dict[str, Any]]:
    return [e for e in entries(sim) if e["method"] == method and name(e).startswith(prefix)]


@given("the request journal is cleared")
def _cleared(sim: Sim) -> None:
    status, answer = sim.api("DELETE", "/_sim/journal")
    assert status == 200, answer


@then("the journal shows the product feed PUT as TEMP_ and then MOVEd to its final name")
def _put_then_move(sim: Sim) -> None:
    put = seq_of(feed_calls(sim, "PUT", "TEMP_tiktok-feed-"), "PUT TEMP_tiktok-feed-…")
    (move,) = feed_calls(sim, "MOVE", "TEMP_tiktok-feed-")
    assert put < move["seq"] and move["status"] == 201, move
    destination = move["headers"]["Destination"].rsplit("/", 1)[-1]
    assert destination == name(move).removeprefix("TEMP_"), destination


@then("the delete feed was in place before the delete alert")
def _delete_feed_first(sim: Sim) -> None:
    put = seq_of(feed_calls(sim, "PUT", "delete-feed-"), "PUT delete-feed-…")
    assert put < alert_seq(sim, "delete")


@then("the delete alert came before the update alert, and both after the MOVE")
def _alerts_in_order(sim: Sim) -> None:
    move = seq_of(feed_calls(sim, "MOVE", "TEMP_tiktok-feed-"), "MOVE")
    assert move < alert_seq(sim, "delete") < alert_seq(sim, "update")


@then("TikTok Shop fetched the feed files only after the alerts")
def _fetched_after(sim: Sim) -> None:
    gets = feed_calls(sim, "GET", "tiktok-feed-") + feed_calls(sim, "GET", "delete-feed-")
    fetched = [e["seq"] for e in gets]
    assert len(fetched) == 2 and min(fetched) > alert_seq(sim, "delete"), fetched


@then("no WebDAV password or Basic credentials appear in the journal")
def _no_credentials(sim: Sim) -> None:
    everything = json.dumps(sim.api("GET", "/_sim/journal")[1]["data"]["entries"])
    basic = base64.b64encode(f"{sim.server.dav_user}:{sim.server.dav_password}".encode()).decode()
    assert '"PUT"' in everything  # the sync is there
    assert sim.server.dav_password not in everything and basic not in everything
