"""`tiktok-sim conformance` as a user runs it: the shipped template passes, each broken connector fails
naming the rule it breaks, a connector that cannot run fails its scenarios without stopping the run, and
the JUnit and Cucumber reports say the same as the verdict lines.

The runs are real processes (the command, its simulator, the connectors), started together once for the
module so the suite stays fast; each test then reads one run's outcome.
"""

from __future__ import annotations

import configparser
import json
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from xml.etree import ElementTree

import pytest
from support.waiting import wait_for

ROOT = Path(__file__).resolve().parent.parent
BAD = ROOT / "tests" / "conformance_bad" / "connector.py"
PYTHON = shlex.quote(sys.executable)
TEMPLATE = f"{PYTHON} -m simulator.conformance.connectors.sfcc"
SCENARIOS = ("Initial catalog sync: The first full sync of the site",
             "Ongoing catalog sync: An update, an addition and a deletion in one edit session",
             "Inventory sync: An inventory sync after the catalog")
# Each broken connector, the scenarios that show its rule, and the rule the verdict must name.
BROKEN = {
    "no-temp": ("initial", "temp-then-move"),
    "early-alert": ("initial", "alert-after-drop"),
    "update-first": ("initial", "delete-before-update"),
    "wrong-header": ("initial", "feed-header"),
    "no-delete-feed": ("delta", "delete-feed"),
    "unknown-skus": ("inventory", "known-skus"),
    "wrong-folder": ("initial", "documented-folder"),
}
RUN_TIMEOUT_S = 300


def conformance(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "simulator.cli", "conformance", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=RUN_TIMEOUT_S)


def tox_conformance_lines(work: Path) -> list[list[str]]:
    """tox.ini's conformance commands (what `.ci/run` keeps under reports/), writing into `work`."""
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / "tox.ini", encoding="utf-8")
    lines = [shlex.split(line) for line in tox["testenv"]["commands"].strip().splitlines()]
    found = [line[2:] for line in lines if line[:2] == ["tiktok-sim", "conformance"]]
    assert [line.count("--tls") for line in found] == [0, 1], found
    for line in found:
        line[line.index("--connector-cmd") + 1] = TEMPLATE
        line[line.index("--output") + 1] = str(work / Path(line[line.index("--output") + 1]).name)
    return found


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every run this module judges, four at a time."""
    work = tmp_path_factory.mktemp("conformance")
    pids = work / "hung-pids"
    http, https = tox_conformance_lines(work)
    planned = {
        "template-http": http,
        "template-https": https,
        "clean": ["--connector-cmd", f"{PYTHON} {BAD}"],
        "missing": ["--tags", "initial", "--connector-cmd", str(work / "no-such-connector")],
        "not-executable": ["--tags", "initial", "--connector-cmd", str(BAD)],
        "exits-3": ["--tags", "initial", "--connector-cmd",
                    "for i in $(seq 1 25); do echo line $i; done; echo oops >&2; exit 3"],
        "hangs": ["--timeout", "1", "--connector-cmd",
                  f"sleep 300 & echo $! >> {pids}; echo hanging in $SYNC_MODE mode; sleep 300"],
        **{f"bad-{rule}": ["--tags", tags, "--connector-cmd", f"{PYTHON} {BAD} {rule}"]
           for rule, (tags, _) in BROKEN.items()},
    }
    with ThreadPoolExecutor(4) as pool:
        futures = {name: pool.submit(conformance, *args, cwd=work) for name, args in planned.items()}
        done = {name: future.result() for name, future in futures.items()}
    done["work"] = work  # type: ignore[assignment]
    return done


def verdicts(run: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """Scenario -> the verdict block (its PASS/FAIL line and the indented lines after it)."""
    found: dict[str, str] = {}
    current = ""
    for line in run.stdout.splitlines():
        if line.startswith(("PASS  ", "FAIL  ")):
            current = line[6:]
            found[current] = line
        elif line.startswith("      ") and current:
            found[current] += "\n" + line
    return found


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_the_shipped_sfcc_connector_template_passes(runs: dict, scheme: str) -> None:
    run = runs[f"template-{scheme}"]
    assert run.returncode == 0, run.stdout + run.stderr
    assert all(verdicts(run)[name].startswith("PASS") for name in SCENARIOS), run.stdout
    assert run.stdout.rstrip().endswith("3 scenarios: 3 passed, 0 failed")


def test_a_connector_of_its_own_that_keeps_every_rule_passes(runs: dict) -> None:
    """Not `sfcc-connector`'s calls: the harness judges what reached TikTok, whoever sent it."""
    run = runs["clean"]
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize("broken", BROKEN)
def test_a_connector_that_breaks_one_rule_fails_naming_it(runs: dict, broken: str) -> None:
    run = runs[f"bad-{broken}"]
    rule = BROKEN[broken][1]
    assert run.returncode == 1, run.stdout + run.stderr
    failed = [block for block in verdicts(run).values() if block.startswith("FAIL")]
    assert failed, run.stdout
    assert all(f"[{rule}]" in block for block in failed), run.stdout


def test_an_alert_before_the_move_names_the_temp_file(runs: dict) -> None:
    (block,) = verdicts(runs["bad-early-alert"]).values()
    assert "alert (journal #" in block and "arrived before the" in block, block


def test_a_missing_or_unrunnable_command_fails_with_its_exit_code_and_output(runs: dict) -> None:
    for name, code, said in (("missing", 127, "not found"), ("not-executable", 126, "Permission denied")):
        run = runs[name]
        assert run.returncode == 1, run.stdout + run.stderr
        (block,) = verdicts(run).values()
        assert block.startswith("FAIL") and f"exited with code {code}" in block and said in block, block


def test_a_failing_command_shows_its_last_20_lines(runs: dict) -> None:
    (block,) = verdicts(runs["exits-3"]).values()
    assert "[connector-exit]" in block and "exited with code 3" in block, block
    shown = [line.split("| ", 1)[1] for line in block.splitlines() if "| " in line]
    assert shown == [f"line {i}" for i in range(7, 26)] + ["oops"], block


def test_a_hung_command_is_killed_with_its_children_and_the_run_goes_on(runs: dict) -> None:
    run = runs["hangs"]
    assert run.returncode == 1
    blocks = verdicts(run)
    assert set(blocks) == set(SCENARIOS), run.stdout  # every scenario ran, each failed
    assert all("did not exit within 1 s and was killed" in b and "hanging in full mode" in b
               for b in blocks.values()), run.stdout
    pids = [int(pid) for pid in (runs["work"] / "hung-pids").read_text().split()]
    assert len(pids) == 3

    def all_gone() -> bool:
        return all(_dead(pid) for pid in pids)

    wait_for(all_gone, "the connector's background sleep to be killed")


def _dead(pid: int) -> bool:
    """Gone, or a zombie nobody reaped yet (a container's init may never): either way it runs no more."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "State:\tZ" in status


def test_the_junit_report_has_a_testcase_per_scenario(runs: dict) -> None:
    suite = ElementTree.parse(runs["work"] / "conformance-junit.xml").getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "0", "0")
    assert len(suite.findall("testcase")) == 3


def test_the_cucumber_report_has_each_feature_and_its_passed_steps(runs: dict) -> None:
    features = json.loads((runs["work"] / "conformance-cucumber.json").read_text())
    assert sorted(f["name"] for f in features) == ["Initial catalog sync", "Inventory sync",
                                                   "Ongoing catalog sync"]
    steps = [step for f in features for element in f["elements"] for step in element["steps"]]
    assert steps and all(step["result"]["status"] == "passed" for step in steps)


def test_a_failing_run_report_counts_the_failure(tmp_path: Path) -> None:
    """The report goes to stdout when no --output is given, the verdict lines then to stderr."""
    run = conformance("--tags", "initial", "--format", "junit", "--connector-cmd", "exit 9", cwd=tmp_path)
    assert run.returncode == 1
    suite = ElementTree.fromstring(run.stdout).find("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("1", "1")
    assert "exited with code 9" in suite.find("testcase/failure").get("message") + run.stderr
    assert run.stderr.startswith("FAIL  Initial catalog sync"), run.stderr


def test_text_output_keeps_the_verdict_lines_in_a_file(tmp_path: Path) -> None:
    report = tmp_path / "verdicts.txt"
    run = conformance("--tags", "inventory", "--output", str(report), "--connector-cmd", "exit 4",
                      cwd=tmp_path)
    assert run.returncode == 1
    assert report.read_text() == run.stdout
    assert run.stdout.startswith("FAIL  Inventory sync") and "exited with code 4" in run.stdout


@pytest.mark.parametrize(("args", "said"), [
    (["--tags", "catalog and (", "--connector-cmd", "true"], "--tags"),
    (["--tags", "no_such_tag", "--connector-cmd", "true"], "no scenario matches"),
    (["--connector-cmd", " "], "--connector-cmd"),
    (["--connector-cmd", "true", "--timeout", "0"], "--timeout"),
])
def test_bad_options_are_refused_naming_the_option(tmp_path: Path, args: list[str], said: str) -> None:
    run = conformance(*args, cwd=tmp_path)
    assert run.returncode == 2, run.stdout + run.stderr
    assert said in run.stderr and "Traceback" not in run.stderr, run.stderr
