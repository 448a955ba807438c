"""tox (what `.ci/run` runs) keeps the reports CI tools read: the suite's JUnit XML, the BDD's Cucumber JSON.

The test runs tox.ini's own commands, pointed at a temp folder and one scenario, and reads the files
as a CI tool would.
"""

from __future__ import annotations

import configparser
import json
import shlex
import subprocess
import sys
from pathlib import Path

from simulator.xmlsafe import fromstring

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ["features/test_control_plane.py", "-k", "manual_rejection and not https",
            "-p", "no:cacheprovider"]


def tox_commands(key: str) -> list[list[str]]:
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / "tox.ini", encoding="utf-8")
    return [shlex.split(line) for line in tox["testenv"][key].strip().splitlines()]


def test_tox_keeps_junit_xml_and_cucumber_json_under_reports(tmp_path: Path) -> None:
    (make_folder,) = tox_commands("commands_pre")
    subprocess.run([sys.executable, *make_folder[1:]], cwd=tmp_path, check=True, timeout=60)
    (pytest_line,) = [line for line in tox_commands("commands") if line[0] == "pytest"]
    assert pytest_line[-1] == "{posargs}"
    options = [option.replace("=reports/", f"={tmp_path}/reports/") for option in pytest_line[1:-1]]
    result = subprocess.run([sys.executable, "-m", "pytest", *options, *SCENARIO], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr

    suite = fromstring((tmp_path / "reports" / "junit.xml").read_bytes(), "junit.xml")
    (case,) = suite.iter("testcase")
    assert case.get("name") == "test_a_manual_rejection_with_reasons[http]" and not len(case)

    (feature,) = json.loads((tmp_path / "reports" / "cucumber.json").read_text(encoding="utf-8"))
    assert feature["uri"].endswith("control_plane.feature")
    (scenario,) = feature["elements"]
    assert scenario["name"] == "A manual rejection with reasons"
    assert scenario["steps"] and {step["result"]["status"] for step in scenario["steps"]} == {"passed"}
