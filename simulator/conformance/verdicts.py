"""One line per scenario for the person reading the run: PASS or FAIL, and for a failure the step and why.

A pytest plugin object handed to `pytest.main`: it sees each scenario's result and the step that broke,
and writes nothing of pytest's own (no dots, no tracebacks): a broken rule is a finding, not a crash.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, TextIO

import pytest


class Verdicts:
    """Collects each scenario's outcome and writes its verdict line as soon as it is known."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.lines: list[str] = []
        self.passed = self.failed = 0
        self._steps: dict[str, str] = {}  # nodeid -> the step that failed
        self._reasons: dict[str, str] = {}
        self._names: dict[str, str] = {}
        self._broken: set[str] = set()  # nodeids whose setup or call failed

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[
            None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if call.excinfo is not None and item.nodeid not in self._reasons:
            self._reasons[item.nodeid] = str(call.excinfo.value).strip() or call.excinfo.typename
        return report

    def pytest_bdd_before_scenario(self, request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
        self._names[request.node.nodeid] = f"{feature.name}: {scenario.name}"

    def pytest_bdd_step_error(self, request: pytest.FixtureRequest, step: Any, **_: Any) -> None:
        self._steps.setdefault(request.node.nodeid, f"{step.keyword} {step.name}")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "teardown":
            if report.failed:
                self._broken.add(report.nodeid)
            return
        name = self._names.get(report.nodeid, report.nodeid)
        if report.nodeid in self._broken or report.failed:
            self.failed += 1
            step = self._steps.get(report.nodeid)
            where = f"\n      at step: {step}" if step else ""
            reason = self._reasons.get(report.nodeid, "failed").replace("\n", "\n      ")
            self._write(f"FAIL  {name}{where}\n      {reason}\n")
        else:
            self.passed += 1
            self._write(f"PASS  {name}\n")

    def _write(self, text: str) -> None:
        self.lines.append(text)
        self.stream.write(text)
        self.stream.flush()

    def text(self) -> str:
        """The verdict lines and the summary, for --output."""
        return "".join(self.lines) + self.summary() + "\n"

    def summary(self) -> str:
        total = self.passed + self.failed
        return f"{total} scenario{'s' * (total != 1)}: {self.passed} passed, {self.failed} failed"

