"""The simulator's server: one port for WebDAV and the TikTok API, auth, alert validation, onboarding."""

from __future__ import annotations

import http.server
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
from support.cartridge import AUTH_CALLBACK, callback_body, external_data
from support.net import LocalHTTPServer, basic_auth, request
from support.peers import real_peer
from support.sfcc import PRODUCT_FOLDER
from support.simulator_client import Client, row, running

from simulator import xmlsafe


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    with running(tmp_path / "sim", dav_user="merchant", dav_password="access-key") as sim:
        yield sim


def test_health_answers_json_once_started(client: Client) -> None:
    status, body = client.api("GET", "/_sim/health")
    assert status == 200 and body["status"] == "ok"
    assert client.server.dav_url == client.server.base_url + "/on/demandware.servlet/webdav/Sites/Impex"


def test_errors_are_json_envelopes(client: Client) -> None:
    status, body = client.api("GET", "/no/such/page")
    assert status == 404 and body["code"] != 0 and body["message"]
    status, body = client.api("GET", "/tbp/v2.0/feed/download/")
    assert status == 405 and body["code"] != 0


def test_generated_credentials_when_none_given(tmp_path: Path) -> None:
    with running(tmp_path / "sim") as sim:
        assert sim.server.dav_user and len(sim.server.dav_password) >= 16
        assert sim.dav("PROPFIND", "", headers={"Depth": "0"})[0] == 207


def test_webdav_put_without_credentials_is_refused(client: Client) -> None:
    assert client.dav("PUT", "anonymous.txt", b"x", auth=False)[0] == 401
    wrong = basic_auth("merchant", "wrong")
    assert client.dav("PUT", "wrong.txt", b"x", headers=wrong, auth=False)[0] == 401
    assert not (client.server.data_dir / "webdav" / "Impex" / "anonymous.txt").exists()
    assert client.dav("PUT", "ok.txt", b"x")[0] == 201


def test_propfind_hrefs_carry_the_sfcc_path(client: Client) -> None:
    client.dav("MKCOL", "src")
    client.dav("PUT", "src/a%20b.txt", b"x")
    status, body = client.dav("PROPFIND", "src/", headers={"Depth": "1"})
    assert status == 207
    hrefs = sorted(unquote(h.text) for h in xmlsafe.fromstring(body).iter("{DAV:}href"))
    assert hrefs == [
        "/on/demandware.servlet/webdav/Sites/Impex/src/",
        "/on/demandware.servlet/webdav/Sites/Impex/src/a b.txt",
    ]


@pytest.mark.litmus
def test_litmus_passes_every_test(client: Client, tmp_path: Path) -> None:
    litmus = real_peer("litmus")
    result = subprocess.run(  # litmus writes debug.log and child.log into its working directory
        [litmus, client.server.dav_url + "/", "merchant", "access-key"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    summaries = [line for line in result.stdout.splitlines() if line.startswith("<- summary")]
    assert result.returncode == 0, result.stdout[-3000:]
    assert len(summaries) == 5, result.stdout[-3000:]
    assert all(" 0 failed" in line and "100.0%" in line for line in summaries), summaries
    assert "skipped" not in result.stdout


def alert_body(client: Client, **params: str) -> dict:
    return {
        "business_platform": "SALESFORCE",
        "external_business_id": "sfcc-sim-tenant",
        "params": {
            "url": f"{client.server.dav_url}/{PRODUCT_FOLDER}",
            "feed_type": "product",
            "update_type": "update",
            **params,
        },
    }


@pytest.mark.parametrize(
    ("mutate", "code", "named"),
    [
        (lambda b: b.pop("external_business_id"), 40002, "external_business_id"),
        (lambda b: b["params"].pop("url"), 40002, "params.url"),
        (lambda b: b["params"].update(feed_type=""), 40002, "params.feed_type"),
        (lambda b: b.update(business_platform="SHOPIFY"), 40003, "business_platform"),
        (lambda b: b["params"].update(feed_type="orders"), 40003, "feed_type"),
        (lambda b: b["params"].update(update_type="upsert"), 40003, "update_type"),
        (lambda b: b["params"].update(feed_type="inventory", update_type="delete"), 40003, "update_type"),
        (lambda b: b.update(external_business_id="never-onboarded"), 40004, "never-onboarded"),
    ],
)
def test_alert_validation_codes(client: Client, mutate, code: int, named: str) -> None:
    body = alert_body(client)
    mutate(body)
    status, answer = client.api("POST", "/tbp/v2.0/feed/download/", body)
    assert (status, answer["code"]) == (200, code), answer
    assert named in answer["message"]
    assert client.jobs() == []


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b""])
def test_alert_that_is_not_a_json_object(client: Client, raw: bytes) -> None:
    status, answer = client.api("POST", "/tbp/v2.0/feed/download/", raw=raw)
    assert (status, answer["code"]) == (200, 40001)


class Recorder(http.server.BaseHTTPRequestHandler):
    """A foreign WebDAV host that only records that somebody came."""

    seen: list[str] = []

    def do_PROPFIND(self) -> None:  # noqa: N802 - http.server's naming
        Recorder.seen.append(self.path)
        self.send_response(207)
        self.end_headers()

    do_GET = do_PROPFIND  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def foreign_host() -> Iterator[str]:
    Recorder.seen = []
    server = LocalHTTPServer(Recorder)
    yield server.url
    server.stop()


def test_url_outside_the_tenant_is_refused_and_nothing_fetched(client: Client, foreign_host: str) -> None:
    mount = "/on/demandware.servlet/webdav/Sites/Impex"
    for url in (
        f"{foreign_host}{mount}/{PRODUCT_FOLDER}",
        f"{client.server.base_url}/on/demandware.servlet/webdav/Sites/Cartridges/x",
        f"{client.server.dav_url}/../Cartridges",
        f"http://127.0.0.1:notaport{mount}/{PRODUCT_FOLDER}",
        f"https://{client.server.base_url.split('://')[1]}{mount}/{PRODUCT_FOLDER}",
    ):
        answer = client.alert(url=url)
        assert answer["code"] == 40005 and "url" in answer["message"], (url, answer)
    assert client.jobs() == []
    assert Recorder.seen == []


def test_onboarded_tenant_is_fetched_from_its_own_webdav(client: Client, tmp_path: Path) -> None:
    """auth_callback registers another instance; its alerts fetch from that instance only."""
    with running(tmp_path / "other-instance", dav_user="bm-user", dav_password="bm-key") as other:
        other.drop_feed([row("SKU-OTHER", "G-OTHER")])
        external = external_data("tenant-2", client.server.external_data_key, domain="x")
        body = callback_body("tenant-2", other.server.base_url, "bm-user", "bm-key")
        status, answer = client.api("POST", f"{AUTH_CALLBACK}?external_data={external}", body)
        assert (status, answer["code"]) == (200, 0), answer
        url = f"{other.server.dav_url}/{PRODUCT_FOLDER}"
        answer = client.alert(url=url, external_business_id="tenant-2")
        assert answer["code"] == 0, answer
        job = client.wait_job(answer["data"]["job_id"])
        assert job["state"] == "completed" and job["tenant"] == "tenant-2", job
        assert [p["item_group_id"] for p in client.products()] == ["G-OTHER"]
        assert (
            client.alert(url=f"{client.server.dav_url}/{PRODUCT_FOLDER}", external_business_id="tenant-2")[
                "code"
            ]
            == 40005
        )


def test_auth_callback_without_credentials_is_refused(client: Client) -> None:
    external = external_data("t", client.server.external_data_key)
    status, answer = client.api(
        "POST",
        f"{AUTH_CALLBACK}?external_data={external}",
        {"external_business_id": "t", "webdav_url": "http://127.0.0.1:1"},
    )
    assert answer["code"] == 40002 and "commerce_cloud_username" in answer["message"]
    assert client.server.store.get_tenant("t") is None


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_serve_prints_urls_and_credentials_and_stops_cleanly(tmp_path: Path, stop: signal.Signals) -> None:
    command = [
        sys.executable,
        "-c",
        "from simulator.cli import main; main()",
        "serve",
        "--data-dir",
        str(tmp_path / "d"),
        "--port",
        "0",
        "--dav-user",
        "u1",
        "--dav-password",
        "p1",
    ]
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    ) as proc:
        lines = []
        while not any(line.startswith("Press Ctrl-C") for line in lines):
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            lines.append(line)
        dav_url = next(line.split()[-1] for line in lines if line.startswith("WebDAV (SFCC"))
        assert dav_url.endswith("/on/demandware.servlet/webdav/Sites/Impex/")
        base = dav_url.split("/on/")[0]
        assert request("GET", base + "/_sim/health")[0] == 200
        proc.send_signal(stop)
        out, err = proc.communicate(timeout=20)
    text = "".join(lines) + out
    assert proc.returncode == 0, err
    assert "u1" in text and "p1" in text and "Traceback" not in err
    assert "Stopping" in out


def test_auth_callback_takes_the_host_from_external_data_domain(client: Client) -> None:
    """The cartridge's body does not name the WebDAV host; without `webdav_url` it is external_data.domain,
    sent as raw base64 (a `+` must survive, as the cartridge does not URL-encode it)."""
    key = client.server.external_data_key
    domain = "sfcc-instance.example"
    candidates = (external_data("tenant-3", key, domain=domain, pad="~" * n) for n in range(64))
    external = next(text for text in candidates if "+" in text)
    body = {
        "external_business_id": "tenant-3",
        "commerce_cloud_username": "u",
        "commerce_cloud_password": "k",
    }
    status, answer = client.api("POST", f"{AUTH_CALLBACK}?external_data={external}", body)
    assert (status, answer["code"]) == (200, 0), answer
    assert client.server.store.get_tenant("tenant-3").webdav_base == "https://sfcc-instance.example"
    elsewhere = f"{client.server.dav_url}/{PRODUCT_FOLDER}"
    assert client.alert(url=elsewhere, external_business_id="tenant-3")["code"] == 40005


def test_unknown_job_is_a_json_404(client: Client) -> None:
    status, answer = client.api("GET", "/api/jobs/999")
    assert status == 404 and answer["code"] != 0 and "999" in answer["message"]


def test_alerts_are_answered_while_a_job_holds_the_shop(client: Client) -> None:
    """A big feed is applied in one long shop transaction; alerts meanwhile must not wait for it
    (the cartridge gives up after 5 s)."""
    client.drop_feed([row("A1", "A")])
    started = time.monotonic()
    with client.server.store.transaction():  # what a job applying a million rows holds
        answer = client.alert()
        assert answer["code"] == 0 and time.monotonic() - started < 5, answer
        assert client.jobs()[0]["state"] in ("queued", "running")
    assert client.wait_job(answer["data"]["job_id"])["state"] == "completed"


def test_a_job_fetches_nothing_once_its_tenant_moved_host(client: Client, foreign_host: str) -> None:
    """Checked again before fetching: an alert accepted for the old host fetches from neither host."""
    client.server.runner.stop()  # keep the job queued while the tenant re-onboards
    store = client.server.store
    job_id = store.create_job(
        "sfcc-sim-tenant", "product", "update", f"{client.server.dav_url}/{PRODUCT_FOLDER}"
    )
    body = {
        "external_business_id": "sfcc-sim-tenant",
        "commerce_cloud_username": "u",
        "commerce_cloud_password": "k",
        "webdav_url": foreign_host,
    }
    external = external_data("sfcc-sim-tenant", client.server.external_data_key)
    assert client.api("POST", f"{AUTH_CALLBACK}?external_data={external}", body)[1]["code"] == 0
    client.server.runner.run(job_id)
    job = store.get_job(job_id)
    assert job["state"] == "failed" and "nothing fetched" in job["error"], job
    assert Recorder.seen == []
