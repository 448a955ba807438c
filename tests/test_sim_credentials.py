"""Generated credentials persist in the data folder (mode 0600) and are reused at the next start, so a
connector set up once keeps working across restarts; the banner says where they are."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.net import basic_auth, request
from support.partner import for_server

from simulator.cli import main as sim_main
from simulator.credentials import CredentialsError, resolve
from simulator.server import SimServer

KEYS = ("dav_user", "dav_password", "app_key", "app_secret", "external_data_key")


def values(server: SimServer) -> dict[str, str]:
    return {key: getattr(server, key) for key in KEYS}


def test_generated_credentials_are_saved_0600_and_reused(tmp_path: Path) -> None:
    with SimServer(tmp_path / "sim") as first:
        generated = values(first)
        assert all(generated.values()), generated
        partner = for_server(first)
    path = tmp_path / "sim" / "credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == generated
    with SimServer(tmp_path / "sim") as second:
        assert values(second) == generated
        auth = basic_auth(generated["dav_user"], generated["dav_password"])
        assert request("PROPFIND", second.dav_url + "/", None, {"Depth": "0", **auth})[0] == 207
        partner.base_url = second.base_url
        assert partner.get("/authorization/202309/shops")[1]["code"] == 0


def test_no_generated_value_reads_as_a_command_line_option(tmp_path: Path) -> None:
    """Users paste them after `--password` (sfcc-connector, curl, rclone): a leading "-" would make an option
    of one in 64 WebDAV keys; 2,000 draws would show it with near certainty."""
    for draw in range(2000):
        made = resolve(tmp_path / str(draw))
        assert not any(value.startswith("-") for value in vars(made).values()), made


def test_given_values_win_and_are_saved(tmp_path: Path) -> None:
    with SimServer(tmp_path / "sim") as first:
        generated = values(first)
    with SimServer(tmp_path / "sim", dav_password="given-key", app_secret="given-secret") as second:
        assert values(second) == {**generated, "dav_password": "given-key", "app_secret": "given-secret"}
    with SimServer(tmp_path / "sim") as third:
        assert (third.dav_password, third.app_secret) == ("given-key", "given-secret")
    assert stat.S_IMODE((tmp_path / "sim" / "credentials.json").stat().st_mode) == 0o600


@pytest.mark.parametrize(("text", "words"), [
    ("{not json", "cannot read"),
    ("[]", "JSON object"),
    ('{"app_secret": 7}', "'app_secret'"),
], ids=["not-json", "not-an-object", "not-a-string"])
def test_an_unusable_credentials_file_is_named_and_left_alone(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "sim" / "credentials.json"
    path.parent.mkdir()
    path.write_text(text)
    with pytest.raises(CredentialsError, match=words) as raised:
        SimServer(tmp_path / "sim").start()
    assert str(path) in str(raised.value)
    assert path.read_text() == text
    result = CliRunner().invoke(sim_main, ["serve", "--data-dir", str(tmp_path / "sim"), "--port", "0"])
    assert result.exit_code != 0 and str(path) in result.output and "Traceback" not in result.output


def banner(data_dir: Path) -> dict[str, str]:
    """Start `tiktok-sim serve`, read its banner up to "Press Ctrl-C", stop it; the banner as a dict."""
    command = [sys.executable, "-c", "from simulator.cli import main; main()", "serve",
               "--data-dir", str(data_dir), "--port", "0"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        lines: dict[str, str] = {}
        while not (line := proc.stdout.readline()).startswith("Press Ctrl-C"):
            assert line, proc.stderr.read()
            name, _, value = line.partition(":")
            lines[name] = value.strip()
        proc.terminate()
        proc.communicate(timeout=20)
    return lines


def test_the_banner_prints_the_keys_and_where_they_are_saved(tmp_path: Path) -> None:
    first = banner(tmp_path / "sim")
    saved = json.loads((tmp_path / "sim" / "credentials.json").read_text())
    assert str((tmp_path / "sim" / "credentials.json").resolve()) in first["Saved credentials"]
    assert (first["App key"], first["App secret"], first["External-data key"]) == (
        saved["app_key"], saved["app_secret"], saved["external_data_key"])
    assert (first["WebDAV user"], first["WebDAV access key"]) == (saved["dav_user"], saved["dav_password"])
    second = banner(tmp_path / "sim")
    kept = ("App key", "App secret", "External-data key", "WebDAV user", "WebDAV access key")
    assert [second[name] for name in kept] == [first[name] for name in kept]
