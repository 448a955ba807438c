"""The connector over https: it trusts the system store plus `--ca-file`, and nothing it cannot verify.

The instance and TikTok here are real https servers whose certificates come from throwaway CAs (trustme),
so only `--ca-file` (or $SFCC_CA_FILE) makes them trusted.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from support.certs import TestCA
from support.connector_servers import DAV_PASSWORD, DAV_USER, AlertServer, DavServer
from support.sfcc import PRODUCT_FOLDER, write_catalog, write_pricebook

from connector.cli import main

ENV_VARS = ("SFCC_INSTANCE", "SFCC_USER", "SFCC_PASSWORD", "SFCC_SITE_ID", "TIKTOK_URL", "SFCC_CA_FILE",
            "TIKTOK_EXTERNAL_BUSINESS_ID", "SFCC_CONNECTOR_STATE_DIR", "SSL_CERT_FILE", "SSL_CERT_DIR")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def instance_ca(tmp_path: Path) -> TestCA:
    return TestCA(tmp_path / "instance-ca")


@pytest.fixture
def dav(tmp_path: Path, instance_ca: TestCA) -> Iterator[DavServer]:
    server = DavServer(tmp_path / "impex", tls=instance_ca)
    yield server
    server.stop()


def start_alerts(ca: TestCA) -> AlertServer:
    return AlertServer(tls=ca)


@pytest.fixture
def alerts(instance_ca: TestCA) -> Iterator[AlertServer]:
    server = start_alerts(instance_ca)
    yield server
    server.stop()


def error_line(result: Result) -> str:
    """The command's one `error:` line (the in-process test servers log dropped handshakes there too)."""
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    return line


def sync(tmp_path: Path, dav: DavServer, alerts: AlertServer, *extra: str,
         env: dict[str, str] | None = None) -> Result:
    catalog = write_catalog(tmp_path / "catalog.xml", {"SIMPLE-1": "One", "SIMPLE-2": "Two"})
    prices = write_pricebook(tmp_path / "prices.xml", {"SIMPLE-1": "10", "SIMPLE-2": "12.50"})
    return CliRunner().invoke(main, [
        "sync", "--catalog", str(catalog), "--pricebook", str(prices), "--site-id", "S",
        "--instance", dav.url, "--user", DAV_USER, "--password", DAV_PASSWORD, "--tiktok-url", alerts.url,
        "--state-dir", str(tmp_path / "state"), *extra], env=env)


def test_full_sync_over_https_with_the_ca_file(tmp_path: Path, dav: DavServer, alerts: AlertServer,
                                               instance_ca: TestCA) -> None:
    result = sync(tmp_path, dav, alerts, "--ca-file", str(instance_ca.ca_file))

    assert result.exit_code == 0, result.output
    assert dav.url.startswith("https://") and alerts.url.startswith("https://")
    (feed,) = [n for n in dav.names(PRODUCT_FOLDER) if n.startswith("tiktok-feed-S-")]
    # PUT TEMP_ then MOVE with an absolute https:// Destination, which WsgiDAV accepts only over https
    assert ("MOVE", f"{PRODUCT_FOLDER}/TEMP_{feed}", 201) in dav.requests
    assert alerts.updates() == [("product", "delete"), ("product", "update")]
    assert all(call["params"]["url"].startswith("https://") for call in alerts.calls)


def test_without_the_ca_the_sync_stops_with_one_line_and_sends_nothing(
        tmp_path: Path, dav: DavServer, alerts: AlertServer, instance_ca: TestCA) -> None:
    result = sync(tmp_path, dav, alerts)

    assert result.exit_code == 1
    line = error_line(result)
    host = dav.url.split("://")[1]
    assert f"TLS certificate of {host} is not trusted" in line, line
    assert "--ca-file" in line and "$SFCC_CA_FILE" in line, line
    assert "Traceback" not in result.output
    assert dav.requests == [] and dav.names(PRODUCT_FOLDER) == [] and alerts.calls == []

    again = sync(tmp_path, dav, alerts, env={"SFCC_CA_FILE": str(instance_ca.ca_file)})
    assert again.exit_code == 0, again.output
    assert "rows (full)" in again.output  # nothing was committed by the refused run


def test_an_untrusted_tiktok_keeps_the_run_in_the_outbox_until_it_is_trusted(
        tmp_path: Path, dav: DavServer, instance_ca: TestCA) -> None:
    tiktok_ca = TestCA(tmp_path / "tiktok-ca")
    alerts = start_alerts(tiktok_ca)
    try:
        result = sync(tmp_path, dav, alerts, "--ca-file", str(instance_ca.ca_file))
        assert result.exit_code == 1
        line = error_line(result)
        assert f"TLS certificate of {alerts.url.split('://')[1]} is not trusted" in line, line
        assert "--ca-file" in line and "waits in the outbox" in line, line
        assert alerts.calls == []
        assert list((tmp_path / "state").glob("outbox/S/*/manifest.json"))

        both = tmp_path / "both-cas.pem"
        both.write_bytes(instance_ca.ca_file.read_bytes() + tiktok_ca.ca_file.read_bytes())
        finished = sync(tmp_path, dav, alerts, "--ca-file", str(both))
        assert finished.exit_code == 0, finished.output
        assert "finishing pending run" in finished.output
        assert alerts.updates()[:2] == [("product", "delete"), ("product", "update")]
    finally:
        alerts.stop()


def test_a_ca_file_that_holds_no_certificate_is_a_usage_error_naming_it(
        tmp_path: Path, dav: DavServer, alerts: AlertServer) -> None:
    not_pem = tmp_path / "not-a-ca.pem"
    not_pem.write_text("hello\n", encoding="utf-8")

    result = sync(tmp_path, dav, alerts, "--ca-file", str(not_pem))

    assert result.exit_code == 2
    assert f"--ca-file {not_pem}" in result.output and "PEM" in result.output
    assert dav.requests == []


def test_onboard_over_https_uses_the_ca_file(tmp_path: Path, dav: DavServer, alerts: AlertServer,
                                             instance_ca: TestCA) -> None:
    args = ["onboard", "--site-id", "S", "--instance", dav.url, "--user", DAV_USER,
            "--password", DAV_PASSWORD, "--tiktok-url", alerts.url, "--external-data-key", "k"]

    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 1 and "--ca-file" in refused.stderr and alerts.calls == []

    trusted = CliRunner().invoke(main, [*args, "--ca-file", str(instance_ca.ca_file)])
    assert trusted.exit_code == 0, trusted.output
    assert alerts.paths[0].startswith("/tbp/v2.0/salesforce/auth_callback/")
