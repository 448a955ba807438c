"""Each command fed the wrong kind of file, a missing file, an unreadable or read-only folder, a broken
`dw.json` or an unreachable server: one `error: <what> (<hint>)` line, a non-zero exit, nothing written;
`--debug` shows the traceback instead."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.connector_servers import DAV_PASSWORD, DAV_USER, AlertServer, DavServer
from support.sfcc import write_catalog, write_inventory, write_pricebook
from support.unprivileged import invoke_unprivileged, reachable_tmp

from connector.cli import main as connector_main
from simulator.cli import main as simulator_main

ONE_LINE_WITH_HINT = re.compile(r"error: [^\n]+ \([^\n]+\)\n")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Good SFCC exports in tmp_path, which is also the current folder and holds the XDG state home."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("SFCC_CONNECTOR_STATE_DIR", raising=False)
    return {"catalog": write_catalog(tmp_path / "catalog.xml", {"A": "One"}),
            "pricebook": write_pricebook(tmp_path / "prices.xml", {"A": "10"}),
            "inventory": write_inventory(tmp_path / "inventory.xml", {"A": 1})}


def sync_args(catalog: Path, pricebook: Path, instance: str, tiktok: str) -> list[str]:
    return ["sync", "--catalog", str(catalog), "--pricebook", str(pricebook), "--site-id", "S",
            "--instance", instance, "--user", DAV_USER, "--password", DAV_PASSWORD, "--tiktok-url", tiktok]


def written(tmp_path: Path) -> list[str]:
    """What a run left in tmp_path besides the inputs and the test servers' own folder."""
    inputs = ("impex", "dw.json")
    return sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".xml" and p.name not in inputs)


def test_sync_given_the_wrong_kind_of_file_sends_and_keeps_nothing(
        tmp_path: Path, site: dict[str, Path], servers: tuple[DavServer, AlertServer]) -> None:
    dav, alerts = servers
    result = CliRunner().invoke(connector_main, sync_args(site["inventory"], site["pricebook"], dav.url,
                                                          alerts.url))
    assert result.exit_code == 1
    assert result.stderr == (f"error: {site['inventory']}:2: this is an SFCC inventory list export, not an "
                             "SFCC catalog export (give it with --inventory)\n")
    assert written(tmp_path) == [] and alerts.calls == []
    assert not [request for request in dav.requests if request[0] in ("PUT", "MOVE", "MKCOL")]


def test_export_given_the_wrong_kind_of_file_leaves_no_output_folder(
        tmp_path: Path, site: dict[str, Path]) -> None:
    result = CliRunner().invoke(connector_main, ["export", "--catalog", str(site["pricebook"]), "--pricebook",
                                                 str(site["pricebook"]), "--site-id", "S", "--out", "out"])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "this is an SFCC price book export" in result.stderr
    assert written(tmp_path) == []


@pytest.mark.parametrize("command", [
    ["sfcc-connector", "sync", "--catalog", "missing.xml", "--pricebook", "prices.xml", "--site-id", "S"],
    ["sfcc-connector", "export", "--catalog", "missing.xml", "--pricebook", "prices.xml", "--site-id", "S",
     "--out", "out"],
], ids=["sync", "export"])
def test_a_missing_file_is_one_line(tmp_path: Path, site: dict[str, Path], command: list[str]) -> None:
    result = CliRunner().invoke(connector_main, command[1:])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "'missing.xml' does not exist" in result.stderr
    assert written(tmp_path) == []


def test_check_reports_a_missing_file_as_not_checked(tmp_path: Path, site: dict[str, Path]) -> None:
    result = CliRunner().invoke(simulator_main, ["check", "missing.xml"])
    assert (result.exit_code, result.stderr) == (2, "")
    assert result.stdout == "missing.xml: not checked\n  cannot read the file: No such file or directory\n"


@pytest.mark.parametrize("content", ['{"hostname": "x",', '["not", "an", "object"]'])
def test_a_broken_dw_json_is_one_line_naming_it(tmp_path: Path, site: dict[str, Path], content: str) -> None:
    (tmp_path / "dw.json").write_text(content, encoding="utf-8")
    result = CliRunner().invoke(connector_main, ["sync", "--catalog", str(site["catalog"]), "--pricebook",
                                                 str(site["pricebook"]), "--site-id", "S", "--tiktok-url",
                                                 "http://127.0.0.1:9"])
    assert result.exit_code == 1
    assert ONE_LINE_WITH_HINT.fullmatch(result.stderr) and f"{tmp_path / 'dw.json'}: " in result.stderr
    assert written(tmp_path) == []


def test_an_unreachable_instance_is_one_line_with_a_hint_and_keeps_no_state(
        tmp_path: Path, site: dict[str, Path]) -> None:
    closed = "http://127.0.0.1:9"  # the discard port: nothing listens on loopback
    result = CliRunner().invoke(connector_main, sync_args(site["catalog"], site["pricebook"], closed, closed))
    assert result.exit_code == 1
    assert ONE_LINE_WITH_HINT.fullmatch(result.stderr) and "cannot reach the instance" in result.stderr
    assert "check --instance" in result.stderr and written(tmp_path) == []


def test_read_only_and_unreadable_folders_are_one_line_each(site: dict[str, Path]) -> None:
    with reachable_tmp() as folder:
        read_only, locked = folder / "read-only", folder / "locked"
        read_only.mkdir()
        locked.mkdir()
        catalog = write_catalog(locked / "catalog.xml", {"A": "One"})
        readable = write_catalog(folder / "catalog.xml", {"A": "One"})
        prices = write_pricebook(folder / "prices.xml", {"A": "10"})
        feed = folder / "feed.txt"
        feed.write_text("A\n", encoding="utf-8")
        read_only.chmod(0o555)
        locked.chmod(0o000)
        closed = "http://127.0.0.1:9"
        runs = {
            "sync --state-dir": (connector_main, [*sync_args(readable, prices, closed, closed),
                                                 "--state-dir", str(read_only / "state")]),
            "export --out": (connector_main, ["export", "--catalog", str(prices), "--pricebook", str(prices),
                                              "--site-id", "S", "--out", str(read_only / "out")]),
            "sync --catalog": (connector_main, sync_args(catalog, prices, closed, closed)),
            "check --output": (simulator_main, ["check", str(feed), "--output", str(read_only / "r.txt")]),
            "serve --data-dir": (simulator_main, ["serve", "--port", "0", "--data-dir",
                                                  str(read_only / "data")]),
        }
        for name, (main, args) in runs.items():
            outcome = invoke_unprivileged(main, args, {"XDG_STATE_HOME": str(read_only / "xdg")})
            assert outcome.exit_code in (1, 2), (name, outcome)
            assert ONE_LINE_WITH_HINT.fullmatch(outcome.stderr), (name, outcome)
            assert "Permission denied" in outcome.stderr, (name, outcome)
        assert sorted(p.name for p in read_only.iterdir()) == []
        locked_feed = invoke_unprivileged(simulator_main, ["check", str(catalog)])
        assert (locked_feed.exit_code, locked_feed.stderr) == (2, "")
        assert locked_feed.stdout == f"{catalog}: not checked\n  cannot read the file: Permission denied\n"


def test_a_file_in_the_way_of_the_state_folder_is_one_line_and_debug_shows_the_traceback(
        tmp_path: Path, site: dict[str, Path]) -> None:
    (tmp_path / "state").write_text("not a folder", encoding="utf-8")
    args = [*sync_args(site["catalog"], site["pricebook"], "http://127.0.0.1:9", "http://127.0.0.1:9"),
            "--state-dir", str(tmp_path / "state" / "S")]
    result = CliRunner().invoke(connector_main, args)
    assert result.exit_code == 1
    assert result.stderr == (f"error: Not a directory: {tmp_path / 'state' / 'S'} "
                             "(a file is in the way of a folder: choose another path)\n")
    debug = CliRunner().invoke(connector_main, ["--debug", *args])
    assert isinstance(debug.exception, NotADirectoryError)


def test_an_unusable_data_folder_is_one_line_and_debug_shows_the_traceback(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "jobs.sqlite3").mkdir(parents=True)  # a folder where the store's database should be
    (data / "shop.sqlite3").mkdir()
    args = ["serve", "--port", "0", "--data-dir", str(data)]
    result = CliRunner().invoke(simulator_main, args)
    assert result.exit_code == 1
    assert ONE_LINE_WITH_HINT.fullmatch(result.stderr) and "check --data-dir" in result.stderr
    assert "Traceback" not in result.output
    debug = CliRunner().invoke(simulator_main, ["--debug", *args])
    assert isinstance(debug.exception, sqlite3.OperationalError)


def test_an_unusable_state_database_is_one_line_and_an_existing_state_folder_is_kept(
        tmp_path: Path, site: dict[str, Path]) -> None:
    state = tmp_path / "state"
    (state / "snapshot.sqlite").mkdir(parents=True)  # a folder where the snapshot database should be
    args = [*sync_args(site["catalog"], site["pricebook"], "http://127.0.0.1:9", "http://127.0.0.1:9"),
            "--state-dir", str(state)]
    result = CliRunner().invoke(connector_main, args)
    assert result.exit_code == 1
    assert ONE_LINE_WITH_HINT.fullmatch(result.stderr) and "check --state-dir" in result.stderr
    assert [p.name for p in state.iterdir()] == ["snapshot.sqlite"]


def test_a_full_disk_is_one_line_and_leaves_no_partial_report(tmp_path: Path) -> None:
    feed = tmp_path / "feed.txt"
    feed.write_text("SKU-1\n", encoding="utf-8")
    result = CliRunner().invoke(simulator_main, ["check", str(feed), "--output", "/dev/full"])  # ENOSPC
    assert result.exit_code == 1
    assert result.stderr == ("error: No space left on device: /dev/full "
                             "(free some disk space, or choose another folder)\n")
    report = tmp_path / "report.txt"
    assert CliRunner().invoke(simulator_main, ["check", str(feed), "--output", str(report)]).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feed.txt", "report.txt"]  # no .part left
