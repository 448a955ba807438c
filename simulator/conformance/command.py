"""`tiktok-sim conformance`: the bundled scenarios against a connector command, with a fresh simulator.

It runs the scenarios module with pytest and pytest-bdd in this process, isolated from the user's own
pytest configuration and plugins, prints one verdict per scenario, and writes a JUnit or Cucumber JSON
report for CI when asked.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from simulator.conformance.runner import DEFAULT_TIMEOUT_S

HERE = Path(__file__).resolve().parent
REPORT_OPTIONS = {"junit": "--junitxml", "cucumber-json": "--cucumberjson"}


@contextmanager
def _no_plugin_autoload() -> Iterator[None]:
    """The user's installed pytest plugins stay out of the run: only pytest-bdd is loaded, by name."""
    before = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        yield
    finally:
        if before is None:
            del os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"]
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = before


class _Run:
    """Puts the settings in the config stash, where the scenarios' fixtures read them."""

    def __init__(self, settings: object) -> None:
        self.settings = settings

    def pytest_configure(self, config: object) -> None:
        from simulator.conformance.settings import SETTINGS

        config.stash[SETTINGS] = self.settings


@click.command("conformance")
@click.option("--connector-cmd", "command", required=True, metavar="CMD",
              help="Shell command that runs the connector under test once (docs/conformance.md).")
@click.option("--tls", is_flag=True,
              help="Serve the simulator over https; the connector gets SFCC_CA_FILE.")
@click.option("--tags", default="", metavar="EXPR",
              help="Only scenarios whose tags match, e.g. 'catalog and not delta' (pytest -m).")
@click.option("--format", "report_format", type=click.Choice(["text", "junit", "cucumber-json"]),
              default="text", show_default=True, help="Report written to --output (stdout when none).")
@click.option("--output", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="File for the report (text: the verdict lines).")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=0, min_open=True),
              default=DEFAULT_TIMEOUT_S, show_default=True,
              help="Seconds one run of the connector command may take before it is killed.")
def conformance_command(command: str, tls: bool, tags: str, report_format: str, output: Path | None,
                        timeout_s: float) -> None:
    """Run the bundled scenarios against a connector; exit 0 only when every scenario passes."""
    try:
        import pytest

        from simulator.conformance.settings import Settings
        from simulator.conformance.verdicts import Verdicts
    except ImportError as missing:
        raise click.ClickException(f"{missing.name} is needed: pip install 'tiktok-sfcc-sim[conformance]'") \
            from None
    if not command.strip():
        raise click.BadParameter("is empty", param_hint="--connector-cmd")
    report_to_stdout = report_format != "text" and output is None
    verdict_stream = sys.stderr if report_to_stdout else sys.stdout
    verdicts = Verdicts(verdict_stream)
    with tempfile.TemporaryDirectory(prefix="tiktok-sim-conformance-") as scratch:
        report = output or Path(scratch) / "report"
        args = [str(HERE / "scenarios.py"), "-c", str(HERE / "conformance.ini"), "--rootdir", str(HERE),
                "-p", "pytest_bdd.plugin", "-p", "no:cacheprovider", "-p", "no:terminal", "-p", "no:stepwise",
                "--capture=no", "--basetemp", str(Path(scratch) / "tmp"), "-W", "ignore"]
        if tags:
            args += ["-m", tags]
        if report_format != "text":
            args.append(f"{REPORT_OPTIONS[report_format]}={report}")
        with _no_plugin_autoload():
            code = pytest.main(args, plugins=[_Run(Settings(command, tls, timeout_s)), verdicts])
        if code == pytest.ExitCode.USAGE_ERROR:
            raise click.BadParameter(f"pytest refused it (is it a valid tag expression?): {tags!r}",
                                     param_hint="--tags")
        if code == pytest.ExitCode.NO_TESTS_COLLECTED:
            raise click.BadParameter(f"no scenario matches {tags!r}", param_hint="--tags")
        if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
            raise click.ClickException(f"the conformance run stopped early (pytest exit code {int(code)})")
        verdict_stream.write(verdicts.summary() + "\n")
        if report_to_stdout:
            sys.stdout.write(report.read_text("utf-8"))
        elif report_format == "text" and output:
            output.write_text(verdicts.text(), "utf-8")
    sys.exit(0 if verdicts.failed == 0 and verdicts.passed else 1)
