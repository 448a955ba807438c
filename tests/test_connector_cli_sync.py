"""`sfcc-connector` as a user runs it: settings precedence, dw.json, errors, sync/export/onboard."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.connector_servers import DAV_PASSWORD, DAV_USER, AlertServer, DavServer
from support.sfcc import INVENTORY_FOLDER, PRODUCT_FOLDER, write_catalog, write_inventory, write_pricebook

from connector.cli import main
from connector.settings import resolve_settings

ENV_VARS = ("SFCC_INSTANCE", "SFCC_USER", "SFCC_PASSWORD", "SFCC_SITE_ID", "TIKTOK_URL",
            "TIKTOK_EXTERNAL_BUSINESS_ID", "SFCC_CONNECTOR_STATE_DIR")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def inputs(tmp_path: Path) -> list[str]:
    catalog = write_catalog(tmp_path / "catalog.xml", {"SIMPLE-1": "One", "SIMPLE-2": "Two"})
    prices = write_pricebook(tmp_path / "prices.xml", {"SIMPLE-1": "10", "SIMPLE-2": "12.50"})
    inventory = write_inventory(tmp_path / "inventory.xml", {"SIMPLE-1": 3, "SIMPLE-2": 0})
    return ["--catalog", str(catalog), "--pricebook", str(prices), "--inventory", str(inventory)]


def test_flags_beat_environment_beat_dw_json(tmp_path: Path) -> None:
    dw_json = tmp_path / "dw.json"
    dw_json.write_text(json.dumps({"hostname": "dev01.example.com", "username": "file-user",
                                   "password": "file-key", "code-version": "v1"}), encoding="utf-8")
    env = {"SFCC_USER": "env-user", "SFCC_SITE_ID": "EnvSite", "TIKTOK_URL": "http://tiktok/",
           "SFCC_CONNECTOR_STATE_DIR": "/tmp/state"}
    settings = resolve_settings({"site_id": "FlagSite"}, env, dw_json)
    assert settings.instance == "https://dev01.example.com"        # dw.json hostname -> https://
    assert settings.user == "env-user" and settings.password == "file-key"
    assert settings.site_id == "FlagSite" and settings.tiktok_url == "http://tiktok"
    assert settings.external_business_id == "sfcc-sim-tenant" and settings.state_dir == Path("/tmp/state")


def test_missing_settings_are_a_usage_error_naming_flag_and_variable(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["sync", *inputs(tmp_path), "--site-id", "S"])
    assert result.exit_code == 2
    assert "--instance or $SFCC_INSTANCE" in result.output
    assert "--tiktok-url or $TIKTOK_URL" in result.output
    assert "--site-id" not in result.output.split("Error:")[1]


def test_full_sync_from_the_shell_with_dw_json_credentials(
        tmp_path: Path, servers: tuple[DavServer, AlertServer]) -> None:
    dav, alerts = servers
    (tmp_path / "dw.json").write_text(json.dumps({"hostname": "unused.example.com", "username": DAV_USER,
                                                  "password": DAV_PASSWORD}), encoding="utf-8")
    result = CliRunner().invoke(main, [
        "sync", "--full", *inputs(tmp_path), "--site-id", "S", "--instance", dav.url,
        "--tiktok-url", alerts.url, "--state-dir", str(tmp_path / "state")])

    assert result.exit_code == 0, result.output
    assert alerts.updates() == [("product", "delete"), ("product", "update"), ("inventory", "create")]
    assert len([n for n in dav.names(PRODUCT_FOLDER) if n.startswith("tiktok-feed-S-")]) == 1
    assert len(dav.names(INVENTORY_FOLDER)) == 1
    assert "2 rows (full)" in result.output and "alerted TikTok: inventory/create" in result.output


def test_environment_settings_and_default_mode_becomes_delta(
        tmp_path: Path, servers: tuple[DavServer, AlertServer], monkeypatch: pytest.MonkeyPatch) -> None:
    dav, alerts = servers
    for name, value in {"SFCC_INSTANCE": dav.url, "SFCC_USER": DAV_USER, "SFCC_PASSWORD": DAV_PASSWORD,
                        "SFCC_SITE_ID": "S", "TIKTOK_URL": alerts.url,
                        "SFCC_CONNECTOR_STATE_DIR": str(tmp_path / "state")}.items():
        monkeypatch.setenv(name, value)
    first = CliRunner().invoke(main, ["sync", *inputs(tmp_path)])
    second = CliRunner().invoke(main, ["sync", *inputs(tmp_path)])
    assert "2 rows (full)" in first.output
    assert "0 rows (delta)" in second.output, second.output
    product_run = [("product", "delete"), ("product", "update")]
    # The first sync sends the stock too; the delta sync finds no stock figure changed and sends none.
    assert alerts.updates() == [*product_run, ("inventory", "create"), *product_run]
    assert "inventory unchanged" in second.output and len(dav.names(INVENTORY_FOLDER)) == 1


def test_plain_sync_keeps_stock_current_unless_told_not_to(
        tmp_path: Path, servers: tuple[DavServer, AlertServer]) -> None:
    dav, alerts = servers
    settings = ["--site-id", "S", "--instance", dav.url, "--user", DAV_USER, "--password", DAV_PASSWORD,
                "--tiktok-url", alerts.url, "--state-dir", str(tmp_path / "state")]
    args = ["sync", *inputs(tmp_path), *settings]
    assert CliRunner().invoke(main, args).exit_code == 0
    write_inventory(tmp_path / "inventory.xml", {"SIMPLE-1": 3, "SIMPLE-2": 7})
    changed = CliRunner().invoke(main, args)
    assert changed.exit_code == 0, changed.output
    assert "(delta)" in changed.output and alerts.updates()[-1] == ("inventory", "create")
    sent = sorted(dav.names(INVENTORY_FOLDER))[-1]
    assert "<allocation>7</allocation>" in dav.file(f"{INVENTORY_FOLDER}/{sent}").read_text(encoding="utf-8")

    write_inventory(tmp_path / "inventory.xml", {"SIMPLE-1": 0, "SIMPLE-2": 7})
    calls = len(alerts.updates())
    quiet = CliRunner().invoke(main, [*args, "--no-inventory", "--format", "json"])
    assert quiet.exit_code == 0, quiet.output
    assert ("inventory", "create") not in alerts.updates()[calls:] and len(dav.names(INVENTORY_FOLDER)) == 2
    report = json.loads(quiet.stdout)  # progress and summary went to stderr
    assert report["inventory"] is None and report["product"]["mode"] == "delta"
    assert report["product"]["summary"]["site_skus"] == 2


def test_bad_xml_is_one_clear_line_and_exit_1(tmp_path: Path, servers: tuple[DavServer, AlertServer]) -> None:
    dav, alerts = servers
    broken = tmp_path / "broken.xml"
    broken.write_text('<?xml version="1.0"?>\n<catalog xmlns="http://www.demandware.com/xml/impex/catalog/'
                      '2006-10-31">\n  <product product-id="A">\n</catalog>\n', encoding="utf-8")
    args = ["sync", "--catalog", str(broken), *inputs(tmp_path)[2:], "--site-id", "S", "--instance", dav.url,
            "--user", DAV_USER, "--password", DAV_PASSWORD, "--tiktok-url", alerts.url,
            "--state-dir", str(tmp_path / "state")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and result.output.startswith(f"error: {broken}:4")
    assert "Traceback" not in result.output and alerts.calls == []


def test_unacknowledged_alert_exits_1_and_says_the_run_waits(
        tmp_path: Path, servers: tuple[DavServer, AlertServer]) -> None:
    dav, alerts = servers
    alerts.fail(3)
    result = CliRunner().invoke(main, ["sync", *inputs(tmp_path), "--site-id", "S", "--instance", dav.url,
                                       "--user", DAV_USER, "--password", DAV_PASSWORD, "--tiktok-url",
                                       alerts.url, "--state-dir", str(tmp_path / "state")])
    assert result.exit_code == 1
    assert "error: alert product/delete" in result.output and "failed 3 times" in result.output


def test_export_only_writes_files(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["export", "--full", *inputs(tmp_path), "--site-id", "S",
                                       "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(names) == 2 and names[0].startswith("inventory-S-") and names[1].startswith("tiktok-feed-S-")


def test_onboard_posts_the_auth_callback(tmp_path: Path, servers: tuple[DavServer, AlertServer]) -> None:
    dav, alerts = servers
    result = CliRunner().invoke(main, ["onboard", "--site-id", "RefArch", "--instance", dav.url,
                                       "--user", DAV_USER, "--password", DAV_PASSWORD,
                                       "--tiktok-url", alerts.url, "--external-business-id", "tenant-9",
                                       "--external-data-key", "key"])
    assert result.exit_code == 0, result.output
    assert alerts.paths[0].startswith("/tbp/v2.0/salesforce/auth_callback/?external_data=")
    body = alerts.calls[0]
    assert (body["external_business_id"], body["webdav_url"], body["commerce_cloud_username"]) == (
        "tenant-9", dav.url, DAV_USER)
