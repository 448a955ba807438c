"""The pytest plugin as a user installs it: pytest in a separate project finds its fixtures by entry point.

Each run is a real `python -m pytest` in a temp folder with no conftest, so only the installed entry
point (`pytest11`) can supply the fixtures; the example it runs is the one docs/conformance.md shows.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "pytest-plugin"
RUN_TIMEOUT_S = 180

MORE_TESTS = '''
import time

import pytest


def test_a_refused_fault_names_the_field_and_clear_disarms(tiktok_sim_faults):
    with pytest.raises(ValueError, match="'on' must be one of alert"):
        tiktok_sim_faults.arm("orders", code=1)
    assert tiktok_sim_faults.armed() == []
    tiktok_sim_faults.arm("alert", http_status=503, times=2)
    tiktok_sim_faults.clear()
    assert tiktok_sim_faults.armed() == []


def test_the_journal_shows_what_followed_a_mark(tiktok_sim, tiktok_sim_journal):
    tiktok_sim.dav("PROPFIND", "", headers={"Depth": "0"})
    mark = tiktok_sim_journal.mark()
    assert mark >= 1
    tiktok_sim.dav("MKCOL", "src")
    assert [entry["method"] for entry in tiktok_sim_journal.entries(since=mark)] == ["MKCOL"]
    tiktok_sim_journal.clear()
    assert tiktok_sim_journal.entries() == []


def test_the_connector_logs_in_with_the_credentials(tiktok_sim):
    assert tiktok_sim.dav("PROPFIND", "", headers={"Depth": "0"})[0] == 207
    assert tiktok_sim.dav_url.startswith(tiktok_sim.base_url) and tiktok_sim.credentials["dav_password"]
    started = time.monotonic()
    assert tiktok_sim.products() == [] and tiktok_sim.jobs() == []
    assert time.monotonic() - started < 10  # no job at all is settled: no wait for the 60 s deadline
'''

FEATURE = """Feature: A connector's feed reaches TikTok Shop
  Scenario: A dropped feed is published
    Given an empty TikTok Shop simulator
    When the feed is dropped and TikTok Shop alerted
    Then TikTok Shop lists "TEE-1-S" as "ACTIVATE"
"""

STEPS = '''
from pathlib import Path

from pytest_bdd import given, parsers, scenarios, then, when

scenarios("shop.feature")


@given("an empty TikTok Shop simulator")
def _empty(tiktok_sim):
    assert tiktok_sim.products() == []


@when("the feed is dropped and TikTok Shop alerted")
def _drop(tiktok_sim):
    feed = (Path(__file__).parent / "tiktok-feed.txt").read_bytes()
    tiktok_sim.drop("tiktok-feed-RefArch-20261127101500-en_US.txt", feed)
    assert tiktok_sim.wait_job(tiktok_sim.alert())["state"] == "completed"


@then(parsers.parse('TikTok Shop lists "{sku}" as "{status}"'))
def _listed(tiktok_sim_partner, sku, status):
    search = "/product/202502/products/search"
    _, answer = tiktok_sim_partner.post(search, {"seller_skus": [sku]}, page_size="10")
    assert [product["status"] for product in answer["data"]["products"]] == [status]
'''


def run_pytest(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """pytest in `project` as its owner runs it; the plugin must come from the installed package."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTEST_ADDOPTS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD", "PYTEST_PLUGINS")}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
                          cwd=project, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_the_example_project_passes_against_a_fresh_simulator(tmp_path: Path, tls: bool) -> None:
    project, data = tmp_path / "shop-tests", tmp_path / "sim-data"
    shutil.copytree(EXAMPLE, project)
    (project / "test_more.py").write_text(MORE_TESTS, encoding="utf-8")
    result = run_pytest(project, f"--tiktok-sim-data-dir={data}", *(["--tiktok-sim-tls"] if tls else []))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout, result.stdout
    # one simulator for the session, where the option said, over https when asked
    assert (data / "credentials.json").is_file()
    assert (data / "tls" / "ca.pem").is_file() == tls


def test_a_pytest_bdd_suite_gets_the_fixtures_in_its_steps(tmp_path: Path) -> None:
    project = tmp_path / "shop-features"
    shutil.copytree(EXAMPLE, project)
    (project / "shop.feature").write_text(FEATURE, encoding="utf-8")
    (project / "test_shop_features.py").write_text(STEPS, encoding="utf-8")
    result = run_pytest(project, "test_shop_features.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout, result.stdout


def test_a_data_dir_that_is_a_file_stops_the_run_naming_the_option(tmp_path: Path) -> None:
    project, not_a_folder = tmp_path / "shop-tests", tmp_path / "sim-data"
    shutil.copytree(EXAMPLE, project)
    not_a_folder.write_text("", encoding="utf-8")
    result = run_pytest(project, f"--tiktok-sim-data-dir={not_a_folder}")
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout + result.stderr
    assert f"--tiktok-sim-data-dir {not_a_folder}: exists and is not a folder" in result.stderr


def test_a_simulator_that_cannot_start_errors_each_test_saying_why(tmp_path: Path) -> None:
    project, data = tmp_path / "shop-tests", tmp_path / "sim-data"
    shutil.copytree(EXAMPLE, project)
    data.mkdir()
    (data / "credentials.json").write_text("{broken", encoding="utf-8")
    result = run_pytest(project, f"--tiktok-sim-data-dir={data}")
    assert result.returncode == pytest.ExitCode.TESTS_FAILED, result.stdout + result.stderr
    assert "2 errors" in result.stdout, result.stdout
    assert (f"the TikTok Shop simulator did not start in {data}: {data / 'credentials.json'}: "
            "cannot read the saved credentials") in result.stdout
    assert (data / "credentials.json").read_text(encoding="utf-8") == "{broken"  # left for its owner


def test_the_documented_example_is_the_one_run_here() -> None:
    doc = (ROOT / "docs" / "conformance.md").read_text(encoding="utf-8")
    section = doc.split("## pytest plugin", 1)[1]
    documented = re.search(r"```python\n(.+?)```", section, re.S).group(1)
    example = (EXAMPLE / "test_shop.py").read_text(encoding="utf-8")
    assert example.endswith(documented) and example[: -len(documented)].count("\n") == 2  # the docstring line


def test_a_failing_check_fails_the_users_test(tmp_path: Path) -> None:
    """The fixtures report what the simulator saw: a feed that breaks a rule is not published."""
    project = tmp_path / "shop-tests"
    shutil.copytree(EXAMPLE, project)
    feed = project / "tiktok-feed.txt"
    feed.write_bytes(feed.read_bytes().replace(b'"Crew Tee"', b'""', 1))
    result = run_pytest(project, "-k", "published")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed" in result.stdout, result.stdout


def test_a_suite_that_uses_no_fixture_starts_no_simulator(tmp_path: Path) -> None:
    project, data = tmp_path / "other-tests", tmp_path / "sim-data"
    project.mkdir()
    (project / "test_plain.py").write_text(
        "import sys\n\n\ndef test_plain():\n    assert 'simulator.server' not in sys.modules\n",
        encoding="utf-8")
    result = run_pytest(project, f"--tiktok-sim-data-dir={data}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout, result.stdout
    assert not data.exists()
