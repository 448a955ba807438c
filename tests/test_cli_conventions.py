"""Both command lines follow the same conventions: -h/--help everywhere, --version, flag pairs, and a
per-user state folder that the connector names on first use."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from support.connector_servers import DAV_PASSWORD, DAV_USER, AlertServer, DavServer
from support.sfcc import write_catalog, write_pricebook

from connector.cli import main as connector_main
from connector.settings import default_state_dir
from simulator.cli import main as simulator_main

COMMANDS = {"tiktok-sim": simulator_main, "sfcc-connector": connector_main}


def every_command_line() -> Iterator[tuple[str, list[str]]]:
    for name, group in COMMANDS.items():
        yield name, []
        for sub in group.commands:
            yield name, [sub]


@pytest.mark.parametrize(("name", "path"), list(every_command_line()),
                         ids=lambda value: " ".join(value) if isinstance(value, list) else value)
def test_short_and_long_help_everywhere(name: str, path: list[str]) -> None:
    for flag in ("-h", "--help"):
        result = CliRunner().invoke(COMMANDS[name], [*path, flag])
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith("Usage: ") and "-h, --help" in result.stdout


@pytest.mark.parametrize("name", list(COMMANDS))
def test_version_names_the_installed_distribution(name: str) -> None:
    result = CliRunner().invoke(COMMANDS[name], ["--version"], prog_name=name)
    assert result.exit_code == 0
    assert result.stdout == f"{name}, version {version('tiktok-sfcc-sim')}\n"


def test_a_flag_on_by_default_can_be_turned_off() -> None:
    """Every boolean option whose default is on has an off switch (click's `--x/--no-x`)."""
    for group in COMMANDS.values():
        for command in [group, *group.commands.values()]:
            for param in command.params:
                if isinstance(param, click.Option) and param.is_bool_flag and param.default is True:
                    assert param.secondary_opts, f"{command.name} {param.opts} cannot be turned off"


def test_export_no_full_says_where_a_delta_comes_from(tmp_path: Path) -> None:
    catalog = write_catalog(tmp_path / "catalog.xml", {"A": "One"})
    prices = write_pricebook(tmp_path / "prices.xml", {"A": "10"})
    result = CliRunner().invoke(connector_main, ["export", "--no-full", "--catalog", str(catalog),
                                                 "--pricebook", str(prices), "--site-id", "S",
                                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "sfcc-connector sync --delta" in result.stderr and not (tmp_path / "out").exists()


@pytest.mark.parametrize(("platform", "environ", "expected"), [
    ("linux", {"XDG_STATE_HOME": "/srv/state"}, Path("/srv/state/sfcc-connector/RefArch")),
    ("linux", {}, Path.home() / ".local/state/sfcc-connector/RefArch"),
    ("linux", {"XDG_STATE_HOME": "relative/ignored"}, Path.home() / ".local/state/sfcc-connector/RefArch"),
    ("darwin", {}, Path.home() / "Library/Application Support/sfcc-connector/RefArch"),
    ("win32", {"LOCALAPPDATA": "C:/Users/me/AppData/Local"},
     Path("C:/Users/me/AppData/Local/sfcc-connector/RefArch")),
], ids=["xdg", "linux-default", "xdg-relative", "macos", "windows"])
def test_default_state_dir_per_platform(platform: str, environ: dict[str, str], expected: Path) -> None:
    assert default_state_dir("RefArch", environ, platform) == expected


def test_state_dir_defaults_to_the_user_state_folder_named_on_first_use(
        tmp_path: Path, servers: tuple[DavServer, AlertServer], monkeypatch: pytest.MonkeyPatch) -> None:
    dav, alerts = servers
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SFCC_CONNECTOR_STATE_DIR", raising=False)
    catalog = write_catalog(tmp_path / "catalog.xml", {"A": "One"})
    prices = write_pricebook(tmp_path / "prices.xml", {"A": "10"})
    args = ["sync", "--catalog", str(catalog), "--pricebook", str(prices), "--site-id", "RefArch",
            "--instance", dav.url, "--user", DAV_USER, "--password", DAV_PASSWORD, "--tiktok-url", alerts.url]
    env = {"XDG_STATE_HOME": str(tmp_path / "xdg")}
    state = tmp_path / "xdg" / "sfcc-connector" / "RefArch"
    first, second = (CliRunner().invoke(connector_main, args, env=env) for _ in range(2))
    assert first.exit_code == second.exit_code == 0, first.output
    assert f"state: using {state} (first run)\n" in first.stderr
    assert "state: using" not in second.stderr and "1 rows (full)" in first.stdout
    assert (state / "snapshot.sqlite").is_file() and sorted(p.name for p in tmp_path.iterdir()) == [
        "catalog.xml", "impex", "prices.xml", "xdg"]  # nothing in the current folder
